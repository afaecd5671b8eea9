"""``GET /calendar/{token}.ics``: a calendar feed for subscription by Google, Outlook or Apple.

Calendar apps cannot send a bearer token, so the URL itself is the credential: a random secret
(``services.calendar.feeds``). Unknown, forged, revoked and no-longer-authorised tokens answer
the very same 404 (same body, same headers). Clients poll, so the answer carries an ``ETag``
and ``If-None-Match`` gets a bodiless 304 (without rendering: the ETag is a hash of the
events, ``services.calendar.ics.fingerprint``); ``Cache-Control: private, no-cache`` lets the one
client keep its copy and revalidate, but no shared cache store it. Responses are never
``no-store`` here (that would forbid the revalidation); the body holds initials and types only.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graph import document_routes
from graph.request_meta import request_meta
from services.calendar import serve
from services.errors import DomainError, NotFound

MEDIA_TYPE = "text/calendar"
HEADERS = {
    "cache-control": "private, no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex",
}
MAX_TOKEN = 200


def _not_found(request: Request) -> Response:
    return document_routes.error_response(request, NotFound("Calendar"))


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or "*" in tags


async def calendar_feed(request: Request) -> Response:
    token = str(request.path_params["token"])
    if len(token) > MAX_TOKEN or not token.isascii():
        return _not_found(request)
    try:
        rendered = await serve.render(token, request_meta(request))
    except DomainError:
        return _not_found(request)
    headers = {**HEADERS, "etag": rendered.etag}
    if _matches(request.headers.get("if-none-match"), rendered.etag):
        return Response(status_code=304, headers=headers)
    await serve.record(rendered)
    headers["content-disposition"] = 'inline; filename="appointments.ics"'
    # The library takes ~0.5 ms per event: off the event loop.
    body = await run_in_threadpool(rendered.body)
    return Response(body, 200, headers, media_type=MEDIA_TYPE)


routes = [Route("/calendar/{token}.ics", calendar_feed, methods=["GET"])]

__all__ = ["routes"]

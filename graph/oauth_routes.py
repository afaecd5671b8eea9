"""HTTP endpoints for partner OAuth: ``/oauth/token``, ``/oauth/revoke``, ``/oauth/introspect``,
and the RFC 8414 metadata at ``/.well-known/oauth-authorization-server``.

Form-encoded as RFC 6749 requires; the protocol work is done by ``services.auth.oauth``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graph.request_meta import request_meta
from services.auth import oauth

FORM = "application/x-www-form-urlencoded"
Handler = Callable[[oauth.FormRequest], Awaitable[oauth.OAuthResponse]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != FORM:
            return JSONResponse(
                {"error": "invalid_request", "error_description": f"Use {FORM}."}, 400
            )
        body = (await request.body()).decode("utf-8", errors="replace")
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=20)
        form: dict[str, str] = {}
        for key, value in pairs:
            if key in form:  # RFC 6749 §3.2: parameters must not be repeated
                return JSONResponse({"error": "invalid_request"}, 400)
            form[key] = value
        result = await handler(
            oauth.FormRequest(
                method=request.method,
                headers={k.lower(): v for k, v in request.headers.items()},
                form=form,
                meta=request_meta(request),
            )
        )
        # authlib already sets Cache-Control/Pragma: no-store on token responses.
        headers = {k.lower(): v for k, v in result.headers if k.lower() != "content-type"}
        headers["cache-control"] = "no-store"
        return JSONResponse(result.body, result.status, headers=headers)

    return endpoint


async def metadata(request: Request) -> Response:
    """Issuer: ``AESCRM_PUBLIC_URL``, else this request's origin (https behind a trusted proxy)."""
    issuer = request.app.state.settings.public_url or str(request.base_url)
    return JSONResponse(oauth.server_metadata(issuer), headers={"cache-control": "no-store"})


routes = [
    Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    Route("/oauth/token", _endpoint(oauth.token), methods=["POST"]),
    Route("/oauth/revoke", _endpoint(oauth.revoke), methods=["POST"]),
    Route("/oauth/introspect", _endpoint(oauth.introspect), methods=["POST"]),
]

"""The live reception board at ``/board``: a development page that shows the API working.

It is static HTML and JavaScript with no build step: the page signs in with the ``login``
mutation (and the MFA enrolment a demo receptionist needs), reads today's ``schedule`` and keeps
it current from ``scheduleChanged`` over graphql-transport-ws, with the ``graphql-ws`` browser
build vendored under ``graph/static/board/`` (see the README there). It is a demonstration and a
test target, not a product, so :func:`board_routes` gives nothing in production.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from graph.settings import Settings

__all__ = ["ASSETS_DIR", "BOARD_PATH", "CONTENT_SECURITY_POLICY", "board_routes"]

ASSETS_DIR = Path(__file__).parent / "static" / "board"
BOARD_PATH = "/board"
# Everything the page needs comes from this origin: its script, its style, the GraphQL endpoint
# and the WebSocket (CSP 'self' covers ws:/wss: to the same host). No inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


async def board(_: Request) -> Response:
    return FileResponse(ASSETS_DIR / "index.html", media_type="text/html", headers=HEADERS)


def board_routes(settings: Settings) -> list[BaseRoute]:
    """``/board`` and its assets in development; nothing in production."""
    if settings.is_production:
        return []
    return [
        Route(BOARD_PATH, board, methods=["GET"]),
        Mount(f"{BOARD_PATH}/assets", app=StaticFiles(directory=ASSETS_DIR), name="board"),
    ]

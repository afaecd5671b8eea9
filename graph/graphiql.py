"""GraphiQL served whole from this app: no CDN, so it works on a machine with no internet.

Strawberry's page loads React, GraphiQL and the explorer plugin from a CDN, each with a
subresource-integrity hash. The same files, byte for byte (the test checks every hash), are
vendored under ``graph/static/graphiql/<package>@<version>/…`` (see the README there), so the page
only needs its CDN prefix swapped for :data:`ASSETS_PATH`; the browser still checks the hashes.
The page opens on a ready board query instead of Strawberry's welcome text.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

__all__ = ["ASSETS_PATH", "BOARD_QUERY", "assets_mount", "graphiql_html", "ready_link"]

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql/"
CDN_PREFIX = "https://unpkg.com/"

BOARD_QUERY = """\
# AES CRM — one day's board of one practice.
# Put a practice id and a day in Variables below (`make run` prints a link with both filled
# in) and a token in Headers: {"Authorization": "Bearer <token>"}. Run with Ctrl-Enter.
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    startsAt
    endsAt
    appointments {
      id
      startsAt
      endsAt
      status
      practitioner { displayName }
      room { name }
      appointmentType { name colour }
      patient { firstName lastName hasMedicalAlert }
    }
  }
}
"""


def graphiql_html() -> str:
    """Strawberry's GraphiQL page with local assets and the board query as its default."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    if CDN_PREFIX not in html or "const EXAMPLE_QUERY = `" not in html:
        raise RuntimeError("Strawberry's GraphiQL page changed: re-read graph/graphiql.py")
    html = html.replace(CDN_PREFIX, ASSETS_PATH)
    start = html.index("const EXAMPLE_QUERY = `") + len("const EXAMPLE_QUERY = `")
    end = html.index("`;", start)
    return html[:start] + BOARD_QUERY.replace("`", "'") + html[end:]


def assets_mount() -> Mount:
    return Mount(ASSETS_PATH.rstrip("/"), app=StaticFiles(directory=ASSETS_DIR), name="graphiql")


def ready_link(base_url: str, *, practice_id: str, day: str, token: str | None = None) -> str:
    """A GraphiQL address that opens on the board of ``practice_id`` for ``day`` (YYYY-MM-DD)."""
    variables = {"practiceId": practice_id, "from": f"{day}T00:00:00Z", "to": f"{day}T23:59:59Z"}
    parameters = {"q": BOARD_QUERY, "variables": json.dumps(variables, indent=2)}
    if token:
        parameters["headers"] = json.dumps({"Authorization": f"Bearer {token}"})
    return f"{base_url}?{urlencode(parameters, quote_via=quote)}"  # the page decodes no "+"

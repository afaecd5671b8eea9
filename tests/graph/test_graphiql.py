"""GraphiQL works with no internet: every asset comes from the app, byte-identical to the CDN's."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from graphql import parse, validate

from graph.graphiql import BOARD_QUERY, ready_link
from graph.schema import build_schema
from tests.conftest import make_settings
from tests.graph.test_production_surface import production_settings, serve

ASSET = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*?integrity="([^"]+)"', re.S)


async def _page(http: httpx.AsyncClient) -> str:
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    return response.text


async def test_graphiql_loads_nothing_from_another_host(client: httpx.AsyncClient) -> None:
    page = await _page(client)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, "the page references no assets at all"
    foreign = [s for s in sources if not s.startswith(("/graphiql/", "data:"))]
    assert foreign == []


async def test_every_asset_is_served_with_the_bytes_its_integrity_hash_names(
    client: httpx.AsyncClient,
) -> None:
    assets = ASSET.findall(await _page(client))
    assert len(assets) == 7  # react, react-dom, js-cookie, graphiql js+css, explorer js+css
    for path, integrity in assets:
        response = await client.get(path)
        assert response.status_code == 200, path
        algorithm, _, expected = integrity.partition("-")
        digest = base64.b64encode(hashlib.new(algorithm, response.content).digest()).decode()
        assert digest == expected, path


async def test_graphiql_opens_on_the_board_query(client: httpx.AsyncClient) -> None:
    page = await _page(client)
    assert "query Board($practiceId: ID!" in page
    assert "Welcome to GraphiQL" not in page


def test_the_board_query_is_valid_against_the_schema(tmp_path: Path) -> None:
    schema = build_schema(make_settings("sqlite://:memory:", tmp_path))
    assert validate(schema._schema, parse(BOARD_QUERY)) == []


def test_the_ready_link_carries_query_variables_and_token() -> None:
    link = ready_link("http://h/graphql", practice_id="p-1", day="2026-12-07", token="t")
    parameters = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert parameters["q"] == BOARD_QUERY
    assert json.loads(parameters["variables"]) == {
        "practiceId": "p-1",
        "from": "2026-12-07T00:00:00Z",
        "to": "2026-12-07T23:59:59Z",
    }
    assert json.loads(parameters["headers"]) == {"Authorization": "Bearer t"}


async def test_no_graphiql_assets_in_production(database_url: str, tmp_path: Path) -> None:
    async with serve(production_settings(database_url, tmp_path)) as http:
        response = await http.get("/graphiql/graphiql@3.8.3/graphiql.min.js")
        assert response.status_code == 404

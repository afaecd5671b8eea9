"""What the service shows of itself in production versus development.

Production settings here carry real (generated) keys and secrets; ``create_app`` serves whatever
database the test gives it, so the checks run on SQLite and PostgreSQL alike. ``load_settings``
(which would refuse SQLite in production) is covered in ``tests/test_settings.py``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message

from db.crypto import generate_key_material
from graph.app import create_app
from graph.release import VERSION
from graph.settings import Settings
from services.auth import clients
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.factories import gql

SCHEMA_QUERY = "{ __schema { queryType { name } } }"
TYPE_QUERY = '{ __type(name: "Practice") { name fields { name } } }'
MISSPELT = "{ practices { nme } }"
GENERIC = "The query is not valid for this schema."
SQLITE_PROBLEM = "AESCRM_DATABASE_URL must point at PostgreSQL, not SQLite"


def production_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    keys = generate_key_material()
    settings = make_settings(
        database_url,
        tmp_path,
        env="production",
        secret_key="p" * 48,
        jwt_keys="k2026:" + "j" * 48,
        encryption_keys=keys["AESCRM_ENCRYPTION_KEYS"],
        blind_index_key=keys["AESCRM_BLIND_INDEX_KEY"],
        **overrides,
    )
    # A configuration production would accept, but for the test database's backend.
    assert set(settings.production_problems()) <= {SQLITE_PROBLEM}
    return settings


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.50", 443))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def production(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(production_settings(database_url, tmp_path)) as http:
        yield http


@pytest.fixture
async def development(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(make_settings(database_url, tmp_path)) as http:
        yield http


async def staff_token() -> str:
    practice = await factories.practice()
    return factories.access_token(await factories.user(Role.RECEPTIONIST, practice))


# --- introspection ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", [SCHEMA_QUERY, TYPE_QUERY])
async def test_anonymous_introspection_is_refused_in_production(
    production: httpx.AsyncClient, query: str
) -> None:
    result = await gql(production, query)
    assert result.data is None
    assert result.codes
    assert set(result.codes) == {"GRAPHQL_VALIDATION_FAILED"}
    text = json.dumps(result.body)
    assert "Practice" not in text.replace(query, "")
    assert "queryType" not in json.dumps(result.data)


async def test_authenticated_introspection_is_allowed_in_production(
    production: httpx.AsyncClient,
) -> None:
    token = await staff_token()
    schema = await gql(production, SCHEMA_QUERY, token=token)
    assert schema.errors == []
    assert schema.data == {"__schema": {"queryType": {"name": "Query"}}}
    practice = await gql(production, TYPE_QUERY, token=token)
    assert practice.errors == []
    assert practice.data["__type"]["name"] == "Practice"


@pytest.mark.parametrize("query", [SCHEMA_QUERY, TYPE_QUERY])
async def test_introspection_is_open_in_development(
    development: httpx.AsyncClient, query: str
) -> None:
    result = await gql(development, query)
    assert result.errors == []


async def test_production_refuses_introspection_for_everyone(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, env="production", introspection=True)
    assert any("AESCRM_INTROSPECTION must not" in p for p in settings.production_problems())


async def partner_token(http: httpx.AsyncClient) -> str:
    practice = await factories.practice()
    registered = await clients.register(
        organization_id=practice.organization_id,
        name="Recall SMS",
        scopes=["practice:read", "schedule:read"],
        practice_ids=[practice.id],
    )
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered.client_id, registered.client_secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def patient_token() -> str:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    return factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )


@pytest.mark.parametrize("kind", ["partner", "patient"])
@pytest.mark.parametrize("query", [SCHEMA_QUERY, TYPE_QUERY])
async def test_partners_and_patients_cannot_introspect_in_production(
    production: httpx.AsyncClient, kind: str, query: str
) -> None:
    token = await partner_token(production) if kind == "partner" else await patient_token()
    assert (await gql(production, "{ __typename }", token=token)).errors == []  # token works
    result = await gql(production, query, token=token)
    assert result.data is None
    assert result.codes
    assert set(result.codes) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_only_the_roles_the_setting_names_may_introspect(
    database_url: str, tmp_path: Path
) -> None:
    settings = production_settings(database_url, tmp_path, introspection_roles="PRACTICE_ADMIN")
    async with serve(settings) as http:
        practice = await factories.practice()
        admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
        reception = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        assert (await gql(http, SCHEMA_QUERY, token=admin)).errors == []
        refused = await gql(http, SCHEMA_QUERY, token=reception)
        assert refused.data is None
        assert refused.codes
        assert set(refused.codes) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_typename_is_not_introspection(production: httpx.AsyncClient) -> None:
    assert (await gql(production, "{ __typename }")).data == {"__typename": "Query"}


# --- suggestions and type names --------------------------------------------------------------


async def test_no_suggestions_and_no_type_names_for_anonymous_callers(
    production: httpx.AsyncClient,
) -> None:
    result = await gql(production, MISSPELT)
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.errors[0]["message"] == GENERIC
    assert "Did you mean" not in json.dumps(result.body)
    assert "Practice" not in json.dumps(result.body)


async def test_unknown_argument_does_not_name_the_type(production: httpx.AsyncClient) -> None:
    result = await gql(production, '{ practice(id: "x", nope: 1) { name } }')
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert all(error["message"] == GENERIC for error in result.errors)
    assert "Query.practice" not in json.dumps(result.body)


async def test_authenticated_callers_get_detail_but_no_suggestions_in_production(
    production: httpx.AsyncClient,
) -> None:
    result = await gql(production, MISSPELT, token=await staff_token())
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.errors[0]["message"] == "Cannot query field 'nme' on type 'Practice'."


async def test_suggestions_are_given_in_development(development: httpx.AsyncClient) -> None:
    result = await gql(development, MISSPELT)
    assert "Did you mean 'name'?" in result.errors[0]["message"]


async def test_limit_errors_stay_readable_for_anonymous_callers(
    production: httpx.AsyncClient,
) -> None:
    result = await gql(production, "{ " + " ".join(f"a{i}: ping" for i in range(40)) + " }")
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["message"] == "40 aliases found. Allowed: 30"


async def test_parse_errors_keep_their_code_in_production(production: httpx.AsyncClient) -> None:
    assert (await gql(production, "{ ping ")).codes == ["GRAPHQL_PARSE_FAILED"]


# --- GraphiQL and GET ------------------------------------------------------------------------


async def test_no_graphiql_in_production(production: httpx.AsyncClient) -> None:
    response = await production.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "graphiql" not in response.text.lower()


async def test_graphiql_in_development(development: httpx.AsyncClient) -> None:
    response = await development.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_queries_over_get_can_be_disabled(database_url: str, tmp_path: Path) -> None:
    settings = production_settings(database_url, tmp_path, queries_over_get=False)
    async with serve(settings) as http:
        response = await http.get("/graphql", params={"query": "{ ping }"})
        assert response.status_code == 405
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
        assert (await gql(http, "{ ping }")).data == {"ping": True}  # POST still works


async def test_queries_over_get_are_off_by_default_in_production(
    production: httpx.AsyncClient,
) -> None:
    response = await production.get("/graphql", params={"query": "{ ping }"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["cache-control"] == "no-store"


async def test_queries_over_get_work_in_production_when_enabled(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(production_settings(database_url, tmp_path, queries_over_get=True)) as http:
        response = await http.get("/graphql", params={"query": "{ ping }"})
        assert response.status_code == 200
        assert response.json() == {"data": {"ping": True}, "extensions": {"version": VERSION}}


async def test_queries_over_get_are_on_in_development(development: httpx.AsyncClient) -> None:
    response = await development.get("/graphql", params={"query": "{ ping }"})
    assert response.json() == {"data": {"ping": True}, "extensions": {"version": VERSION}}


# --- WebSocket subprotocols ------------------------------------------------------------------


async def websocket_exchange(
    app: Starlette,
    subprotocols: list[str],
    messages: list[dict[str, Any]],
    until: tuple[str, ...] = ("websocket.send", "websocket.close"),
) -> list[Message]:
    """Speaks raw ASGI to the WebSocket route until the server sends a frame or closes."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    for message in messages:
        await inbox.put({"type": "websocket.receive", "text": json.dumps(message)})
    sent: list[Message] = []
    answered = asyncio.Event()
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("203.0.113.50", 443),
        "server": ("testserver", 80),
        "subprotocols": subprotocols,
        "state": {},
    }

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] in until:
            answered.set()

    task = asyncio.create_task(app(scope, inbox.get, send))
    await asyncio.wait_for(answered.wait(), timeout=5)
    await inbox.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, timeout=5)
    return sent


@pytest.mark.parametrize("env", ["production", "development"])
async def test_legacy_graphql_ws_is_refused_unless_enabled(
    database_url: str, tmp_path: Path, env: str
) -> None:
    settings = (
        production_settings(database_url, tmp_path)
        if env == "production"
        else make_settings(database_url, tmp_path)
    )
    sent = await websocket_exchange(create_app(settings), ["graphql-ws"], [])
    # Strawberry accepts without a subprotocol, then closes: "Subprotocol not acceptable".
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]
    assert sent[0].get("subprotocol") is None
    assert sent[1]["code"] == 4406


async def test_legacy_graphql_ws_when_enabled_still_needs_a_token(
    database_url: str, tmp_path: Path
) -> None:
    settings = production_settings(database_url, tmp_path, legacy_graphql_ws=True)
    app = create_app(settings)
    init = {"type": "connection_init", "payload": {}}
    sent = await websocket_exchange(app, ["graphql-ws"], [init])
    assert sent[0] == {"type": "websocket.accept", "subprotocol": "graphql-ws", "headers": []}
    frame = json.loads(sent[1].get("text") or sent[1]["bytes"])
    assert frame == {"type": "connection_error", "payload": {"reason": "missing token"}}
    forged = {"type": "connection_init", "payload": {"authorization": "Bearer not.a.jwt"}}
    sent = await websocket_exchange(app, ["graphql-ws"], [forged])
    frame = json.loads(sent[1].get("text") or sent[1]["bytes"])
    assert frame == {"type": "connection_error", "payload": {"reason": "invalid token"}}


async def test_graphql_transport_ws_is_always_offered(database_url: str, tmp_path: Path) -> None:
    app = create_app(production_settings(database_url, tmp_path))
    sent = await websocket_exchange(app, ["graphql-transport-ws"], [], until=("websocket.accept",))
    assert sent[0]["type"] == "websocket.accept"
    assert sent[0]["subprotocol"] == "graphql-transport-ws"

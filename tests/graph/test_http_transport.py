"""GraphQL over HTTP: status codes, content types, malformed bodies, CSRF and GET rules."""

from __future__ import annotations

import httpx

from graph.release import VERSION
from services.policy import Role
from tests import factories
from tests.factories import gql

PING = "{ ping }"


async def test_ping_answers_anonymously(client: httpx.AsyncClient) -> None:
    result = await gql(client, PING)
    assert result.status == 200
    assert result.data == {"ping": True}


async def test_malformed_json_is_a_bad_request_with_a_code(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await gql(client, PING)).data == {"ping": True}  # and the server keeps serving


async def test_missing_query_is_a_bad_request(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"variables": {}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_syntax_error_has_parse_code(client: httpx.AsyncClient) -> None:
    result = await gql(client, "{ ping ")
    assert result.codes == ["GRAPHQL_PARSE_FAILED"]


async def test_graphql_response_media_type_gives_400_without_data(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ nope }"},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    ok = await client.post(
        "/graphql", json={"query": PING}, headers={"accept": "application/graphql-response+json"}
    )
    assert ok.status_code == 200


async def test_responses_are_never_cached(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": PING})
    assert response.headers["cache-control"] == "no-store"
    assert len(response.headers["x-request-id"]) >= 8


async def test_form_and_text_posts_are_refused(client: httpx.AsyncClient) -> None:
    for content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
    ):
        response = await client.post(
            "/graphql", content=b'{"query":"{ ping }"}', headers={"content-type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_mutation_over_get_is_not_executed(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { logout(input: {}) { ok } }"}
    )
    assert 400 <= response.status_code < 500
    assert "data" not in response.json() or response.json().get("data") is None


async def test_query_over_get_works_when_enabled(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": PING})
    assert response.status_code == 200
    assert response.json()["data"] == {"ping": True}


async def test_batching_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[{"query": PING}, {"query": PING}])
    assert response.status_code == 400


async def test_oversized_body_is_refused_before_parsing(client: httpx.AsyncClient) -> None:
    huge = "{ ping }" + " " * (2 * 1024 * 1024)
    response = await client.post("/graphql", json={"query": huge})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "version": VERSION}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": True, "bus": True}


async def test_authenticated_query_lists_own_practices_only(client: httpx.AsyncClient) -> None:
    mine = await factories.practice(name="Mine")
    await factories.practice(name="Theirs")
    receptionist = await factories.user(Role.RECEPTIONIST, mine)
    result = await gql(
        client, "{ practices { id name } }", token=factories.access_token(receptionist)
    )
    assert result.errors == []
    assert result.data == {"practices": [{"id": str(mine.id), "name": "Mine"}]}


# --- the version every answer names ----------------------------------------------------------


async def test_every_graphql_answer_names_the_version(client: httpx.AsyncClient) -> None:
    answered = await client.post("/graphql", json={"query": PING})
    assert answered.json() == {"data": {"ping": True}, "extensions": {"version": VERSION}}
    for document in ("{ ping ", "{ nope }"):  # a parse error, a validation error
        refused = (await client.post("/graphql", json={"query": document})).json()
        assert refused["extensions"] == {"version": VERSION}
        assert refused["errors"][0]["extensions"]["code"].startswith("GRAPHQL_")
    over_get = await client.get("/graphql", params={"query": PING})
    assert over_get.json()["extensions"] == {"version": VERSION}


async def test_refusals_before_execution_name_the_version(client: httpx.AsyncClient) -> None:
    form = await client.post(
        "/graphql", content=b"query={ping}", headers={"content-type": "text/plain"}
    )
    assert form.status_code == 415
    assert form.json()["extensions"] == {"version": VERSION}
    forged = await client.post(
        "/graphql", json={"query": PING}, headers={"authorization": "Bearer not.a.jwt"}
    )
    assert forged.status_code == 401
    assert forged.json()["extensions"] == {"version": VERSION}
    assert forged.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

"""Malformed requests are request errors: 400 (or the GraphQL-over-HTTP status), a code, the
request id, ``no-store``, and nothing logged as a crash (issue 11, item 4)."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from graph.middleware import error_body
from graph.view import GraphQLEndpoint
from tests.factories import gql

LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { __typename } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = {"content-type": "application/json"}


def _no_crash_logged(caplog: pytest.LogCaptureFixture) -> None:
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert crashes == [], [r.getMessage() for r in crashes]


def _request_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["requestId"] == request_id
    return dict(error)


@pytest.mark.parametrize(
    "body",
    [b"null", b"1", b'"x"', b"true", b" null ", b"\xff\xfe{}", b'{"query": "{ ping }\xff"}'],
    ids=["null", "number", "string", "true", "spaced-null", "bad-utf8", "bad-utf8-in-string"],
)
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    response = await client.post("/graphql", content=body, headers=JSON)
    _request_error(response, 400, "BAD_REQUEST")
    _no_crash_logged(caplog)
    assert (await gql(client, "{ ping }")).data == {"ping": True}


async def test_variables_nested_a_hundred_thousand_deep_are_a_bad_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    depth = 100_000
    body = b'{"query": "{ ping }", "variables": {"v": ' + b"[" * depth + b"]" * depth + b"}}"
    response = await client.post("/graphql", content=body, headers=JSON)
    _request_error(response, 400, "BAD_REQUEST")
    _no_crash_logged(caplog)


async def test_a_list_variable_nested_six_hundred_deep_is_bad_user_input(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # It parses (JSON allows 1024 levels); coercion refuses it without quoting it back.
    query = """query($ids: [ID!]) {
      schedule(practiceId: "00000000-0000-4000-8000-000000000000",
               from: "2030-01-01T00:00:00Z", to: "2030-01-02T00:00:00Z",
               practitionerIds: $ids) { __typename }
    }"""
    nested: object = "x"
    for _ in range(600):
        nested = [nested]
    result = await gql(client, query, {"ids": nested})
    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "practitionerIds"
    _no_crash_logged(caplog)


async def test_operation_name_with_a_lone_surrogate_is_answered_not_crashed(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"query": "query A { ping }", "operationName": "\\ud800"}'
    response = await client.post("/graphql", content=body, headers=JSON)
    _request_error(response, 400, "BAD_REQUEST")
    _no_crash_logged(caplog)


# --- variables that do not fit their types: request errors, not resolver crashes --------------

COERCION_CASES = {
    "missing-variable": ({}, "input", "a value is required"),
    "missing-input-field": (
        {"input": {"email": "a@example.test"}},
        "password",
        "the required field 'password' of LoginInput is missing",
    ),
    "unknown-input-field": (
        {"input": {"email": "a@example.test", "password": "pw", "isAdmin": True}},
        "input",
        "a field that LoginInput does not define",
    ),
    "wrong-type": ({"input": {"email": 42, "password": "pw"}}, "email", "type String"),
    "null-for-non-null": ({"input": None}, "input", "must not be null"),
}


@pytest.mark.parametrize("case", list(COERCION_CASES))
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_variables_that_fail_coercion_are_bad_user_input(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, case: str, accept: str
) -> None:
    variables, field, reason = COERCION_CASES[case]
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": variables},
        headers={"accept": accept},
    )
    # GraphQL-over-HTTP: 200 for application/json, 400 for application/graphql-response+json.
    assert response.status_code == (400 if accept == GRAPHQL_RESPONSE else 200)
    assert response.headers["cache-control"] == "no-store"
    assert len(response.headers["x-request-id"]) >= 8
    body = response.json()
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert reason in error["message"]
    for echoed in ("a@example.test", "42", "isAdmin"):  # values are never quoted back
        assert echoed not in error["message"]
    _no_crash_logged(caplog)


async def test_ten_repeated_unknown_directives_are_one_error(client: httpx.AsyncClient) -> None:
    result = await gql(client, "{ ping" + " @nope" * 10 + " }")
    assert result.data is None
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert result.errors[0]["message"] == "Unknown directive '@nope'."


async def test_a_wire_error_body_survives_a_lone_surrogate_in_its_message() -> None:
    body = orjson.loads(error_body("BAD_REQUEST", "Unknown operation named '\ud800'."))
    assert body["errors"][0]["message"] == "Unknown operation named '\\ud800'."


async def test_an_unexpected_failure_before_execution_is_json_masked_and_logged_once(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> object:
        raise RuntimeError("exploded with Alice Example's NHS number")

    monkeypatch.setattr(GraphQLEndpoint, "parse_http_body", broken)
    response = await client.post("/graphql", json={"query": "{ ping }"})
    error = _request_error(response, 500, "INTERNAL_SERVER_ERROR")
    assert "Alice" not in response.text
    assert "request id" in str(error["message"])
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError

"""Logs are one JSON object per line carrying the request id; SQL values never appear at INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from db.models import Organization
from graph.logs import configure_logging, request_id_var
from graph.settings import Settings
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.test_hardening import SECRET, serve, test_schema

SENTINEL = "Sentinel Dental Group 7f3a"  # a value that must never reach an INFO log


class JsonLog:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line must parse as one JSON object on its own."""
        parsed = []
        for line in self.text.splitlines():
            value = json.loads(line)
            assert isinstance(value, dict), line
            parsed.append(value)
        return parsed


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    """``configure_logging`` as the server runs it, writing to a buffer; global state restored."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    tortoise = logging.getLogger("tortoise")
    saved_tortoise = tortoise.level
    access = logging.getLogger("uvicorn.access")
    error = logging.getLogger("uvicorn.error")
    saved_uvicorn = (access.disabled, access.handlers[:], error.handlers[:])
    configure_logging("INFO")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    # Keep pytest's capture handlers working alongside ours.
    root.handlers[:] = [handler, *(h for h in saved_handlers if h is not handler)]
    try:
        yield JsonLog(stream)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        tortoise.setLevel(saved_tortoise)
        access.disabled, access.handlers[:], error.handlers[:] = saved_uvicorn


def test_each_line_is_one_json_object_with_the_request_id(json_log: JsonLog) -> None:
    log = logging.getLogger("aescrm.test")
    token = request_id_var.set("req0123456789")
    try:
        log.info("inside a request", extra={"practice": "p-1"})
        try:
            raise ValueError("first line\nsecond line")
        except ValueError:
            log.exception("failed with a multi-line message")
    finally:
        request_id_var.reset(token)
    log.warning("outside a request")
    inside, failed, outside = json_log.lines()
    assert inside["request_id"] == "req0123456789"
    assert inside["level"] == "INFO"
    assert inside["logger"] == "aescrm.test"
    assert inside["message"] == "inside a request"
    assert inside["practice"] == "p-1"
    assert "time" in inside
    assert failed["request_id"] == "req0123456789"
    assert "Traceback" in failed["exc_info"]
    assert "second line" in failed["exc_info"]
    assert outside["request_id"] is None
    assert len(json_log.text.splitlines()) == 3  # the traceback did not break the line


async def test_a_masked_error_is_logged_in_full_with_its_request_id(
    json_log: JsonLog, settings: Settings
) -> None:
    async with serve(settings, schema=test_schema) as client:
        response = await client.post(
            "/graphql", json={"query": "{ boom }"}, headers={"x-request-id": "logline0001"}
        )
    assert SECRET not in response.text
    [line] = [entry for entry in json_log.lines() if entry["logger"] == "aescrm.errors"]
    assert line["request_id"] == "logline0001"
    assert line["level"] == "ERROR"
    assert line["message"] == "unhandled error in resolver"
    assert "RuntimeError" in line["exc_info"]
    assert SECRET in line["exc_info"]


async def test_sql_values_are_not_logged_at_info(json_log: JsonLog, settings: Settings) -> None:
    async with serve(settings) as client:
        organization = await factories.organization(name=SENTINEL)
        practice = await factories.practice(organization, name=SENTINEL + " Practice")
        user = await factories.user(Role.PRACTICE_ADMIN, practice)
        result = await gql(
            client,
            "{ practices { name } organizations { name } }",
            token=factories.access_token(user),
        )
        assert result.data["organizations"] == [{"name": SENTINEL}]
        assert await Organization.filter(name=SENTINEL).count() == 1
    assert SENTINEL not in json_log.text
    assert not logging.getLogger("tortoise.db_client").isEnabledFor(logging.INFO)
    for entry in json_log.lines():
        assert entry["level"] != "DEBUG"


async def test_the_sql_check_would_see_values_if_they_were_logged(
    json_log: JsonLog, db: str
) -> None:
    # Guard against a vacuous test: at DEBUG the ORM does log statements with their values.
    logging.getLogger("tortoise").setLevel(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    await factories.organization(name=SENTINEL)
    assert SENTINEL in json_log.text

"""A database out of reach (down, restarting, out of connections) is a clear, retryable
SERVICE_UNAVAILABLE, never an INTERNAL_SERVER_ERROR (found by the multi-host drill: bookings
during a PostgreSQL restart were answered as internal errors)."""

from __future__ import annotations

import asyncpg
import pytest
from graphql import GraphQLError

from db.transient import is_transient, is_unavailable
from graph.errors import classify
from tests.realtime.harness import free_port


async def refused() -> BaseException:
    try:
        await asyncpg.connect(f"postgres://postgres@127.0.0.1:{free_port()}/none", timeout=5)
    except Exception as error:
        return error
    raise AssertionError("nothing should listen on a free port")


async def test_a_refused_connection_is_unavailable_not_transient() -> None:
    error = await refused()
    assert is_unavailable(error)
    assert not is_transient(error)  # "busy, nothing changed" is a different answer


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        # The drill, PostgreSQL restarting while a request was authenticated (CI, 7 December).
        asyncpg.exceptions.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
    ],
)
def test_postgresql_going_away_answers_service_unavailable(error: Exception) -> None:
    wrapped = RuntimeError("the ORM's wrapper")
    wrapped.__cause__ = error
    located = classify(
        GraphQLError("x", original_error=wrapped), request_id="r1", anonymous_detail=False
    )
    assert located.extensions == {
        "code": "SERVICE_UNAVAILABLE",
        "retryable": True,
        "retryAfterSeconds": 1,
        "requestId": "r1",
    }
    assert "database" in located.message


def test_other_failures_stay_internal_errors() -> None:
    for error in (
        ValueError("bug"),
        FileNotFoundError("x"),
        asyncpg.exceptions.UniqueViolationError("dup"),
    ):
        assert not is_unavailable(error)
        located = classify(
            GraphQLError("x", original_error=error), request_id="r1", anonymous_detail=False
        )
        assert (located.extensions or {})["code"] != "SERVICE_UNAVAILABLE"

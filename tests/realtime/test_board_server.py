"""One real server (SQLite): the WebSocket protocol rules, authorisation and resume with since."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import websockets

from db.models import AuditEvent, Membership
from db.models.outbox import DomainEvent
from services.policy import Role
from tests import factories
from tests.databases import SqliteTemplate
from tests.realtime.harness import (
    BOARD,
    CLINICAL_BOARD,
    PROTOCOL,
    Client,
    Server,
    announce,
    orm,
    server_env,
)


@pytest.fixture(scope="module")
def place(
    sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    return sqlite_template.fresh_url(), tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def server(place: tuple[str, Path]) -> Iterator[Server]:
    url, var_dir = place
    running = Server(server_env(url, var_dir, AESCRM_WS_INIT_TIMEOUT_SECONDS="1")).start()
    yield running
    running.stop()


@pytest.fixture
async def data(place: tuple[str, Path]) -> AsyncIterator[None]:
    async with orm(*place):
        yield


async def _staff(role: Role) -> tuple[object, str]:
    practice = await factories.practice()
    user = await factories.user(role, practice)
    return practice, factories.access_token(user)


def _alg_none(token: str) -> str:
    _, body, _ = token.split(".")
    header = base64.urlsafe_b64encode(orjson.dumps({"alg": "none", "typ": "JWT"})).rstrip(b"=")
    return f"{header.decode()}.{body}."


async def _closed_with(server: Server, *messages: str | dict[str, object]) -> int | None:
    async with Client.connect(server, init=False) as client:
        for message in messages:
            if isinstance(message, str):
                await client.connection.send(message)
            else:
                await client.send(message)
        return await client.close_code()


async def test_protocol_violations_close_with_their_codes(server: Server, data: None) -> None:
    _, token = await _staff(Role.RECEPTIONIST)
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": BOARD, "variables": {}}}
    bad = {"type": "connection_init", "payload": {"authorization": "Bearer not-a-token"}}
    none = {"type": "connection_init", "payload": {"authorization": _alg_none(token)}}
    assert await _closed_with(server, subscribe) == 4401
    assert await _closed_with(server, {"type": "connection_init", "payload": {}}) == 4403
    assert await _closed_with(server, bad) == 4403
    assert await _closed_with(server, none) == 4403
    assert await _closed_with(server, "{not json") == 4400
    assert await _closed_with(server) == 4408  # no connection_init within 1 s
    async with Client.connect(server, token) as client:
        await client.send(init)
        assert await client.close_code() == 4429


async def test_duplicate_subscription_id_closes_4409(server: Server, data: None) -> None:
    practice, token = await _staff(Role.RECEPTIONIST)
    async with Client.connect(server, token) as client:
        await client.subscribe("same", practice.id)
        await client.subscribe("same", practice.id)
        assert await client.close_code() == 4409


async def test_cross_site_origin_is_refused(server: Server) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            server.ws,
            subprotocols=[PROTOCOL],
            origin="https://evil.example",  # type: ignore[list-item]
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_notice_reaches_boards_with_fields_per_scopes(server: Server, data: None) -> None:
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    reception = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    async with (
        Client.connect(server, dentist) as clinician,
        Client.connect(server, reception) as desk,
    ):
        await clinician.subscribe("b", practice.id, query=CLINICAL_BOARD)
        await desk.subscribe("b", practice.id, query=CLINICAL_BOARD)
        await asyncio.sleep(0.3)
        variables = {
            "input": {
                "practiceId": str(practice.id),
                "message": "Autoclave 2 down",
                "clinicalDetail": "Use cassette set B",
            }
        }
        from tests.realtime.harness import ANNOUNCE, graphql

        body = await graphql(server, ANNOUNCE, variables, admin)
        sequence = body["data"]["announcePracticeNotice"]["sequence"]
        [seen] = await clinician.events(1)
        assert seen["sequence"] == sequence
        assert seen["notice"]["clinicalDetail"] == "Use cassette set B"
        message = await desk.recv()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert message["payload"]["data"]["scheduleChanged"]["notice"]["clinicalDetail"] is None
        assert (
            message["payload"]["data"]["scheduleChanged"]["notice"]["message"] == "Autoclave 2 down"
        )
    subscribed = await AuditEvent.filter(
        action="SUBSCRIBE scheduleChanged", practice_id=practice.id
    ).count()
    assert subscribed == 2


async def test_cross_tenant_subscription_refused_and_never_delivered(
    server: Server, data: None
) -> None:
    mine = await factories.practice()
    theirs = await factories.practice()
    reception = factories.access_token(await factories.user(Role.RECEPTIONIST, mine))
    mine_admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, mine))
    their_admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, theirs))
    async with Client.connect(server, reception) as client:
        await client.subscribe("x", theirs.id)
        refused = await client.recv()
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        await client.subscribe("b", mine.id)
        await asyncio.sleep(0.3)
        await announce(server, their_admin, theirs.id, "not for you")
        own = await announce(server, mine_admin, mine.id, "for you")
        [event] = await client.events(1)
        assert event["sequence"] == own
        assert event["practiceId"] == str(mine.id)
        assert event["notice"]["message"] == "for you"


async def test_reconnect_with_since_gets_exactly_the_missed_events(
    server: Server, data: None
) -> None:
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    reception = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    first = await announce(server, admin, practice.id, "one")
    async with Client.connect(server, reception) as client:
        await client.subscribe("b", practice.id, since=0)
        assert [e["sequence"] for e in await client.events(1)] == [first]
    missed = [await announce(server, admin, practice.id, f"m{i}") for i in range(3)]
    async with Client.connect(server, reception) as client:
        await client.subscribe("b", practice.id, since=first)
        replayed = await client.events(3)
        assert [e["sequence"] for e in replayed] == missed
        live = await announce(server, admin, practice.id, "live")
        assert [e["sequence"] for e in await client.events(1)] == [live]
        assert await client.quiet()


async def test_since_outside_the_kept_window_requires_resync(server: Server, data: None) -> None:
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    reception = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    for i in range(3):
        await announce(server, admin, practice.id, f"n{i}")
    await DomainEvent.filter(practice_id=practice.id, sequence__lte=2).delete()  # pruned
    async with Client.connect(server, reception) as client:
        await client.subscribe("old", practice.id, since=1)
        error = await client.recv()
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "RESYNC_REQUIRED"
        await client.subscribe("ok", practice.id, since=2)
        assert [e["sequence"] for e in await client.events(1)] == [3]


async def test_removed_membership_or_logout_stops_delivery(server: Server, data: None) -> None:
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    leaver = await factories.user(Role.RECEPTIONIST, practice)
    stayer = await factories.user(Role.RECEPTIONIST, practice)
    async with (
        Client.connect(server, factories.access_token(leaver)) as gone,
        Client.connect(server, factories.access_token(stayer)) as logged_out,
    ):
        await gone.subscribe("b", practice.id)
        await logged_out.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        await Membership.filter(user_id=leaver.id).delete()
        stayer.token_version += 1
        await stayer.save(update_fields=["token_version"])
        await announce(server, admin, practice.id, "after")
        assert await gone.close_code() == 4403
        assert await logged_out.close_code() == 4403


async def test_expired_token_closes_the_socket(server: Server, data: None) -> None:
    practice = await factories.practice()
    user = await factories.user(Role.RECEPTIONIST, practice)
    token = factories.access_token(user, ttl=timedelta(seconds=2))
    async with Client.connect(server, token) as client:
        await client.subscribe("b", practice.id)
        started = datetime.now(UTC)
        assert await client.close_code(wait=8) == 4403
        assert datetime.now(UTC) - started < timedelta(seconds=6)


async def test_complete_ends_a_live_subscription_and_frees_its_id(
    server: Server, data: None
) -> None:
    # given a live board (its events already written straight to the socket)
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    async with Client.connect(server, desk) as client:
        await client.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        first = await announce(server, admin, practice.id, "one")
        assert [e["sequence"] for e in await client.events(1)] == [first]
        # when the client completes it
        await client.send({"id": "b", "type": "complete"})
        await asyncio.sleep(0.3)
        await announce(server, admin, practice.id, "two")
        # then nothing more arrives, and the id can be used again
        assert await client.quiet()
        await client.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        third = await announce(server, admin, practice.id, "three")
        assert [e["sequence"] for e in await client.events(1)] == [third]


async def test_changed_access_ends_only_that_subscription_with_forbidden(
    server: Server, data: None
) -> None:
    # given a receptionist's live board
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    user = await factories.user(Role.RECEPTIONIST, practice)
    async with Client.connect(server, factories.access_token(user)) as client:
        await client.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        await announce(server, admin, practice.id, "before")
        await client.events(1)
        # when their role in the practice changes
        await Membership.filter(user_id=user.id).update(role=Role.HYGIENIST.value)
        await announce(server, admin, practice.id, "after")
        # then that subscription ends with FORBIDDEN and completes; the socket stays open
        ended = await client.recv()
        assert ended["type"] == "next"
        assert ended["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["FORBIDDEN"]
        assert await client.recv() == {"id": "b", "type": "complete"}
        assert await client.quiet()

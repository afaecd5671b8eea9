"""``dashboardChanged`` over a real WebSocket against a real server: a burst of twenty bookings
is announced at most twice (once at once, once at the window's end) and the last booking is in
the last event; money and recall changes name their areas (a fee schedule none); a
receptionist is refused and another organisation's practice answers like a random id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from db.outbox import PendingEvent
from db.uow import unit_of_work
from realtime import store
from services.policy import Role
from services.scheduling import booking, recalls
from tests import factories
from tests.realtime.harness import Client, Server, server_env
from tests.scheduling_fixtures import Diary, diary

WINDOW = 4.0  # the server's AESCRM_DASHBOARD_COALESCE_SECONDS
DASHBOARD = """
subscription D($practiceId: ID!) {
  dashboardChanged(practiceId: $practiceId) { practiceId areas changedAt sequence }
}"""


@pytest.fixture(scope="module")
def server(live_place: tuple[str, Path]) -> Iterator[Server]:
    env = server_env(*live_place, AESCRM_DASHBOARD_COALESCE_SECONDS=str(WINDOW))
    running = Server(env).start()
    yield running
    running.stop()


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


async def _subscribe(client: Client, practice_id: object) -> None:
    variables = {"practiceId": str(practice_id)}
    await client.send(
        {"id": "d", "type": "subscribe", "payload": {"query": DASHBOARD, "variables": variables}}
    )


async def _event(client: Client, wait: float) -> dict[str, Any]:
    message = await client.recv(wait)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    found: dict[str, Any] = message["payload"]["data"]["dashboardChanged"]
    return found


async def _book_twenty(d: Diary) -> float:
    """Twenty bookings through the booking service, each its own commit; returns how long the
    burst took."""
    principal = await d.principal()
    began = time.monotonic()
    for n in range(20):
        request = booking.BookingRequest(
            practice_id=d.practice.id,
            patient_id=d.patient.id,
            practitioner_id=d.dentist.id,
            appointment_type_id=d.exam.id,
            starts_at=d.at(1 + n // 10, 8 + n % 10),
        )
        await booking.book(principal, request=request)
    return time.monotonic() - began


async def test_a_burst_of_bookings_is_coalesced_and_its_last_change_announced(
    server: Server, data: None
) -> None:
    d = await diary()
    manager = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    async with Client.connect(server, manager) as dashboard:
        await _subscribe(dashboard, d.practice.id)
        await dashboard.quiet(0.5)  # subscribed, nothing yet
        took = await _book_twenty(d)
        last = await store.last_sequence(d.practice.id)
        events = [await _event(dashboard, 8)]
        while events[-1]["sequence"] < last:
            events.append(await _event(dashboard, WINDOW + 8))
        await dashboard.quiet(WINDOW + 1)  # nothing after the last change is announced
    # At most one event per window: the first booking at once, the rest at the window's end.
    assert len(events) <= (2 if took < WINDOW else 1 + int(took // WINDOW) + 1), (took, events)
    assert events[-1]["sequence"] == last  # the twentieth booking is announced
    for event in events:
        assert event["practiceId"] == str(d.practice.id)
        assert event["areas"] == ["DIARY", "RECALLS"]


async def test_money_and_recalls_name_their_areas(server: Server, data: None) -> None:
    d = await diary()
    manager = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    async with Client.connect(server, manager) as dashboard:
        await _subscribe(dashboard, d.practice.id)
        await dashboard.quiet(0.5)
        async with unit_of_work() as uow:  # what the invoices work emits when one is issued
            uow.emit(
                PendingEvent(
                    organization_id=d.practice.organization_id,  # type: ignore[arg-type]
                    practice_id=d.practice.id,  # type: ignore[arg-type]
                    topic="billing",
                    type="INVOICE_ISSUED",
                    entity_id=uuid4(),
                    patient_id=d.patient.id,  # type: ignore[arg-type]
                )
            )
        assert (await _event(dashboard, 8))["areas"] == ["MONEY"]
        # Inside the window: the recall and a fee schedule change wait for its end together.
        await recalls.set_recall(
            await d.principal(),
            practice_id=d.practice.id,
            patient_id=d.patient.id,
            kind="EXAM",
            interval_months=6,
            due_on=None,
        )
        async with unit_of_work() as uow:
            uow.emit(
                PendingEvent(
                    organization_id=d.practice.organization_id,  # type: ignore[arg-type]
                    practice_id=d.practice.id,  # type: ignore[arg-type]
                    topic="billing",
                    type="FEE_SCHEDULE_CHANGED",  # moves no figure
                    entity_id=uuid4(),
                )
            )
        trailing = await _event(dashboard, WINDOW + 8)
        assert trailing["areas"] == ["RECALLS"]
        assert trailing["sequence"] < await store.last_sequence(d.practice.id)


async def test_reception_is_refused(server: Server, data: None) -> None:
    d = await diary()
    async with Client.connect(server, d.token) as desk:  # the diary's receptionist
        await _subscribe(desk, d.practice.id)
        refused = await desk.recv(wait=8)
    assert refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_organisations_practice_answers_like_a_random_id(
    server: Server, data: None
) -> None:
    d, elsewhere = await diary(), await diary()
    manager = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    answers = []
    for practice_id in (elsewhere.practice.id, uuid4()):
        async with Client.connect(server, manager) as dashboard:
            await _subscribe(dashboard, practice_id)
            answers.append(await dashboard.recv(wait=8))
    assert answers[0]["type"] == "error", answers
    assert answers[0]["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    assert answers[0] == answers[1]

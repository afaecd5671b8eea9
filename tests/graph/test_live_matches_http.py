"""A live event answers exactly as the same selection does over HTTP: data, error codes and
messages, and what is audited — although the engine's subscription frames execute events
without Strawberry's schema extensions (``graph.engine.subscription_frames``).

Runs with the engine shortcuts on and, in ``make test``'s second pass, off.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from db.models import AuditEvent, AuditReadPatient
from tests import factories
from tests.graph.test_schedule_live import book
from tests.realtime.harness import Client, Server, graphql
from tests.scheduling_fixtures import Diary, diary, iso

SELECTION = (
    "id status needsCall callRequestedAt callReason clinicalNote receptionNotes"
    " patient { id lastName hasMedicalAlert }"
)
LIVE = (
    "subscription Live($practiceId: ID!) { scheduleChanged(practiceId: $practiceId) {"
    f" appointment {{ {SELECTION} }} }} }}"
)
BOARD = (
    "query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {"
    " schedule(practiceId: $practiceId, from: $from, to: $to) {"
    f" appointments {{ {SELECTION} }} }} }}"
)


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


def _errors(payload: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each error as (code, message, the field it sits on), paths differ only above the field."""
    return sorted(
        (e["extensions"]["code"], e["message"], str(e["path"][-1])) for e in payload["errors"]
    )


Row = tuple[str, str | None, tuple[str, ...]]


async def _audit(operation_fragment: str, actor: str) -> list[Row]:
    rows = await AuditEvent.filter(actor_user_id=actor, action__contains=operation_fragment)
    return sorted((r.outcome, r.entity_type, tuple(sorted(r.fields_read))) for r in rows)


async def _settled(fragment: str, actor: str) -> list[Row]:
    """The audit rows of an operation once they stop changing (live rows are written after)."""
    previous: list[Row] = []
    for _ in range(50):
        current = await _audit(fragment, actor)
        if current and current == previous:
            return current
        previous = current
        await asyncio.sleep(0.2)
    return previous


async def test_a_live_event_answers_and_audits_like_the_same_selection_over_http(
    server: Server, live_orm: None
) -> None:
    d: Diary = await diary()
    actor = str(d.receptionist.id)
    async with Client.connect(server, d.token) as desk:
        await desk.subscribe("live", d.practice.id, query=LIVE)
        appointment_id = await book(server, d, d.token, 11, clinicalNote="Sensitive: allergy.")
        message = await desk.recv(8)
    assert message["type"] == "next", message
    live = message["payload"]
    http = await graphql(
        server,
        BOARD,
        {"practiceId": str(d.practice.id), "from": iso(d.at(7, 0)), "to": iso(d.at(8, 0))},
        d.token,
    )
    (row,) = [a for a in http["data"]["schedule"]["appointments"] if a["id"] == appointment_id]
    assert live["data"]["scheduleChanged"]["appointment"] == row
    assert row["clinicalNote"] is None  # a receptionist: denied on both paths
    assert (
        _errors(live)
        == _errors(http)
        == [("FORBIDDEN", "You do not have permission to access this field.", "clinicalNote")]
    )
    live_rows = await _settled("subscription", actor)
    http_rows = await _settled("query", actor)
    # The same denial of clinicalNote on both paths. The patient shown is read with the same
    # fields: live, in a row naming the patient; the board, in the one row of its window,
    # which names every patient it showed (audit_read_patient).
    assert [r for r in live_rows if r[0] == "DENIED"] == [r for r in http_rows if r[0] == "DENIED"]
    (seen_live,) = [r for r in live_rows if r[0] == "OK"]
    (window,) = [r for r in http_rows if r[0] == "OK"]
    assert (seen_live[1], window[1]) == ("Patient", "Schedule")
    assert seen_live[2] == window[2]
    (live_read,) = await AuditEvent.filter(
        actor_user_id=actor, action__contains="subscription", outcome="OK"
    )
    (board_read,) = await AuditEvent.filter(actor_user_id=actor, entity_type="Schedule")
    linked = await AuditReadPatient.filter(audit_id=board_read.id).values_list(
        "patient_id", flat=True
    )
    assert [str(p) for p in linked] == [str(live_read.patient_id)]


async def test_each_subscription_audits_a_patient_once_however_many_events_show_them(
    server: Server, live_orm: None
) -> None:
    """Two sockets of one receptionist share their payloads (one encode key) and the numbering
    of audit keys, yet each audits on its own: every patient once per subscription, the
    clinical-note denial once per subscription, whatever the number of events."""
    d: Diary = await diary()
    other = await factories.patient(d.practice)
    actor = str(d.receptionist.id)
    async with Client.connect(server, d.token) as first, Client.connect(server, d.token) as second:
        await first.subscribe("first", d.practice.id, query=LIVE)
        await second.subscribe("second", d.practice.id, query=LIVE)
        await book(server, d, d.token, 9)
        await book(server, d, d.token, 10)  # the same patient again: nothing new to audit
        await book(server, d, d.token, 11, patientId=str(other.id))
        seen = [[await desk.recv(8) for _ in range(3)] for desk in (first, second)]
    for messages in seen:
        assert [m["type"] for m in messages] == ["next"] * 3, messages
        shown = [m["payload"]["data"]["scheduleChanged"]["appointment"] for m in messages]
        assert [a["patient"]["id"] for a in shown] == [
            str(d.patient.id),
            str(d.patient.id),
            str(other.id),
        ]
    rows = await _settled("subscription", actor)
    assert len([r for r in rows if r[0] == "OK"]) == 4  # two subscriptions, two patients each
    patients = await AuditEvent.filter(
        actor_user_id=actor, action__contains="subscription", outcome="OK"
    ).values_list("patient_id", flat=True)
    assert sorted(map(str, patients)) == sorted([str(d.patient.id), str(other.id)] * 2)
    assert len([r for r in rows if r[0] == "DENIED"]) == 2  # clinicalNote, once per socket

"""The board's bulk completion (graph.engine.execution.PlainList) answers as graphql-core would.

Each document runs twice per principal: once as served (the fast path) and once with the fast
path declined, so graphql-core completes the same objects field by field. Data, errors (message,
code, path, locations) and the audit records written must be identical, for a receptionist, a
dentist and a patient.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from db.models import Appointment, SlotHold
from graph.engine.execution import PlainList
from services import runtime
from services.auth import clients
from services.policy import Role
from services.scheduling.booking import clinical_context, notes_context
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.realtime.harness import ENGINE_SHORTCUTS
from tests.scheduling_fixtures import Diary, diary

# This module tests the shortcut itself (fast path against graphql-core's own completion).
pytestmark = pytest.mark.skipif(
    ENGINE_SHORTCUTS == "false", reason="tests the engine shortcut, which is switched off"
)

DAY = datetime(2030, 1, 15, tzinfo=UTC)
WINDOW = {"from": "2030-01-15T00:00:00Z", "to": "2030-01-16T00:00:00Z"}

EVERYTHING = """
query Everything($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    startsAt endsAt
    appointments {
      __typename id startsAt endsAt status source lateCancellation receptionNotes clinicalNote
      needsCall callRequestedAt callReason
      patient { __typename id firstName lastName preferredName hasMedicalAlert }
      practitioner { __typename id displayName colour }
      room { __typename id name }
      appointmentType { __typename id name colour }
    }
    holds { __typename id practitionerId roomId startsAt endsAt expiresAt status }
  }
}"""
TRICKY = """
query Tricky($practiceId: ID!, $from: DateTime!, $to: DateTime!, $notes: Boolean!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments {
      ...Slot
      note: clinicalNote @include(if: $notes)
      again: clinicalNote
      who: patient { name: lastName, ...Alert }
      patient { id }
      room @skip(if: $notes) { name }
      appointmentType { id } appointmentType { name }
    }
  }
}
fragment Slot on ScheduleAppointment {
  key: id startsAt ... on ScheduleAppointment { status call: needsCall why: callReason }
}
fragment Alert on BoardPatient { hasMedicalAlert first: firstName }
"""
BENCH = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id startsAt endsAt status
      patient { id firstName lastName hasMedicalAlert }
      practitioner { id displayName colour } room { id name } appointmentType { id name colour } }
  }
}"""
DOCUMENTS = [
    pytest.param(EVERYTHING, {}, id="every-field"),
    pytest.param(TRICKY, {"notes": True}, id="aliases-fragments-include"),
    pytest.param(TRICKY, {"notes": False}, id="aliases-fragments-skip"),
    pytest.param(BENCH, {}, id="bench-query"),
]


async def _board(d: Diary) -> Any:
    """Four appointments (two for d.patient, with clinical notes; two awaiting a call) and a
    live hold."""
    other = await factories.patient(d.practice, first_name="Bob", preferred_name="Bobby")
    for n, (patient, room) in enumerate(
        [(d.patient, d.room), (other, d.room2), (d.patient, d.room2), (other, d.room)]
    ):
        row = Appointment(
            practice_id=d.practice.id,
            patient_id=patient.id,
            practitioner_id=d.dentist.id,
            room_id=room.id,
            appointment_type_id=(d.exam if n % 2 else d.filler).id,
            starts_at=DAY + timedelta(hours=9 + n),
            ends_at=DAY + timedelta(hours=9 + n, minutes=30),
            late_cancellation=n == 3,
            status="CANCELLED" if n == 3 else "BOOKED",
        )
        if n in (1, 2):  # the patient asked for a call (an SMS reply)
            row.call_requested_at = DAY - timedelta(hours=n)
            row.call_reason = "DECLINED" if n == 1 else "NOT_CONFIRMABLE"
        if n % 2:
            row.reception_notes = runtime.keyring().encrypt(
                f"Desk note {n}", notes_context(row, "reception_notes")
            )
        if n < 3:
            row.clinical_note = runtime.keyring().encrypt(f"Note {n}.", clinical_context(row))
        await row.save()
    await SlotHold.create(
        practice_id=d.practice.id,
        practitioner_id=d.dentist.id,
        room_id=d.room.id,
        starts_at=DAY + timedelta(hours=15),
        ends_at=DAY + timedelta(hours=15, minutes=30),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        held_by_id=d.receptionist.id,
    )
    return other


@pytest.fixture
def audit_records(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Audit records as written (without the time and request of each)."""
    from services import audit

    written: list[dict[str, Any]] = []
    real = audit.write

    async def capture(records: list[Any]) -> None:
        for record in records:
            values = dataclasses.asdict(record)
            for volatile in ("occurred_at", "request_id", "ip", "user_agent"):
                values.pop(volatile)
            written.append(values)
        await real(records)

    monkeypatch.setattr(audit, "write", capture)
    return written


@pytest.fixture
def fast_path(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts bulk completions, and lets a test decline them (graphql-core's own path)."""
    state = {"completed": 0, "declined": 0, "decline": 0}
    real = PlainList.complete

    def complete(self: PlainList, *args: Any) -> list[Any] | None:
        if state["decline"]:
            return None
        done = real(self, *args)
        state["completed" if done is not None else "declined"] += 1
        return done

    monkeypatch.setattr(PlainList, "complete", complete)
    return state


async def _both(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any],
    token: str,
    fast_path: dict[str, int],
    audit_records: list[dict[str, Any]],
) -> tuple[GraphQLResult, list[dict[str, Any]]]:
    fast_path["decline"] = 1
    slow = await gql(client, document, variables, token=token)
    slow_audit = list(audit_records)
    audit_records.clear()
    fast_path["decline"] = 0
    before = fast_path["completed"]
    fast = await gql(client, document, variables, token=token)
    assert fast_path["completed"] > before, "the fast path did not run"
    assert fast_path["declined"] == 0, "the fast path declined a board selection"
    assert fast.status == slow.status
    assert fast.body == slow.body  # data, and errors with message, code, path and locations
    assert audit_records == slow_audit
    return fast, list(audit_records)


def _forbidden(result: GraphQLResult) -> list[list[Any]]:
    return [e["path"] for e in result.errors if e["extensions"]["code"] == "FORBIDDEN"]


@pytest.mark.parametrize(("document", "extra"), DOCUMENTS)
async def test_receptionist_board_matches_and_carries_no_clinical_fields(
    client: httpx.AsyncClient,
    fast_path: dict[str, int],
    audit_records: list[dict[str, Any]],
    document: str,
    extra: dict[str, Any],
) -> None:
    d = await diary()
    other = await _board(d)
    variables = {"practiceId": str(d.practice.id), **WINDOW, **extra}
    result, audited = await _both(client, document, variables, d.token, fast_path, audit_records)
    appointments = result.data["schedule"]["appointments"]
    assert len(appointments) == 4
    if "needsCall" in appointments[0]:  # the call requests, as seeded, on both paths
        calls = [(a["needsCall"], a["callReason"]) for a in appointments]
        assert calls == [
            (False, None),
            (True, "DECLINED"),
            (True, "NOT_CONFIRMABLE"),
            (False, None),
        ]
    for appointment in appointments:
        assert appointment.get("clinicalNote") is None
        assert appointment.get("note") is None
        assert appointment.get("again") is None
    asked = [k for k in ("clinicalNote", "note", "again") if k in appointments[0]]
    expected = [["schedule", "appointments", i, k] for i in range(4) for k in asked]
    assert _forbidden(result) == expected
    # One row for all the denied clinical notes of the request, counting the attempts.
    denials = [r for r in audited if r["outcome"] == "DENIED"]
    assert len(denials) == (1 if expected else 0)
    for denial in denials:
        assert denial["fields_read"] == ["ScheduleAppointment.clinicalNote", "clinical:read"]
        assert denial["entity_type"] == "ScheduleAppointment"
        assert denial["entity_id"] == f"{len(expected)} attempts"
        assert denial["patient_id"] is None  # two patients were concerned
        assert denial["practice_id"] == d.practice.id
    reads = [r for r in audited if r["outcome"] == "OK"]
    # One row for the board read, naming each patient shown (two patients on this board).
    (read,) = reads
    assert read["entity_type"] == "Schedule"
    assert read["patient_id"] is None
    # As the text the rows carry (``Board.shown_patients``): the links are text either way.
    assert sorted(map(str, read["patient_ids"])) == sorted({str(d.patient.id), str(other.id)})


@pytest.mark.parametrize(("document", "extra"), DOCUMENTS)
async def test_dentist_board_matches_and_reads_clinical_notes(
    client: httpx.AsyncClient,
    fast_path: dict[str, int],
    audit_records: list[dict[str, Any]],
    document: str,
    extra: dict[str, Any],
) -> None:
    d = await diary()
    await _board(d)
    token = factories.access_token(d.dentist_user)
    variables = {"practiceId": str(d.practice.id), **WINDOW, **extra}
    result, audited = await _both(client, document, variables, token, fast_path, audit_records)
    assert result.errors == []
    appointments = result.data["schedule"]["appointments"]
    if "clinicalNote" in appointments[0]:
        notes = [a["clinicalNote"] for a in appointments]
        assert notes == ["Note 0.", "Note 1.", "Note 2.", None]
    assert all(r["outcome"] == "OK" for r in audited)


@pytest.mark.parametrize(("document", "extra"), DOCUMENTS)
async def test_patient_board_matches_and_holds_only_their_own_rows(
    client: httpx.AsyncClient,
    fast_path: dict[str, int],
    audit_records: list[dict[str, Any]],
    document: str,
    extra: dict[str, Any],
) -> None:
    d = await diary()
    await _board(d)
    user = await factories.user(Role.PATIENT, d.practice, patient_id=d.patient.id)
    token = factories.access_token(user)
    variables = {"practiceId": str(d.practice.id), **WINDOW, **extra}
    result, _ = await _both(client, document, variables, token, fast_path, audit_records)
    assert result.errors == []
    appointments = result.data["schedule"]["appointments"]
    assert len(appointments) == 2
    if "patient" in appointments[0]:
        assert {a["patient"]["id"] for a in appointments} == {str(d.patient.id)}
    if "clinicalNote" in appointments[0]:
        assert [a["clinicalNote"] for a in appointments] == ["Note 0.", "Note 2."]
    if "holds" in result.data["schedule"]:
        assert result.data["schedule"]["holds"] == []


async def test_a_patient_of_another_practice_sees_no_board(
    client: httpx.AsyncClient, fast_path: dict[str, int], audit_records: list[dict[str, Any]]
) -> None:
    d = await diary()
    await _board(d)
    elsewhere = await diary()
    stranger = await factories.patient(elsewhere.practice)
    user = await factories.user(Role.PATIENT, elsewhere.practice, patient_id=stranger.id)
    variables = {"practiceId": str(d.practice.id), **WINDOW}
    result = await gql(client, BENCH, variables, token=factories.access_token(user))
    assert result.codes == ["NOT_FOUND"]
    assert result.data is None or result.data["schedule"] is None


async def test_a_partner_without_patient_read_gets_each_patient_denied_and_one_audit_row(
    client: httpx.AsyncClient, fast_path: dict[str, int], audit_records: list[dict[str, Any]]
) -> None:
    d = await diary()
    await _board(d)
    registered = await clients.register(
        organization_id=d.practice.organization_id,
        name="Board display",
        scopes=["schedule:read"],
        practice_ids=[d.practice.id],
    )
    form = {"grant_type": "client_credentials"}
    raw = base64.b64encode(f"{registered.client_id}:{registered.client_secret}".encode()).decode()
    issued = await client.post("/oauth/token", data=form, headers={"authorization": f"Basic {raw}"})
    token = issued.json()["access_token"]
    audit_records.clear()  # the token's own audit row
    variables = {"practiceId": str(d.practice.id), **WINDOW}
    result, audited = await _both(client, BENCH, variables, token, fast_path, audit_records)
    appointments = result.data["schedule"]["appointments"]
    assert [a["patient"] for a in appointments] == [None] * 4
    assert _forbidden(result) == [["schedule", "appointments", i, "patient"] for i in range(4)]
    (denial,) = [r for r in audited if r["outcome"] == "DENIED"]
    assert denial["fields_read"] == ["ScheduleAppointment.patient", "patient:read"]
    assert denial["entity_id"] == "4 attempts"
    assert denial["client_id"] == registered.client_id

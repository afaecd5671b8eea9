"""The board: constant statements for 10 or 500 appointments; the workflow table; holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest

from db.models import Appointment, AuditEvent, AuditReadPatient, ScheduleBlock
from services.scheduling.diary_access import settings_for
from services.scheduling.workflow import TRANSITIONS, Status, allowed
from tests import factories
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.scheduling_fixtures import diary, iso
from tests.sql_counter import count_statements

BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id startsAt status needsCall callRequestedAt callReason
      patient { firstName lastName hasMedicalAlert }
      practitioner { displayName } room { name } appointmentType { name } }
    holds { id }
  }
}"""
STATUS = """
mutation S($input: SetAppointmentStatusInput!) {
  setAppointmentStatus(input: $input) { appointment { status arrivedAt seatedAt completedAt } }
}"""
CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status lateCancellation cancelReason } }
}"""


async def _fill(d: object, count: int) -> None:
    practice, dentist, room, exam = d.practice, d.dentist, d.room, d.exam  # type: ignore[attr-defined]
    patient = await factories.patient(practice)
    base = datetime(2030, 1, 15, 0, tzinfo=UTC)
    rows = [
        Appointment(
            practice_id=practice.id,
            patient_id=patient.id,
            practitioner_id=dentist.id,
            room_id=room.id,
            appointment_type_id=exam.id,
            starts_at=base + timedelta(minutes=2 * n),
            ends_at=base + timedelta(minutes=2 * n + 1),
            # Every third patient asked for a call: read by the same one statement.
            call_requested_at=base - timedelta(hours=1) if n % 3 == 0 else None,
            call_reason="DECLINED" if n % 3 == 0 else None,
        )
        for n in range(count)
    ]
    await Appointment.bulk_create(rows)


@pytest.mark.parametrize("count", [10, 500])
async def test_board_costs_the_same_statements_for_10_or_500(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    d = await diary()
    await _fill(d, count)
    variables = {
        "practiceId": str(d.practice.id),
        "from": "2030-01-15T00:00:00Z",
        "to": "2030-01-16T00:00:00Z",
    }
    with count_statements(monkeypatch) as statements:
        result = await gql(client, BOARD, variables, token=d.token)
    assert result.errors == []
    assert len(result.data["schedule"]["appointments"]) == count
    calls = [a["callReason"] for a in result.data["schedule"]["appointments"] if a["needsCall"]]
    assert calls == ["DECLINED"] * len(range(0, count, 3))
    board = statements.matching("FROM appointment a JOIN patient")
    assert len(board) == 1
    assert len(statements) <= 12  # auth, board, holds, one audit batch
    assert len(statements.matching("appointment")) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_board_read_is_one_audit_row_naming_each_patient_shown(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many patients a board shows: one audit row, their links, constant statements."""
    d = await diary()
    variables = {
        "practiceId": str(d.practice.id),
        "from": "2030-01-15T00:00:00Z",
        "to": "2030-01-16T00:00:00Z",
    }
    assert (await gql(client, BOARD, variables, token=d.token)).errors == []  # opens the chain
    shown: list[UUID] = []
    counts = {}
    for patients in (3, 40):
        for _ in range(patients - len(shown)):
            patient = await factories.patient(d.practice)
            shown.append(UUID(str(patient.id)))
            await Appointment.create(
                practice_id=d.practice.id,
                patient_id=patient.id,
                practitioner_id=d.dentist.id,
                room_id=d.room.id,
                appointment_type_id=d.exam.id,
                starts_at=datetime(2030, 1, 15, 8, tzinfo=UTC) + timedelta(minutes=5 * len(shown)),
                ends_at=datetime(2030, 1, 15, 8, 4, tzinfo=UTC) + timedelta(minutes=5 * len(shown)),
            )
        with count_statements(monkeypatch) as statements:
            assert (await gql(client, BOARD, variables, token=d.token)).errors == []
        counts[patients] = statements
        assert len(statements.matching('INSERT INTO "audit_event"')) == 1
        assert len(statements.matching("INSERT INTO audit_read_patient")) == 1
    assert len(counts[3]) == len(counts[40])
    reads = await AuditEvent.filter(actor_user_id=d.receptionist.id, action="READ query Board")
    assert [(r.entity_type, r.patient_id) for r in reads] == [("Schedule", None)] * 3
    latest = max(reads, key=lambda r: r.seq)
    linked = await AuditReadPatient.filter(audit_id=latest.id).values_list("patient_id", flat=True)
    assert sorted(UUID(str(p)) for p in linked) == sorted(shown)


def test_the_workflow_table() -> None:
    expected = {
        ("BOOKED", "CONFIRMED"),
        ("BOOKED", "CANCELLED"),
        ("BOOKED", "DID_NOT_ATTEND"),
        ("CONFIRMED", "ARRIVED"),
        ("CONFIRMED", "CANCELLED"),
        ("CONFIRMED", "DID_NOT_ATTEND"),
        ("ARRIVED", "IN_SURGERY"),
        ("IN_SURGERY", "COMPLETED"),
    }
    found = {(a.value, b.value) for a in Status for b in Status if allowed(a, b)}
    assert found == expected
    assert set(TRANSITIONS) == set(Status)


async def test_walk_through_the_workflow_and_refuse_going_back(client: httpx.AsyncClient) -> None:
    d = await diary()
    made = await gql(client, BOOK, booking(d, iso(d.at(3, 10))), token=d.token)
    appointment_id = made.data["bookAppointment"]["appointment"]["id"]
    for status in ("CONFIRMED", "ARRIVED", "IN_SURGERY", "COMPLETED"):
        step = await gql(
            client,
            STATUS,
            {"input": {"appointmentId": appointment_id, "status": status}},
            token=d.token,
        )
        assert step.errors == [], status
    final = step.data["setAppointmentStatus"]["appointment"]
    assert final["arrivedAt"]
    assert final["seatedAt"]
    assert final["completedAt"]
    back = await gql(
        client,
        STATUS,
        {"input": {"appointmentId": appointment_id, "status": "BOOKED"}},
        token=d.token,
    )
    assert back.codes == ["CONFLICT"]
    assert (await Appointment.get(id=appointment_id)).status == "COMPLETED"
    from db.models import Recall

    assert await Recall.filter(patient_id=d.patient.id, kind="EXAM").count() == 1


async def test_cancelling_frees_the_slot_and_flags_late_cancellations(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    # Tomorrow at 8 is 8 to 33 hours away, whatever the clock says: inside a 48-hour notice.
    settings = await settings_for(d.practice.id)
    settings.late_cancel_hours = 48
    await settings.save()
    made = await gql(client, BOOK, booking(d, iso(d.at(1, 8, 0))), token=d.token)
    appointment_id = made.data["bookAppointment"]["appointment"]["id"]
    no_reason = await gql(
        client, CANCEL, {"input": {"appointmentId": appointment_id, "reason": " "}}, token=d.token
    )
    assert no_reason.codes == ["BAD_USER_INPUT"]
    done = await gql(
        client,
        CANCEL,
        {"input": {"appointmentId": appointment_id, "reason": "Unwell"}},
        token=d.token,
    )
    assert done.data["cancelAppointment"]["appointment"] == {
        "status": "CANCELLED",
        "lateCancellation": True,
        "cancelReason": "Unwell",
    }
    assert await ScheduleBlock.filter(appointment_id=appointment_id).count() == 0
    again = await gql(
        client, CANCEL, {"input": {"appointmentId": appointment_id, "reason": "x"}}, token=d.token
    )
    assert again.codes == ["CONFLICT"]


async def test_breach_impact_lists_the_patients_a_board_read_showed(
    client: httpx.AsyncClient,
) -> None:
    """One audit row per board read, yet the patients it showed are named in a breach report."""
    from services.consent import breach
    from services.policy import Role
    from tests.services.test_consent_ledger import as_principal

    d = await diary()
    await _fill(d, 3)  # one patient, three visits on 15 January
    shown = await Appointment.filter(practice_id=d.practice.id).first()
    assert shown is not None
    seen = UUID(str(shown.patient_id))
    elsewhere = await factories.patient(d.practice)  # a visit on another day: not on this board
    await Appointment.create(
        practice_id=d.practice.id,
        patient_id=elsewhere.id,
        practitioner_id=d.dentist.id,
        room_id=d.room.id,
        appointment_type_id=d.exam.id,
        starts_at=datetime(2030, 1, 17, 9, tzinfo=UTC),
        ends_at=datetime(2030, 1, 17, 9, 30, tzinfo=UTC),
    )
    variables = {
        "practiceId": str(d.practice.id),
        "from": "2030-01-15T00:00:00Z",
        "to": "2030-01-16T00:00:00Z",
    }
    started = datetime.now(UTC)
    assert (await gql(client, BOARD, variables, token=d.token)).errors == []
    admin = await as_principal(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    touched = await breach.impact(
        admin,
        user_id=d.receptionist.id,
        client_id=None,
        since=started - timedelta(minutes=1),
        until=datetime.now(UTC) + timedelta(minutes=1),
    )
    assert [(t.patient_id, t.reads, t.changes) for t in touched] == [(seen, 1, 0)]

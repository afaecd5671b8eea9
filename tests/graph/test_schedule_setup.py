"""Changing and retiring the diary's set-up: rooms, appointment types and practitioners are
archived (never deleted) and refused while future bookings use them; sessions, absences and
closures are changed or removed. Another practice's ids answer NOT_FOUND like random ones, and
bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from db.models import (
    Absence,
    AppointmentType,
    AuditEvent,
    Closure,
    DomainEvent,
    Practitioner,
    Room,
    WorkingSession,
)
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.graph.test_schedule_sessions import (
    DAY,
    admin_token,
    bare_practitioner,
    grid,
    local,
    starts,
)
from tests.scheduling_fixtures import Diary, diary, iso


def _mutation(name: str, input_type: str) -> str:
    return f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ id }} }}"


UPDATE_ROOM = _mutation("updateRoom", "UpdateRoomInput")
ARCHIVE_ROOM = _mutation("archiveRoom", "ArchiveRoomInput")
UPDATE_PRACTITIONER = _mutation("updatePractitioner", "UpdatePractitionerInput")
DEACTIVATE_PRACTITIONER = _mutation("deactivatePractitioner", "DeactivatePractitionerInput")
UPDATE_TYPE = _mutation("updateAppointmentType", "UpdateAppointmentTypeInput")
ARCHIVE_TYPE = _mutation("archiveAppointmentType", "ArchiveAppointmentTypeInput")
UPDATE_SESSION = _mutation("updateWorkingSession", "UpdateWorkingSessionInput")
REMOVE_SESSION = _mutation("removeWorkingSession", "RemoveWorkingSessionInput")
UPDATE_ABSENCE = _mutation("updateAbsence", "UpdateAbsenceInput")
REMOVE_ABSENCE = _mutation("removeAbsence", "RemoveAbsenceInput")
UPDATE_CLOSURE = _mutation("updateClosure", "UpdateClosureInput")
REMOVE_CLOSURE = _mutation("removeClosure", "RemoveClosureInput")
UNKNOWN = "0b0e6d4c-1111-4a4a-9b9b-123456789abc"


async def run(client: httpx.AsyncClient, document: str, values: dict[str, Any], token: str) -> Any:
    return await gql(client, document, {"input": values}, token=token)


async def actions(d: Diary) -> list[str]:
    rows = await AuditEvent.filter(practice_id=d.practice.id).order_by("seq")
    return [r.action for r in rows]


async def time_off(d: Diary) -> tuple[Absence, Closure]:
    absence = await Absence.create(
        practice_id=d.practice.id,
        practitioner_id=d.dentist.id,
        kind="TRAINING",
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 12),
    )
    closure = await Closure.create(
        practice_id=d.practice.id,
        starts_at=local(DAY, 15),
        ends_at=local(DAY, 16),
        reason="Fire drill",
    )
    return absence, closure


def edits(d: Diary, session: WorkingSession, absence: Absence, closure: Closure) -> dict[str, Any]:
    """A valid input for each update and archive/remove mutation, keyed by document."""
    practice = str(d.practice.id)
    return {
        UPDATE_ROOM: {"practiceId": practice, "roomId": str(d.room2.id), "name": "Chair 2"},
        ARCHIVE_ROOM: {"practiceId": practice, "roomId": str(d.room2.id)},
        UPDATE_PRACTITIONER: {
            "practiceId": practice,
            "practitionerId": str(d.dentist.id),
            "role": "HYGIENIST",
            "colour": "#000000",
        },
        DEACTIVATE_PRACTITIONER: {"practiceId": practice, "practitionerId": str(d.dentist.id)},
        UPDATE_TYPE: {
            "practiceId": practice,
            "appointmentTypeId": str(d.filler.id),
            "name": "Filler",
            "durationMinutes": 60,
        },
        ARCHIVE_TYPE: {"practiceId": practice, "appointmentTypeId": str(d.filler.id)},
        UPDATE_SESSION: {
            "practiceId": practice,
            "sessionId": str(session.id),
            "weekday": session.weekday,
            "startMinute": 9 * 60,
            "endMinute": 12 * 60,
            "validFrom": "2020-01-01",
        },
        REMOVE_SESSION: {"practiceId": practice, "sessionId": str(session.id)},
        UPDATE_ABSENCE: {
            "practiceId": practice,
            "absenceId": str(absence.id),
            "kind": "SICKNESS",
            "startsAt": iso(local(DAY, 9)),
            "endsAt": iso(local(DAY, 10)),
        },
        REMOVE_ABSENCE: {"practiceId": practice, "absenceId": str(absence.id)},
        UPDATE_CLOSURE: {
            "practiceId": practice,
            "closureId": str(closure.id),
            "startsAt": iso(local(DAY, 16)),
            "endsAt": iso(local(DAY, 17)),
            "reason": "Inspection",
        },
        REMOVE_CLOSURE: {"practiceId": practice, "closureId": str(closure.id)},
    }


ID_FIELDS = (
    "roomId",
    "practitionerId",
    "appointmentTypeId",
    "sessionId",
    "absenceId",
    "closureId",
)


async def test_rooms_types_and_practitioners_are_changed_and_archived(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    practice = str(d.practice.id)
    renamed = await run(
        client,
        UPDATE_ROOM,
        {"practiceId": practice, "roomId": str(d.room2.id), "name": "Chair"},
        admin,
    )
    assert renamed.errors == []
    room = await Room.get(id=d.room2.id)
    assert (room.name, room.colour) == ("Chair", "#9e9e9e")  # null colour keeps the current one
    clash = {"practiceId": practice, "roomId": str(d.room2.id), "name": "Surgery 1"}
    assert (await run(client, UPDATE_ROOM, clash, admin)).codes == ["CONFLICT"]
    changed = await run(
        client,
        UPDATE_TYPE,
        {
            "practiceId": practice,
            "appointmentTypeId": str(d.exam.id),
            "name": "Check-up",
            "durationMinutes": 20,
            "bufferAfterMinutes": 10,
            "recallKind": "EXAM",
        },
        admin,
    )
    assert changed.errors == []
    kind = await AppointmentType.get(id=d.exam.id)
    assert (kind.name, kind.duration_minutes, kind.buffer_after_minutes) == ("Check-up", 20, 10)
    colleague = await bare_practitioner(d)
    moved = await run(
        client,
        UPDATE_PRACTITIONER,
        {
            "practiceId": practice,
            "practitionerId": str(colleague.id),
            "role": "HYGIENIST",
            "colour": "#123456",
            "defaultRoomId": str(d.room.id),
        },
        admin,
    )
    assert moved.errors == []
    found = await Practitioner.get(id=colleague.id)
    assert (found.role, found.colour, found.default_room_id) == ("HYGIENIST", "#123456", d.room.id)
    # A future booking holds the dentist, the exam type and the dentist's room.
    assert (await gql(client, BOOK, booking(d, iso(local(DAY, 10))), token=d.token)).errors == []
    practice_only = {"practiceId": practice}
    held = [
        (ARCHIVE_ROOM, {**practice_only, "roomId": str(d.room.id)}),
        (ARCHIVE_TYPE, {**practice_only, "appointmentTypeId": str(d.exam.id)}),
        (DEACTIVATE_PRACTITIONER, {**practice_only, "practitionerId": str(d.dentist.id)}),
    ]
    for document, values in held:
        refused = await run(client, document, values, admin)
        assert refused.codes == ["CONFLICT"], (document, refused.errors)
    assert (await Room.get(id=d.room.id)).active
    free = [
        (ARCHIVE_ROOM, {**practice_only, "roomId": str(d.room2.id)}),
        (ARCHIVE_TYPE, {**practice_only, "appointmentTypeId": str(d.filler.id)}),
        (DEACTIVATE_PRACTITIONER, {**practice_only, "practitionerId": str(colleague.id)}),
    ]
    for document, values in free:
        assert (await run(client, document, values, admin)).errors == [], document
    assert not (await Room.get(id=d.room2.id)).active
    assert not (await AppointmentType.get(id=d.filler.id)).active
    assert not (await Practitioner.get(id=colleague.id)).active
    # Archived items take no new bookings; the rows stay.
    later = booking(d, iso(local(DAY, 14)), appointmentTypeId=str(d.filler.id))
    assert (await gql(client, BOOK, later, token=d.token)).codes != []
    assert [a for a in await actions(d) if not a.startswith(("BOOK", "READ"))][-6:] == [
        "UPDATE_ROOM",
        "UPDATE_APPOINTMENT_TYPE",
        "UPDATE_PRACTITIONER",
        "ARCHIVE_ROOM",
        "ARCHIVE_APPOINTMENT_TYPE",
        "DEACTIVATE_PRACTITIONER",
    ]
    audited = await AuditEvent.filter(practice_id=d.practice.id, action="UPDATE_ROOM").first()
    assert audited is not None
    assert audited.fields_read == ["name"]


async def test_sessions_absences_and_closures_are_changed_and_removed(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    practice = str(d.practice.id)
    absence, closure = await time_off(d)
    assert await starts(client, d) == grid("08:00", "09:30") + grid("12:00", "14:30") + grid(
        "16:00", "17:30"
    )
    session = await WorkingSession.get(practitioner_id=d.dentist.id, weekday=DAY.weekday())
    values = edits(d, session, absence, closure)
    for document in (UPDATE_SESSION, UPDATE_ABSENCE, UPDATE_CLOSURE):
        assert (await run(client, document, values[document], admin)).errors == [], document
    # 09:00-12:00 worked, absent 09:00-10:00; the closure moved to the afternoon.
    assert await starts(client, d) == grid("10:00", "11:30")
    for document in (REMOVE_ABSENCE, REMOVE_CLOSURE):
        assert (await run(client, document, values[document], admin)).errors == [], document
    assert await starts(client, d) == grid("09:00", "11:30")
    assert not await Absence.exists(id=absence.id)
    assert not await Closure.exists(id=closure.id)
    # A session with a future booking inside it stays.
    assert (await gql(client, BOOK, booking(d, iso(local(DAY, 10))), token=d.token)).errors == []
    refused = await run(client, REMOVE_SESSION, values[REMOVE_SESSION], admin)
    assert refused.codes == ["CONFLICT"]
    other = await WorkingSession.get(practitioner_id=d.dentist.id, weekday=(DAY.weekday() + 1) % 7)
    spare = {"practiceId": practice, "sessionId": str(other.id)}
    assert (await run(client, REMOVE_SESSION, spare, admin)).errors == []
    assert await starts(client, d, DAY + timedelta(days=1)) == []
    assert await WorkingSession.exists(id=session.id)
    done = await actions(d)
    for action in (
        "UPDATE_WORKING_SESSION",
        "UPDATE_ABSENCE",
        "UPDATE_CLOSURE",
        "REMOVE_ABSENCE",
        "REMOVE_CLOSURE",
        "REMOVE_WORKING_SESSION",
    ):
        assert done.count(action) == 1, action


async def test_every_change_is_announced_to_boards_without_patient_data(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    absence, closure = await time_off(d)
    session = await WorkingSession.get(practitioner_id=d.dentist.id, weekday=DAY.weekday())
    for document, values in edits(d, session, absence, closure).items():
        assert (await run(client, document, values, admin)).errors == [], document
    rows = await DomainEvent.filter(practice_id=d.practice.id).order_by("sequence")
    assert {(r.type, r.topic, r.patient_id) for r in rows} == {("setup.changed", "schedule", None)}
    seen = [(r.payload["entity"], r.payload["change"], r.entity_id) for r in rows]
    assert seen == [
        ("ROOM", "UPDATED", d.room2.id),
        ("ROOM", "ARCHIVED", d.room2.id),
        ("PRACTITIONER", "UPDATED", d.dentist.id),
        ("PRACTITIONER", "ARCHIVED", d.dentist.id),
        ("APPOINTMENT_TYPE", "UPDATED", d.filler.id),
        ("APPOINTMENT_TYPE", "ARCHIVED", d.filler.id),
        ("WORKING_SESSION", "UPDATED", session.id),
        ("WORKING_SESSION", "REMOVED", session.id),
        ("ABSENCE", "UPDATED", absence.id),
        ("ABSENCE", "REMOVED", absence.id),
        ("CLOSURE", "UPDATED", closure.id),
        ("CLOSURE", "REMOVED", closure.id),
    ]
    assert all(r.payload["affected_appointment_ids"] == [] for r in rows)


async def test_another_practices_ids_are_not_found_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    other = await diary()
    admin = await admin_token(d)
    absence, closure = await time_off(other)
    session = await WorkingSession.filter(practitioner_id=other.dentist.id).first()
    assert session is not None
    theirs = edits(other, session, absence, closure)
    before = await actions(d), await actions(other)
    for document, values in theirs.items():
        mine = {**values, "practiceId": str(d.practice.id)}  # my practice, their row's id
        result = await run(client, document, mine, admin)
        assert result.codes == ["NOT_FOUND"], (document, result.errors)
        random = {k: UNKNOWN if k in ID_FIELDS else v for k, v in mine.items()}
        unknown = await run(client, document, random, admin)
        assert unknown.codes == ["NOT_FOUND"], (document, unknown.errors)
        assert unknown.errors[0]["message"] == result.errors[0]["message"]
        # Their own practice id is not mine to use either.
        assert (await run(client, document, values, admin)).codes == ["NOT_FOUND"]
    assert (await actions(d), await actions(other)) == before
    assert (await Room.get(id=other.room2.id)).name == "Surgery 2"
    assert (await Practitioner.get(id=other.dentist.id)).active
    assert (await AppointmentType.get(id=other.filler.id)).active
    assert await Absence.exists(id=absence.id)
    assert await Closure.exists(id=closure.id)
    assert (await WorkingSession.get(id=session.id)).start_minute == 8 * 60


async def test_bad_update_input_changes_nothing(client: httpx.AsyncClient) -> None:
    d = await diary()
    admin = await admin_token(d)
    absence, closure = await time_off(d)
    session = await WorkingSession.get(practitioner_id=d.dentist.id, weekday=DAY.weekday())
    good = edits(d, session, absence, closure)
    cases = [
        (UPDATE_ROOM, {"name": "  "}, "name"),
        (UPDATE_ROOM, {"colour": "red"}, "colour"),
        (UPDATE_PRACTITIONER, {"colour": "#12"}, "colour"),
        (UPDATE_TYPE, {"durationMinutes": 2}, "durationMinutes"),
        (UPDATE_TYPE, {"bufferAfterMinutes": 500}, "bufferAfterMinutes"),
        (UPDATE_SESSION, {"weekday": 9}, "weekday"),
        (UPDATE_SESSION, {"endMinute": 8 * 60}, "endMinute"),
        (UPDATE_SESSION, {"validUntil": "2019-01-01"}, "validUntil"),
        (UPDATE_ABSENCE, {"endsAt": iso(local(DAY, 8))}, "endsAt"),
        (UPDATE_CLOSURE, {"reason": ""}, "reason"),
        (UPDATE_CLOSURE, {"endsAt": iso(local(DAY, 14))}, "endsAt"),
    ]
    before = await actions(d)
    events_before = await DomainEvent.filter(practice_id=d.practice.id).count()
    for document, change, field in cases:
        result = await run(client, document, {**good[document], **change}, admin)
        assert result.codes == ["BAD_USER_INPUT"], (change, result.errors)
        assert result.errors[0]["extensions"].get("field") == field, change
    # Roles and kinds are enums: a value outside them is refused before any resolver runs.
    not_in_enum = [
        (UPDATE_PRACTITIONER, {"role": "WIZARD"}),
        (UPDATE_TYPE, {"allowedRoles": ["WIZARD"]}),
        (UPDATE_TYPE, {"recallKind": "DAILY"}),
        (UPDATE_ABSENCE, {"kind": "BEACH"}),
    ]
    for document, change in not_in_enum:
        result = await run(client, document, {**good[document], **change}, admin)
        assert result.errors != [], change  # and nothing changed: checked below
    missing_room = {**good[UPDATE_PRACTITIONER], "defaultRoomId": UNKNOWN}
    assert (await run(client, UPDATE_PRACTITIONER, missing_room, admin)).codes == ["NOT_FOUND"]
    # Reception may not change rotas, rooms or types.
    for document in (UPDATE_ROOM, ARCHIVE_TYPE, UPDATE_SESSION, REMOVE_CLOSURE):
        assert (await run(client, document, good[document], d.token)).codes == ["FORBIDDEN"]
    assert await actions(d) == before
    assert await DomainEvent.filter(practice_id=d.practice.id).count() == events_before
    assert (await Room.get(id=d.room2.id)).name == "Surgery 2"
    assert (await Practitioner.get(id=d.dentist.id)).role == "DENTIST"
    assert (await AppointmentType.get(id=d.filler.id)).duration_minutes == 45
    assert (await WorkingSession.get(id=session.id)).start_minute == 8 * 60
    assert (await Absence.get(id=absence.id)).kind == "TRAINING"
    assert (await Closure.get(id=closure.id)).reason == "Fire drill"

"""Set-up changes that would strand booked patients: a new or moved absence or closure over a
booking, a session shrunk or removed under it, opening hours narrowed. Each is refused with
CONFLICT naming the bookings and changes nothing, unless the caller accepts them; then the
bookings stay booked and are listed in the payload and on the board's event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from db.models import (
    Absence,
    Appointment,
    AuditEvent,
    Closure,
    DomainEvent,
    OpeningHours,
    WorkingSession,
)
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.graph.test_schedule_sessions import DAY, admin_token, local
from tests.scheduling_fixtures import Diary, diary, iso

PAYLOAD = "{ id affectedAppointmentIds }"
ABSENCE = f"mutation A($input: RecordAbsenceInput!) {{ recordAbsence(input: $input) {PAYLOAD} }}"
MOVE_ABSENCE = (
    f"mutation U($input: UpdateAbsenceInput!) {{ updateAbsence(input: $input) {PAYLOAD} }}"
)
CLOSURE = f"mutation C($input: AddClosureInput!) {{ addClosure(input: $input) {PAYLOAD} }}"
MOVE_CLOSURE = (
    f"mutation M($input: UpdateClosureInput!) {{ updateClosure(input: $input) {PAYLOAD} }}"
)
SESSION = (
    "mutation S($input: UpdateWorkingSessionInput!) "
    f"{{ updateWorkingSession(input: $input) {PAYLOAD} }}"
)
DROP_SESSION = (
    "mutation D($input: RemoveWorkingSessionInput!) "
    f"{{ removeWorkingSession(input: $input) {PAYLOAD} }}"
)
HOURS = f"mutation H($input: SetOpeningHoursInput!) {{ setOpeningHours(input: $input) {PAYLOAD} }}"
DROP_HOURS = (
    "mutation R($input: RemoveOpeningHoursInput!) "
    f"{{ removeOpeningHours(input: $input) {PAYLOAD} }}"
)
CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { id } }
}"""


async def run(client: httpx.AsyncClient, document: str, values: dict[str, Any], token: str) -> Any:
    return await gql(client, document, {"input": values}, token=token)


async def book(client: httpx.AsyncClient, d: Diary, hour: int, day: Any = DAY) -> str:
    result = await gql(client, BOOK, booking(d, iso(local(day, hour))), token=d.token)
    assert result.errors == [], result.errors
    return str(result.data["bookAppointment"]["appointment"]["id"])


async def footprint(d: Diary) -> tuple[int, int, int, int]:
    """What a refused change must not have touched: time off, hours, audit rows, events."""
    return (
        await Absence.filter(practice_id=d.practice.id).count()
        + await Closure.filter(practice_id=d.practice.id).count(),
        await OpeningHours.filter(practice_id=d.practice.id).count(),
        await AuditEvent.filter(practice_id=d.practice.id).count(),
        await DomainEvent.filter(practice_id=d.practice.id).count(),
    )


def refused(result: Any, *appointment_ids: str) -> None:
    assert result.codes == ["CONFLICT"], result.errors
    extensions = result.errors[0]["extensions"]
    assert extensions["field"] == "acceptAffectedBookings"
    assert extensions["affectedAppointmentCount"] == len(appointment_ids)
    assert sorted(extensions["appointmentIds"]) == sorted(appointment_ids)


async def test_time_off_over_a_booking_is_refused_unless_accepted(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    booked = await book(client, d, 10)
    other = await book(client, d, 15)
    practice = str(d.practice.id)
    absence = {
        "practiceId": practice,
        "practitionerId": str(d.dentist.id),
        "kind": "SICKNESS",
        "startsAt": iso(local(DAY, 9)),
        "endsAt": iso(local(DAY, 12)),
    }
    closure = {
        "practiceId": practice,
        "startsAt": iso(local(DAY, 14)),
        "endsAt": iso(local(DAY, 16)),
        "reason": "Power cut",
    }
    before = await footprint(d)
    refused(await run(client, ABSENCE, absence, d.token), booked)
    refused(await run(client, CLOSURE, closure, admin), other)
    assert await footprint(d) == before
    # Accepted: the change is made, the bookings stay booked and are named for rebooking.
    accepted = await run(client, ABSENCE, {**absence, "acceptAffectedBookings": True}, d.token)
    assert accepted.errors == []
    assert accepted.data["recordAbsence"]["affectedAppointmentIds"] == [booked]
    assert (await Appointment.get(id=booked)).status == "BOOKED"
    event = await DomainEvent.filter(practice_id=d.practice.id, type="setup.changed").first()
    assert event is not None
    assert event.patient_id is None
    assert event.payload == {
        "entity": "ABSENCE",
        "change": "CREATED",
        "affected_appointment_ids": [booked],
        "actor": {"kind": "STAFF", "user_id": str(d.receptionist.id), "role": "RECEPTIONIST"},
    }
    # Time off clear of bookings, and time off over an already stranded booking, pass.
    spare = {**closure, "startsAt": iso(local(DAY, 16)), "endsAt": iso(local(DAY, 17))}
    made = await run(client, CLOSURE, spare, admin)
    assert made.errors == []
    assert made.data["addClosure"]["affectedAppointmentIds"] == []
    overlapping = {**absence, "kind": "TRAINING", "endsAt": iso(local(DAY, 11))}
    assert (await run(client, ABSENCE, overlapping, d.token)).errors == []
    # Moving the spare closure over the 15:00 booking is refused; a cancelled one never blocks.
    moved = {**closure, "closureId": made.data["addClosure"]["id"]}
    refused(await run(client, MOVE_CLOSURE, moved, admin), other)
    cancel = {"input": {"appointmentId": other, "reason": "Moved away"}}
    assert (await gql(client, CANCEL, cancel, token=d.token)).errors == []
    assert (await run(client, MOVE_CLOSURE, moved, admin)).errors == []


async def test_moving_an_absence_onto_a_booking_is_refused(client: httpx.AsyncClient) -> None:
    d = await diary()
    booked = await book(client, d, 16)
    made = await run(
        client,
        ABSENCE,
        {
            "practiceId": str(d.practice.id),
            "practitionerId": str(d.dentist.id),
            "kind": "HOLIDAY",
            "startsAt": iso(local(DAY, 9)),
            "endsAt": iso(local(DAY, 12)),
        },
        d.token,
    )
    assert made.errors == []
    move = {
        "practiceId": str(d.practice.id),
        "absenceId": made.data["recordAbsence"]["id"],
        "kind": "HOLIDAY",
        "startsAt": iso(local(DAY, 13)),
        "endsAt": iso(local(DAY, 18)),
    }
    refused(await run(client, MOVE_ABSENCE, move, d.token), booked)
    absence = await Absence.get(id=made.data["recordAbsence"]["id"])
    assert absence.ends_at == local(DAY, 12)
    accepted = await run(client, MOVE_ABSENCE, {**move, "acceptAffectedBookings": True}, d.token)
    assert accepted.data["updateAbsence"]["affectedAppointmentIds"] == [booked]


async def test_shrinking_or_removing_a_session_under_bookings_is_refused(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    early = await book(client, d, 9)
    next_week = await book(client, d, 17, DAY + timedelta(days=7))
    session = await WorkingSession.get(practitioner_id=d.dentist.id, weekday=DAY.weekday())
    shrink = {
        "practiceId": str(d.practice.id),
        "sessionId": str(session.id),
        "weekday": DAY.weekday(),
        "startMinute": 10 * 60,
        "endMinute": 17 * 60,
        "validFrom": "2020-01-01",
    }
    before = await footprint(d)
    refused(await run(client, SESSION, shrink, admin), early, next_week)
    drop = {"practiceId": str(d.practice.id), "sessionId": str(session.id)}
    refused(await run(client, DROP_SESSION, drop, admin), early, next_week)
    assert await footprint(d) == before
    assert (await WorkingSession.get(id=session.id)).start_minute == 8 * 60
    # Ending the pattern before next week strands only that week's booking.
    ended = {**shrink, "startMinute": 8 * 60, "endMinute": 18 * 60}
    ended["validUntil"] = (DAY + timedelta(days=1)).isoformat()
    refused(await run(client, SESSION, ended, admin), next_week)
    accepted = await run(client, SESSION, {**ended, "acceptAffectedBookings": True}, admin)
    assert accepted.data["updateWorkingSession"]["affectedAppointmentIds"] == [next_week]
    assert (await WorkingSession.get(id=session.id)).valid_until == DAY + timedelta(days=1)
    removed = await run(client, DROP_SESSION, {**drop, "acceptAffectedBookings": True}, admin)
    assert removed.data["removeWorkingSession"]["affectedAppointmentIds"] == [early]
    assert not await WorkingSession.exists(id=session.id)


async def test_opening_hours_that_shut_out_bookings_are_refused(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    booked = await book(client, d, 9)
    tomorrow = DAY + timedelta(days=1)
    practice = str(d.practice.id)
    # The first hours set close every other weekday: here, tomorrow's booking day is the one.
    day_after = await book(client, d, 10, tomorrow)
    hours = {"practiceId": practice, "weekday": DAY.weekday(), "openMinute": 8 * 60}
    refused(await run(client, HOURS, {**hours, "closeMinute": 18 * 60}, admin), day_after)
    wide = {**hours, "closeMinute": 18 * 60, "acceptAffectedBookings": True}
    assert (await run(client, HOURS, wide, admin)).errors == []
    narrow = {"practiceId": practice, "weekday": DAY.weekday(), "openMinute": 10 * 60}
    refused(await run(client, HOURS, {**narrow, "closeMinute": 18 * 60}, admin), booked)
    other_day = {
        "practiceId": practice,
        "weekday": tomorrow.weekday(),
        "openMinute": 8 * 60,
        "closeMinute": 18 * 60,
    }
    assert (await run(client, HOURS, other_day, admin)).errors == []
    # Removing DAY's hours shuts DAY while tomorrow keeps hours.
    drop = {"practiceId": practice, "weekday": DAY.weekday()}
    before = await footprint(d)
    refused(await run(client, DROP_HOURS, drop, admin), booked)
    assert await footprint(d) == before
    # Removing tomorrow's hours shuts tomorrow again (accepted: its booking is named).
    drop_other = {"practiceId": practice, "weekday": tomorrow.weekday()}
    refused(await run(client, DROP_HOURS, drop_other, admin), day_after)
    accepted = await run(client, DROP_HOURS, {**drop_other, "acceptAffectedBookings": True}, admin)
    assert accepted.data["removeOpeningHours"]["affectedAppointmentIds"] == [day_after]
    # The last entry removed: every day open to the sessions again, nothing stranded.
    last = await run(client, DROP_HOURS, drop, admin)
    assert last.errors == []
    assert last.data["removeOpeningHours"]["affectedAppointmentIds"] == []
    assert await OpeningHours.filter(practice_id=d.practice.id).count() == 0
    assert (await run(client, DROP_HOURS, drop, admin)).codes == ["NOT_FOUND"]
    bad = await run(client, DROP_HOURS, {**drop, "weekday": 7}, admin)
    assert bad.codes == ["BAD_USER_INPUT"]
    assert bad.errors[0]["extensions"]["field"] == "weekday"
    assert (await run(client, DROP_HOURS, drop, d.token)).codes == ["FORBIDDEN"]
    actions = await AuditEvent.filter(
        practice_id=d.practice.id, action__in=["SET_OPENING_HOURS", "REMOVE_OPENING_HOURS"]
    ).values_list("action", flat=True)
    assert list(actions).count("REMOVE_OPENING_HOURS") == 2

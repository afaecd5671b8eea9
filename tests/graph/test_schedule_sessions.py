"""Slot search against working sessions, opening hours, absences, closures, bookings and holds;
bad input to the session, absence and closure mutations changes nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from db.models import Absence, AppointmentType, AuditEvent, Closure, Practitioner, WorkingSession
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.scheduling_fixtures import LONDON, Diary, diary, iso

SLOTS = """
query Slots($practiceId: ID!, $typeId: ID!, $practitionerId: ID, $from: DateTime!,
            $to: DateTime!) {
  availableSlots(practiceId: $practiceId, appointmentTypeId: $typeId,
                 practitionerId: $practitionerId, from: $from, to: $to) {
    startsAt endsAt practitionerId roomId
  }
}"""
ADD_SESSION = """
mutation A($input: AddWorkingSessionInput!) { addWorkingSession(input: $input) { id } }"""
ABSENCE = """
mutation R($input: RecordAbsenceInput!) { recordAbsence(input: $input) { id } }"""
CLOSURE = """
mutation C($input: AddClosureInput!) { addClosure(input: $input) { id } }"""
OPENING = """
mutation O($input: SetOpeningHoursInput!) { setOpeningHours(input: $input) { id } }"""
HOLD = """
mutation H($input: HoldSlotInput!) { holdSlot(input: $input) { hold { id expiresAt } } }"""

DAY = date.today() + timedelta(days=8)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def clock(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(LONDON).strftime("%H:%M")


async def starts(
    client: httpx.AsyncClient,
    d: Diary,
    day: date = DAY,
    practitioner: object | None = None,
    type_id: object | None = None,
) -> list[str]:
    variables = {
        "practiceId": str(d.practice.id),
        "typeId": str(type_id or d.exam.id),
        "practitionerId": str(practitioner or d.dentist.id),
        "from": iso(local(day, 0)),
        "to": iso(local(day + timedelta(days=1), 0)),
    }
    result = await gql(client, SLOTS, variables, token=d.token)
    assert result.errors == [], result.errors
    return [clock(s["startsAt"]) for s in result.data["availableSlots"]]


def grid(first: str, last: str) -> list[str]:
    """Every 15 minutes from ``first`` to ``last`` inclusive, as HH:MM."""
    moment = datetime.strptime(first, "%H:%M")
    end = datetime.strptime(last, "%H:%M")
    found = []
    while moment <= end:
        found.append(moment.strftime("%H:%M"))
        moment += timedelta(minutes=15)
    return found


async def admin_token(d: Diary) -> str:
    return factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))


async def bare_practitioner(d: Diary) -> Practitioner:
    user = await factories.user(Role.DENTIST, d.practice)
    return await Practitioner.create(
        practice_id=d.practice.id,
        user_id=user.id,
        display_name=user.full_name,
        role="DENTIST",
        default_room_id=d.room2.id,
    )


async def test_slots_come_from_the_weekly_session_within_its_validity(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    worker = await bare_practitioner(d)
    admin = await admin_token(d)
    assert await starts(client, d, practitioner=worker.id) == []  # no session yet
    added = await gql(
        client,
        ADD_SESSION,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "practitionerId": str(worker.id),
                "weekday": DAY.weekday(),
                "startMinute": 9 * 60,
                "endMinute": 11 * 60,
                "validFrom": DAY.isoformat(),
                "validUntil": (DAY + timedelta(days=7)).isoformat(),
            }
        },
        token=admin,
    )
    assert added.errors == []
    assert await starts(client, d, practitioner=worker.id) == grid("09:00", "10:30")
    assert await starts(client, d, DAY + timedelta(days=1), worker.id) == []  # another weekday
    assert await starts(client, d, DAY + timedelta(days=14), worker.id) == []  # after validity
    assert await starts(client, d, DAY - timedelta(days=7), worker.id) == []  # before validity
    # A booking outside the session is refused as a conflict with the sessions.
    outside = booking(d, iso(local(DAY, 11)), practitionerId=str(worker.id))
    result = await gql(client, BOOK, outside, token=d.token)
    assert result.codes == ["CONFLICT"]
    assert "working sessions" in result.errors[0]["message"]


async def test_opening_hours_narrow_the_sessions(client: httpx.AsyncClient) -> None:
    d = await diary()
    result = await gql(
        client,
        OPENING,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "weekday": DAY.weekday(),
                "openMinute": 9 * 60,
                "closeMinute": 12 * 60,
            }
        },
        token=await admin_token(d),
    )
    assert result.errors == []
    assert await starts(client, d) == grid("09:00", "11:30")
    # A weekday without opening hours is closed once any are set.
    assert await starts(client, d, DAY + timedelta(days=1)) == []


async def test_absences_and_closures_cut_the_day(client: httpx.AsyncClient) -> None:
    d = await diary()
    absent = await gql(
        client,
        ABSENCE,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "practitionerId": str(d.dentist.id),
                "kind": "TRAINING",
                "startsAt": iso(local(DAY, 10)),
                "endsAt": iso(local(DAY, 12)),
            }
        },
        token=d.token,
    )
    assert absent.errors == []
    closed = await gql(
        client,
        CLOSURE,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "startsAt": iso(local(DAY, 15)),
                "endsAt": iso(local(DAY, 16)),
                "reason": "Fire drill",
            }
        },
        token=await admin_token(d),
    )
    assert closed.errors == []
    expected = grid("08:00", "09:30") + grid("12:00", "14:30") + grid("16:00", "17:30")
    assert await starts(client, d) == expected
    in_absence = await gql(client, BOOK, booking(d, iso(local(DAY, 11))), token=d.token)
    assert in_absence.codes == ["CONFLICT"]
    assert "absent" in in_absence.errors[0]["message"]
    across_closure = await gql(client, BOOK, booking(d, iso(local(DAY, 14, 45))), token=d.token)
    assert across_closure.codes == ["CONFLICT"]
    assert "closed" in across_closure.errors[0]["message"]
    # The day after is untouched.
    assert await starts(client, d, DAY + timedelta(days=1)) == grid("08:00", "17:30")


async def test_bookings_holds_buffers_and_the_room_take_slots_away(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    buffered = await AppointmentType.create(
        practice_id=d.practice.id, name="Scale", duration_minutes=30, buffer_after_minutes=15
    )
    made = await gql(
        client,
        BOOK,
        booking(d, iso(local(DAY, 10)), appointmentTypeId=str(buffered.id)),
        token=d.token,
    )
    assert made.errors == []
    held = await gql(
        client,
        HOLD,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "practitionerId": str(d.dentist.id),
                "appointmentTypeId": str(d.exam.id),
                "startsAt": iso(local(DAY, 12)),
            }
        },
        token=d.token,
    )
    assert held.errors == []
    # Another practitioner in the dentist's room at 15:00 takes the room away.
    colleague = await bare_practitioner(d)
    colleague.default_room_id = d.room.id  # type: ignore[assignment]
    await colleague.save()
    await WorkingSession.create(
        practice_id=d.practice.id,
        practitioner_id=colleague.id,
        weekday=DAY.weekday(),
        start_minute=14 * 60,
        end_minute=16 * 60,
        valid_from=DAY,
    )
    other = await factories.patient(d.practice)
    in_room = booking(
        d, iso(local(DAY, 15)), practitionerId=str(colleague.id), patientId=str(other.id)
    )
    assert (await gql(client, BOOK, in_room, token=d.token)).errors == []
    found = await starts(client, d)
    # 10:00-10:30 booked (+15 buffer): 09:45 and 10:00-10:30 starts are gone.
    assert "09:30" in found
    assert {"09:45", "10:00", "10:15", "10:30"}.isdisjoint(found)
    assert "10:45" in found
    # 12:00-12:30 held: 11:45, 12:00, 12:15 are gone.
    assert "11:30" in found
    assert {"11:45", "12:00", "12:15"}.isdisjoint(found)
    assert "12:30" in found
    # 15:00-15:30 in the room: 14:45, 15:00, 15:15 are gone.
    assert {"14:45", "15:00", "15:15"}.isdisjoint(found)
    assert {"14:30", "15:30"} <= set(found)
    assert len(found) == 39 - 4 - 3 - 3
    # With a buffered type, a start must also leave its buffer free before the next block.
    buffered_starts = await starts(client, d, type_id=buffered.id)
    assert "11:30" not in buffered_starts  # 11:30-12:00 + 15 reaches into the 12:00 hold
    assert "11:15" in buffered_starts  # its buffer ends as the hold begins


async def test_bad_session_absence_and_closure_input_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    practice = str(d.practice.id)
    session: dict[str, Any] = {
        "practiceId": practice,
        "practitionerId": str(d.dentist.id),
        "weekday": 2,
        "startMinute": 600,
        "endMinute": 660,
        "validFrom": DAY.isoformat(),
    }
    absence: dict[str, Any] = {
        "practiceId": practice,
        "practitionerId": str(d.dentist.id),
        "kind": "HOLIDAY",
        "startsAt": iso(local(DAY, 10)),
        "endsAt": iso(local(DAY, 12)),
    }
    closure: dict[str, Any] = {
        "practiceId": practice,
        "startsAt": iso(local(DAY, 10)),
        "endsAt": iso(local(DAY, 12)),
        "reason": "Bank holiday",
    }
    unknown = "0b0e6d4c-1111-4a4a-9b9b-123456789abc"
    cases = [
        (ADD_SESSION, {**session, "endMinute": 600}, admin, "BAD_USER_INPUT", "endMinute"),
        (ADD_SESSION, {**session, "endMinute": 1500}, admin, "BAD_USER_INPUT", "endMinute"),
        (ADD_SESSION, {**session, "weekday": 7}, admin, "BAD_USER_INPUT", "weekday"),
        (
            ADD_SESSION,
            {**session, "validUntil": (DAY - timedelta(days=1)).isoformat()},
            admin,
            "BAD_USER_INPUT",
            "validUntil",
        ),
        (ADD_SESSION, {**session, "practitionerId": unknown}, admin, "NOT_FOUND", None),
        (ADD_SESSION, {**session, "roomId": unknown}, admin, "NOT_FOUND", None),
        (ADD_SESSION, session, d.token, "FORBIDDEN", None),  # reception may not set rotas
        (
            ABSENCE,
            {**absence, "endsAt": iso(local(DAY, 9))},
            d.token,
            "BAD_USER_INPUT",
            "endsAt",
        ),
        (ABSENCE, {**absence, "startsAt": "2030-01-01T10:00:00"}, d.token, "BAD_USER_INPUT", None),
        (ABSENCE, {**absence, "practitionerId": unknown}, d.token, "NOT_FOUND", None),
        (CLOSURE, {**closure, "endsAt": closure["startsAt"]}, admin, "BAD_USER_INPUT", "endsAt"),
        (CLOSURE, {**closure, "reason": "  "}, admin, "BAD_USER_INPUT", "reason"),
    ]
    audit_before = await AuditEvent.filter(practice_id=d.practice.id).count()
    for document, values, token, code, field in cases:
        result = await gql(client, document, {"input": values}, token=token)
        assert result.codes == [code], (values, result.errors)
        if field is not None:
            assert result.errors[0]["extensions"].get("field") == field, values
    beach = await gql(client, ABSENCE, {"input": {**absence, "kind": "BEACH"}}, token=d.token)
    assert beach.errors != []  # kind is an enum: refused before any resolver runs
    assert await WorkingSession.filter(practitioner_id=d.dentist.id).count() == 7  # the fixture's
    assert await Absence.filter(practice_id=d.practice.id).count() == 0
    assert await Closure.filter(practice_id=d.practice.id).count() == 0
    assert await AuditEvent.filter(practice_id=d.practice.id).count() == audit_before


async def test_bad_slot_search_input(client: httpx.AsyncClient) -> None:
    d = await diary()
    base = {
        "practiceId": str(d.practice.id),
        "typeId": str(d.exam.id),
        "from": iso(local(DAY, 12)),
        "to": iso(local(DAY, 9)),
    }
    backwards = await gql(client, SLOTS, base, token=d.token)
    assert backwards.codes == ["BAD_USER_INPUT"]
    assert backwards.errors[0]["extensions"]["field"] == "to"
    too_long = {**base, "to": iso(local(DAY + timedelta(days=40), 9))}
    assert (await gql(client, SLOTS, too_long, token=d.token)).codes == ["BAD_USER_INPUT"]
    unknown = {**base, "to": iso(local(DAY, 18)), "typeId": str(d.room.id)}
    assert (await gql(client, SLOTS, unknown, token=d.token)).codes == ["NOT_FOUND"]

"""Bookings racing a set-up change that takes their time away.

Many bookings and reschedules into one morning run concurrently with an absence over it, round
after round. Whatever order the database settles them in, no live booking may end up inside
the absence unless the absence was accepted with that booking named on its ``setup.changed``
event: a booking that commits first is seen by the absence's check, one that commits after
finds the absence when it re-checks bookable time under the diary lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date, timedelta
from typing import Any

import httpx

from db.models import Absence, Appointment, DomainEvent
from db.queries.schedule import LIVE_STATUSES
from tests import factories
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.graph.test_schedule_followups import RESCHEDULE
from tests.graph.test_schedule_sessions import DAY, admin_token, local
from tests.graph.test_schedule_stranding import ABSENCE
from tests.scheduling_fixtures import Diary, diary, iso, practitioner

ROUNDS = 10
BOOKINGS = [(10, 0), (10, 30), (11, 0), (11, 30), (12, 0), (12, 30)]
MOVES = [(13, 0), (13, 30), (14, 0)]
STAGGER = 0.01  # seconds the absence starts later each round: 0 to 90 ms


async def late(seconds: float, call: Awaitable[Any]) -> Any:
    """Staggers the absence so that rounds settle in different orders (no timing asserted)."""
    await asyncio.sleep(seconds)
    return await call


async def unaccounted(d: Diary) -> list[str]:
    """Live bookings inside an absence that its event does not name."""
    wrong = []
    for absence in await Absence.filter(practitioner_id=d.dentist.id):
        event = await DomainEvent.get(type="setup.changed", entity_id=absence.id)
        named = set(event.payload["affected_appointment_ids"])
        inside = await Appointment.filter(
            practitioner_id=d.dentist.id,
            status__in=LIVE_STATUSES,
            starts_at__lt=absence.ends_at,
            ends_at__gt=absence.starts_at,
        ).values_list("id", flat=True)
        wrong.extend(str(a) for a in inside if str(a) not in named)
    return wrong


async def race(client: httpx.AsyncClient, d: Diary, day: date, turn: int) -> tuple[Any, list[Any]]:
    """One morning: bookings, reschedules into it and an absence over it, all at once; the
    absence's result, and the others'."""
    moving = []
    for hour, minute in ((15, 0), (15, 30), (16, 0)):
        patient = await factories.patient(d.practice)
        made = await gql(
            client,
            BOOK,
            booking(d, iso(local(day, hour, minute)), patientId=str(patient.id)),
            token=d.token,
        )
        assert made.errors == [], made.errors
        moving.append(made.data["bookAppointment"]["appointment"]["id"])
    calls = []
    for hour, minute in BOOKINGS:
        patient = await factories.patient(d.practice)
        start = iso(local(day, hour, minute))
        calls.append(gql(client, BOOK, booking(d, start, patientId=str(patient.id)), token=d.token))
    for appointment_id, (hour, minute) in zip(moving, MOVES, strict=True):
        move = {"appointmentId": appointment_id, "startsAt": iso(local(day, hour, minute))}
        calls.append(gql(client, RESCHEDULE, {"input": move}, token=d.token))
    absence = {
        "practiceId": str(d.practice.id),
        "practitionerId": str(d.dentist.id),
        "kind": "SICKNESS",
        "startsAt": iso(local(day, 10)),
        "endsAt": iso(local(day, 14, 30)),
        "acceptAffectedBookings": turn % 2 == 1,
    }
    at = turn % (len(calls) + 1)
    calls.insert(at, late(turn * STAGGER, gql(client, ABSENCE, {"input": absence}, token=d.token)))
    results = list(await asyncio.gather(*calls))
    return results.pop(at), results


async def test_no_booking_lands_in_an_absence_recorded_concurrently(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    for turn in range(ROUNDS):
        absence, results = await race(client, d, DAY + timedelta(days=turn), turn)
        assert {c for r in [absence, *results] for c in r.codes} <= {"CONFLICT"}
        if turn % 2 == 1:
            assert absence.errors == []  # accepted: it always goes in, naming what it overtook
        assert await unaccounted(d) == []


DEACTIVATE = """
mutation D($input: DeactivatePractitionerInput!) { deactivatePractitioner(input: $input) { id } }"""


async def test_no_booking_lands_on_a_practitioner_archived_concurrently(
    client: httpx.AsyncClient,
) -> None:
    """Archiving is refused while live bookings use the practitioner: a racing booking either
    commits first (the archive is refused) or finds them archived (the booking is refused)."""
    d = await diary()
    admin = await admin_token(d)
    for turn in range(ROUNDS):
        person = await practitioner(d.practice, d.room2)
        calls = []
        for hour, minute in BOOKINGS:
            patient = await factories.patient(d.practice)
            start = iso(local(DAY + timedelta(days=turn), hour, minute))
            values = booking(d, start, patientId=str(patient.id), practitionerId=str(person.id))
            calls.append(gql(client, BOOK, values, token=d.token))
        archive = {"input": {"practiceId": str(d.practice.id), "practitionerId": str(person.id)}}
        at = turn % (len(calls) + 1)
        calls.insert(at, late(turn * STAGGER, gql(client, DEACTIVATE, archive, token=admin)))
        results = list(await asyncio.gather(*calls))
        archived = results.pop(at)
        assert archived.codes in ([], ["CONFLICT"])
        assert {c for r in results for c in r.codes} <= {"CONFLICT", "NOT_FOUND"}
        await person.refresh_from_db()
        live = await Appointment.filter(practitioner_id=person.id, status__in=LIVE_STATUSES)
        assert person.active == (archived.errors != [])
        assert person.active or live == []

"""Demo diary for ``make run``: rooms, practitioners, appointment types, weekly sessions, the
week in progress and ``HISTORY_WEEKS`` weeks before it (with their occupancy blocks, so demo
bookings clash like real ones). Past visits turn out as a practice's do — mostly completed with
arrival, seating and completion times, some cancelled (some late), a few not attended, some
booked online — so the reports and dashboards have a history to show."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from db.models import (
    Appointment,
    AppointmentType,
    OpeningHours,
    Patient,
    Practice,
    Practitioner,
    Room,
    ScheduleBlock,
    ScheduleSettings,
    User,
    WorkingSession,
)

TYPES = (
    # name, minutes, buffer, colour, roles, restricted, recall
    ("Examination", 20, 5, "#1e88e5", ["DENTIST"], False, "EXAM"),
    ("Hygiene", 30, 5, "#43a047", ["HYGIENIST", "DENTIST"], False, "HYGIENE"),
    ("Filling", 45, 10, "#fb8c00", ["DENTIST"], False, None),
    ("Root canal", 90, 15, "#e53935", ["DENTIST"], False, None),
    ("Crown fit", 60, 10, "#8e24aa", ["DENTIST"], False, None),
    ("Dermal filler", 45, 10, "#d81b60", ["DENTIST"], True, None),
)
STATUS_BY_DAY_OFFSET = {0: "CONFIRMED"}
HISTORY_WEEKS = 8


async def seed_diary(
    practice: Practice,
    clinicians: list[tuple[User, str]],
    patients: list[Patient],
    rng: random.Random,
) -> None:
    zone = ZoneInfo(practice.timezone)
    await ScheduleSettings.create(practice_id=practice.id)
    rooms = [
        await Room.create(practice_id=practice.id, name=f"Surgery {n}", colour=colour)
        for n, colour in ((1, "#90caf9"), (2, "#a5d6a7"), (3, "#ffe082"))
    ]
    kinds = [
        await AppointmentType.create(
            practice_id=practice.id,
            name=name,
            duration_minutes=minutes,
            buffer_after_minutes=buffer,
            colour=colour,
            allowed_roles=roles,
            restricted_procedure=restricted,
            recall_kind=recall,
        )
        for name, minutes, buffer, colour, roles, restricted, recall in TYPES
    ]
    for weekday in range(5):
        await OpeningHours.create(
            practice_id=practice.id, weekday=weekday, open_minute=8 * 60, close_minute=18 * 60
        )
    people: list[Practitioner] = []
    for index, (user, role) in enumerate(clinicians):
        room = rooms[index % len(rooms)]
        person = await Practitioner.create(
            practice_id=practice.id,
            user_id=user.id,
            display_name=user.full_name,
            role=role,
            default_room_id=room.id,
        )
        people.append(person)
        await WorkingSession.bulk_create(
            [
                WorkingSession(
                    practice_id=practice.id,
                    practitioner_id=person.id,
                    room_id=room.id,
                    weekday=weekday,
                    start_minute=9 * 60,
                    end_minute=17 * 60,
                    valid_from=date(2024, 1, 1),
                )
                for weekday in range(5)
            ]
        )
    await _week(practice, zone, people, kinds, patients, rng)


async def _week(
    practice: Practice,
    zone: ZoneInfo,
    people: list[Practitioner],
    kinds: list[AppointmentType],
    patients: list[Patient],
    rng: random.Random,
) -> None:
    today = date.today()
    # The working week in progress, or the coming one at a weekend.
    monday = today - timedelta(days=today.weekday())
    if today.weekday() >= 5:
        monday += timedelta(days=7)
    rows: list[Appointment] = []
    blocks: list[ScheduleBlock] = []
    busy_patients: dict[object, list[tuple[datetime, datetime]]] = {}
    days = [monday + timedelta(weeks=w, days=d) for w in range(-HISTORY_WEEKS, 1) for d in range(5)]
    for local_day in days:
        for person in people:
            start = datetime.combine(local_day, time(9, 0), zone)
            suitable = [
                k for k in kinds if person.role in k.allowed_roles and not k.restricted_procedure
            ]
            while True:
                kind = rng.choice(suitable)
                end = start + timedelta(minutes=kind.duration_minutes)
                if end > datetime.combine(local_day, time(17, 0), zone):
                    break
                patient = rng.choice(patients)
                taken = busy_patients.setdefault(patient.id, [])
                if rng.random() < 0.8 and not any(s < end and e > start for s, e in taken):
                    taken.append((start, end))
                    offset = (local_day - today).days
                    row = Appointment(
                        practice_id=practice.id,
                        patient_id=patient.id,
                        practitioner_id=person.id,
                        room_id=person.default_room_id,
                        appointment_type_id=kind.id,
                        starts_at=start.astimezone(UTC),
                        ends_at=end.astimezone(UTC),
                        status=STATUS_BY_DAY_OFFSET.get(offset, "BOOKED"),
                        source="PORTAL" if rng.random() < 0.15 else "RECEPTION",
                    )
                    if offset < 0:
                        _turned_out(row, rng)
                    rows.append(row)
                    if row.status != "CANCELLED":
                        blocks.extend(_blocks(row, kind.buffer_after_minutes))
                start = end + timedelta(minutes=kind.buffer_after_minutes + rng.choice([0, 0, 5]))
    await Appointment.bulk_create(rows)
    await ScheduleBlock.bulk_create(blocks)


# Weighted as a practice's are; None: cancelled before codes existed (UNCODED in reports).
DEMO_CANCEL_CODES = (
    "PATIENT_ILL",
    "PATIENT_REQUEST",
    "PATIENT_REQUEST",
    "RESCHEDULED",
    None,
    "COST",
    "PRACTICE_CANCELLED",
    "OTHER",
)


def _turned_out(row: Appointment, rng: random.Random) -> None:
    """How a past visit went: 84% completed, 8% cancelled (a third of them late), 4% DNA."""
    roll = rng.random()
    if roll < 0.08:
        row.status = "CANCELLED"
        row.late_cancellation = roll < 0.027
        row.cancelled_at = row.starts_at - timedelta(hours=4 if row.late_cancellation else 72)
        # The reason from the same roll (no draw of its own: the rest of the diary is unchanged).
        row.cancel_code = DEMO_CANCEL_CODES[int(roll / 0.08 * len(DEMO_CANCEL_CODES))]
        return
    if roll < 0.12:
        row.status = "DID_NOT_ATTEND"
        return
    if roll < 0.16:  # still BOOKED: left unmarked, as some are
        return
    row.status = "COMPLETED"
    row.arrived_at = row.starts_at - timedelta(minutes=rng.choice([12, 8, 5, 3, 0]))
    row.seated_at = row.starts_at + timedelta(minutes=rng.choice([0, 2, 5, 9, 15]))
    row.completed_at = row.ends_at + timedelta(minutes=rng.choice([-3, 0, 0, 4, 8]))


def _blocks(row: Appointment, buffer: int) -> list[ScheduleBlock]:
    buffered = row.ends_at + timedelta(minutes=buffer)
    spans = {
        f"practitioner:{row.practitioner_id}": buffered,
        f"room:{row.room_id}": buffered,
        f"patient:{row.patient_id}": row.ends_at,
    }
    return [
        ScheduleBlock(
            practice_id=row.practice_id,
            key=key,
            starts_at=row.starts_at,
            ends_at=end,
            appointment_id=row.id,
        )
        for key, end in spans.items()
    ]

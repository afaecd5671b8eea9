"""DST edges in Europe/London: sessions keep their wall-clock times on the Sundays of the March
and October changes and the days around them; durations are real minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from db.models import Appointment, Practitioner, WorkingSession
from services.policy import Role
from services.scheduling import booking, slots
from tests import factories
from tests.scheduling_fixtures import LONDON, Diary, diary

pytestmark = pytest.mark.usefixtures("db")
SATURDAY, SUNDAY, MONDAY = 5, 6, 0


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - SUNDAY) % 7)


YEAR = date.today().year + 1  # in the future, so the practice's no-past-booking rule holds
SPRING = last_sunday(YEAR, 3)  # clocks go forward at 01:00 GMT
AUTUMN = last_sunday(YEAR, 10)  # clocks go back at 02:00 BST


def local(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON).replace(fold=fold)


def wall(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%H:%M")


async def night_worker(d: Diary, day: date, start_minute: int, end_minute: int) -> Practitioner:
    """A practitioner whose only session is on ``day``'s weekday, valid for that day only."""
    user = await factories.user(Role.HYGIENIST, d.practice)
    found = await Practitioner.create(
        practice_id=d.practice.id,
        user_id=user.id,
        display_name=user.full_name,
        role="HYGIENIST",
        default_room_id=d.room2.id,
    )
    await WorkingSession.create(
        practice_id=d.practice.id,
        practitioner_id=found.id,
        weekday=day.weekday(),
        start_minute=start_minute,
        end_minute=end_minute,
        valid_from=day,
        valid_until=day,
    )
    return found


async def day_slots(d: Diary, day: date, practitioner_id: object) -> list[slots.Slot]:
    return await slots.available(
        await d.principal(),
        practice_id=d.practice.id,
        appointment_type_id=d.exam.id,
        practitioner_id=practitioner_id,  # type: ignore[arg-type]
        start=local(day, 0) - timedelta(hours=2),
        end=local(day + timedelta(days=1), 0) + timedelta(hours=2),
    )


def test_the_change_dates_are_the_sundays_of_the_change() -> None:
    assert (SPRING.weekday(), SPRING.month) == (SUNDAY, 3)
    assert (AUTUMN.weekday(), AUTUMN.month) == (SUNDAY, 10)
    assert min(SPRING.day, AUTUMN.day) > 24
    # The zone database agrees: the offset changes across each of those nights.
    assert local(SPRING, 0).utcoffset() == timedelta(0)
    assert local(SPRING, 3).utcoffset() == timedelta(hours=1)
    assert local(AUTUMN, 0).utcoffset() == timedelta(hours=1)
    assert local(AUTUMN, 3).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("change", "offsets"),
    [
        (SPRING, {-1: 0, 0: 1, 1: 1}),  # Saturday GMT, Sunday and Monday BST
        (AUTUMN, {-1: 1, 0: 0, 1: 0}),  # Saturday BST, Sunday and Monday GMT
    ],
    ids=["march", "october"],
)
async def test_a_day_session_keeps_its_wall_clock_times_around_the_change(
    change: date, offsets: dict[int, int]
) -> None:
    d = await diary()  # the dentist works 08:00-18:00 every day
    for shift, offset_hours in offsets.items():
        day = change + timedelta(days=shift)
        found = [
            s
            for s in await day_slots(d, day, d.dentist.id)
            if s.starts_at.astimezone(LONDON).date() == day
        ]
        starts = [s.starts_at for s in found]
        assert wall(starts[0]) == "08:00", day
        assert wall(starts[-1]) == "17:30", day
        assert starts[0].astimezone(UTC).hour == 8 - offset_hours, day
        assert len(starts) == 39, day  # every 15 minutes from 08:00 to 17:30
        assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in found)
        assert all(wall(s.starts_at)[3:] in ("00", "15", "30", "45") for s in found)


async def test_a_session_across_the_spring_change_night_is_three_real_hours() -> None:
    d = await diary()
    worker = await night_worker(d, SPRING, 0, 4 * 60)  # 00:00-04:00 on the clock
    found = await day_slots(d, SPRING, worker.id)
    walls = [wall(s.starts_at) for s in found]
    # 01:00-02:00 does not exist that night: 00:45 GMT is followed by 02:00 BST.
    assert walls[:6] == ["00:00", "00:15", "00:30", "00:45", "02:00", "02:15"]
    assert walls[-1] == "03:30"
    assert len(found) == 11  # 3 real hours, 30-minute exams every 15 minutes
    assert found[-1].ends_at - found[0].starts_at == timedelta(hours=3)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in found)


async def test_a_session_across_the_autumn_change_night_is_five_real_hours() -> None:
    d = await diary()
    worker = await night_worker(d, AUTUMN, 0, 4 * 60)
    found = await day_slots(d, AUTUMN, worker.id)
    walls = [wall(s.starts_at) for s in found]
    # 01:00-02:00 happens twice: once in BST, once in GMT.
    assert walls.count("01:00") == 2
    assert walls.count("01:45") == 2
    assert (walls[0], walls[-1]) == ("00:00", "03:30")
    assert len(found) == 19  # 5 real hours
    assert found[-1].ends_at - found[0].starts_at == timedelta(hours=5)
    assert len({s.starts_at for s in found}) == len(found)


async def test_a_booking_across_the_spring_gap_lasts_its_real_minutes() -> None:
    d = await diary()
    worker = await night_worker(d, SPRING, 0, 4 * 60)
    request = booking.BookingRequest(
        practice_id=d.practice.id,
        patient_id=d.patient.id,
        practitioner_id=worker.id,
        appointment_type_id=d.exam.id,
        starts_at=local(SPRING, 0, 45),
    )
    made = await booking.book(await d.principal(), request=request)
    stored = await Appointment.get(id=made.id)
    assert stored.ends_at - stored.starts_at == timedelta(minutes=30)
    assert wall(stored.starts_at) == "00:45"
    assert wall(stored.ends_at) == "02:15"  # 30 real minutes later, on the BST clock


async def test_a_booking_in_the_repeated_autumn_hour_keeps_which_one_was_meant() -> None:
    d = await diary()
    worker = await night_worker(d, AUTUMN, 0, 4 * 60)
    principal = await d.principal()
    first_one = local(AUTUMN, 1, 15, fold=0)  # 01:15 BST
    second_one = local(AUTUMN, 1, 15, fold=1)  # 01:15 GMT, an hour later
    assert second_one.astimezone(UTC) - first_one.astimezone(UTC) == timedelta(hours=1)
    for moment in (first_one, second_one):
        patient = await factories.patient(d.practice)
        request = booking.BookingRequest(
            practice_id=d.practice.id,
            patient_id=patient.id,
            practitioner_id=worker.id,
            appointment_type_id=d.exam.id,
            starts_at=moment,
        )
        await booking.book(principal, request=request)  # no clash: they are an hour apart
    rows = await Appointment.filter(practitioner_id=worker.id).order_by("starts_at")
    assert [r.starts_at for r in rows] == [first_one.astimezone(UTC), second_one.astimezone(UTC)]
    assert all(r.ends_at - r.starts_at == timedelta(minutes=30) for r in rows)


async def test_a_monday_session_after_the_change_starts_at_nine_on_the_clock() -> None:
    """A session valid from the change day on is not shifted by the earlier offset."""
    d = await diary()
    worker = await night_worker(d, AUTUMN + timedelta(days=1), 9 * 60, 10 * 60)
    found = await day_slots(d, AUTUMN + timedelta(days=1), worker.id)
    assert [wall(s.starts_at) for s in found] == ["09:00", "09:15", "09:30"]
    assert found[0].starts_at.astimezone(UTC).hour == 9  # GMT again

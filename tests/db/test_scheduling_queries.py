"""The diary's write-path query helpers change only the practice they are given: an id of
another practice's hold, appointment, recall, waitlist entry or set-up row, handed over with
the wrong practice, reads as missing and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from tortoise.transactions import in_transaction

from db.models import (
    Closure,
    Recall,
    ScheduleBlock,
    SlotHold,
    WaitlistEntry,
)
from db.queries import appointments, diary_setup, holds, occupancy, recalls, waitlist
from db.tenancy import PracticeId
from tests.scheduling_fixtures import Diary, diary

pytestmark = pytest.mark.usefixtures("db")
NOW = datetime.now(UTC)


def pid(d: Diary) -> PracticeId:
    return PracticeId(UUID(str(d.practice.id)))


async def _hold(d: Diary, expires_at: datetime) -> SlotHold:
    start = NOW + timedelta(days=3)
    hold = await SlotHold.create(
        practice_id=d.practice.id,
        practitioner_id=d.dentist.id,
        room_id=d.room.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        expires_at=expires_at,
    )
    await ScheduleBlock.create(
        practice_id=d.practice.id,
        key=f"room:{d.room.id}",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        hold_id=hold.id,
    )
    return hold


async def test_another_practices_hold_is_missing_and_untouched() -> None:
    ours, theirs = await diary(), await diary()
    hold = await _hold(theirs, NOW - timedelta(minutes=1))  # active, and expired
    async with in_transaction() as connection:
        assert await holds.hold(pid(ours), hold.id, connection) is None
        assert await holds.release(pid(ours), hold.id, connection) == 0
        await holds.use(pid(ours), hold.id, connection)
        assert await holds.expired_locked(pid(ours), NOW, connection) == []
        await holds.expire(pid(ours), [hold.id], connection)
        await occupancy.free_holds(pid(ours), [hold.id], connection)
    assert (await SlotHold.get(id=hold.id)).status == "ACTIVE"
    assert await ScheduleBlock.filter(hold_id=hold.id).count() == 1
    # The sweep finds it under its own practice, and there it is released.
    assert pid(theirs) in {h.practice_id for h in await holds.practices_with_expired(NOW)}
    async with in_transaction() as connection:
        assert await holds.release(pid(theirs), hold.id, connection) == 1
        await occupancy.free_holds(pid(theirs), [hold.id], connection)
    assert await ScheduleBlock.filter(hold_id=hold.id).count() == 0


async def test_another_practices_appointment_is_missing_and_keeps_its_blocks() -> None:
    ours, theirs = await diary(), await diary()
    start = NOW + timedelta(days=2)
    booked = theirs.appointment(start, start + timedelta(minutes=30))
    await booked.save()
    await ScheduleBlock.create(
        practice_id=theirs.practice.id,
        key=f"room:{theirs.room.id}",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        appointment_id=booked.id,
    )
    assert await appointments.in_practice(pid(ours), booked.id) is None
    assert await appointments.practice_of({pid(ours)}, booked.id) is None
    assert await appointments.practice_of({pid(theirs)}, booked.id) == pid(theirs)
    assert await appointments.live(pid(ours), NOW) == []
    assert [a.id for a in await appointments.live(pid(theirs), NOW)] == [booked.id]
    async with in_transaction() as connection:
        assert await appointments.locked(pid(ours), booked.id, connection) is None
        await occupancy.free_appointment(pid(ours), booked.id, connection)
    assert await ScheduleBlock.filter(appointment_id=booked.id).count() == 1


async def test_another_practices_recall_entry_and_setup_rows_are_untouched() -> None:
    ours, theirs = await diary(), await diary()
    recall = await Recall.create(
        practice_id=theirs.practice.id,
        patient_id=theirs.patient.id,
        kind="EXAM",
        interval_months=6,
        due_on=date.today(),
    )
    entry = await WaitlistEntry.create(
        practice_id=theirs.practice.id,
        patient_id=theirs.patient.id,
        appointment_type_id=theirs.exam.id,
    )
    closure = await Closure.create(
        practice_id=theirs.practice.id,
        starts_at=NOW + timedelta(days=9),
        ends_at=NOW + timedelta(days=10),
        reason="Refit",
    )
    async with in_transaction() as connection:
        assert await recalls.recall(pid(ours), theirs.patient.id, "EXAM", connection) is None
        await recalls.remove(pid(ours), recall.id, connection)
        await waitlist.deactivate(pid(ours), entry.id, connection)
        await diary_setup.remove(pid(ours), closure, connection)
        assert not await diary_setup.still_active(
            type(theirs.room), pid(ours), theirs.room.id, connection
        )
        assert await diary_setup.still_active(
            type(theirs.room), pid(theirs), theirs.room.id, connection
        )
    assert await Recall.exists(id=recall.id)
    assert (await WaitlistEntry.get(id=entry.id)).active
    assert await Closure.exists(id=closure.id)
    assert await recalls.due(pid(ours), date.today(), patients=None, after=None, limit=5) == []
    assert await waitlist.page(pid(ours), patients=None, after=None, limit=5) == []

"""The recalls statement against a brute-force reading of its own definitions: hypothesis lays
out random recall cycles (waiting, met by a visit, met by a treatment) and random bookings
(kept, completed, missed, cancelled with and without a time, of the recall kinds and not),
asks for a random period, grouping and "now", and every (bucket, kind, practitioner) row must
equal what a loop over every cycle, bucket and booking counts. The statement finds the late
buckets and the held ones as runs by binary search; this checks it against the plain loops."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.models import Appointment, AppointmentType, Recall, RecallMet
from db.queries import report_recalls
from services import tenant_gate
from services.reports import periods
from services.reports import recalls as recall_report
from tests import factories
from tests.reports.report_support import LONDON, appointment
from tests.scheduling_fixtures import Diary, diary, practitioner

BASE = date(2026, 1, 1)
KINDS = ("EXAM", "HYGIENE", None)  # None: a type with no recall kind
STATUSES = ("BOOKED", "COMPLETED", "DID_NOT_ATTEND", "CANCELLED")

# A met cycle: (due day offset, days from due to met, met by a visit rather than a treatment).
MET = st.tuples(st.integers(-60, 150), st.integers(-20, 40), st.booleans())
# Per patient and kind: the waiting recall's due offset (or none), and the met cycles.
CYCLES = st.tuples(st.none() | st.integers(-60, 150), st.lists(MET, max_size=2))
# A booking: (kind index, start day offset, status, days booked ahead, cancelled: days before
# the start (negative: after), or none), by one of two practitioners.
BOOKING = st.tuples(
    st.integers(0, 2),
    st.integers(-60, 160),
    st.sampled_from(STATUSES),
    st.integers(1, 60),
    st.none() | st.integers(-3, 30),
    st.integers(0, 1),
)
PATIENT = st.tuples(CYCLES, CYCLES, st.lists(BOOKING, max_size=4))
ASK = st.tuples(
    st.integers(0, 20),  # first day offset
    st.integers(20, 120),  # period length, days
    st.sampled_from(("DAY", "WEEK", "MONTH")),
    st.integers(0, 150 * 24),  # now: hours after BASE
)


def at(offset_days: int, minute: int = 0) -> datetime:
    day = BASE + timedelta(days=offset_days)
    return datetime.combine(day, time(10, minute), LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Booking:
    id: UUID
    patient: UUID
    kind: str | None
    starts: datetime
    made: datetime
    until: datetime | None  # held while made < t <= until
    status: str
    practitioner: UUID


@dataclass(frozen=True)
class Cycle:
    patient: UUID
    kind: str
    due: date
    met_at: datetime | None
    visit: UUID | None


async def _lay_out(
    where: Diary, people: list[tuple[Any, Any, Any]]
) -> tuple[list[Cycle], list[Booking]]:
    hygiene = await AppointmentType.create(
        practice_id=where.practice.id, name="Hygiene", duration_minutes=30, recall_kind="HYGIENE"
    )
    types = {"EXAM": where.exam, "HYGIENE": hygiene, None: where.filler}
    staff = [where.dentist.id, (await practitioner(where.practice, where.room2)).id]
    cycles: list[Cycle] = []
    bookings: list[Booking] = []
    minute = 0
    for exam, hyg, booked in people:
        patient = (await factories.patient(where.practice)).id
        for kind, (waiting, met) in (("EXAM", exam), ("HYGIENE", hyg)):
            if waiting is not None:
                due = BASE + timedelta(days=waiting)
                await Recall.create(
                    practice_id=where.practice.id,
                    patient_id=patient,
                    kind=kind,
                    interval_months=6,
                    due_on=due,
                )
                cycles.append(Cycle(patient, kind, due, None, None))
            for due_offset, late_by, by_visit in met:
                due, minute = BASE + timedelta(days=due_offset), minute + 1
                met_at = at(due_offset + late_by, minute)
                visit = None
                if by_visit:
                    row = await appointment(
                        where, met_at, "COMPLETED", patient_id=patient,
                        appointment_type_id=types[kind].id, practitioner_id=staff[minute % 2],
                    )  # fmt: skip
                    await Appointment.filter(id=row.id).update(created_at=met_at - timedelta(1))
                    visit = row.id
                    bookings.append(
                        Booking(row.id, patient, kind, met_at, met_at - timedelta(1), met_at,
                                "COMPLETED", staff[minute % 2])
                    )  # fmt: skip
                await RecallMet.create(
                    practice_id=where.practice.id, patient_id=patient, kind=kind, due_on=due,
                    met_at=met_at, appointment_id=visit,
                )  # fmt: skip
                cycles.append(Cycle(patient, kind, due, met_at, visit))
        for kind_index, start, status, ahead, cancelled, who in booked:
            minute += 1
            starts, booked_kind = at(start, minute), KINDS[kind_index]
            made = starts - timedelta(days=ahead)
            cancel_at = None
            if status == "CANCELLED" and cancelled is not None:
                cancel_at = starts - timedelta(days=cancelled)
            row = await appointment(
                where, starts, status, patient_id=patient,
                appointment_type_id=types[booked_kind].id,
                practitioner_id=staff[who], cancelled_at=cancel_at,
            )  # fmt: skip
            await Appointment.filter(id=row.id).update(created_at=made)
            until: datetime | None = starts
            if status == "CANCELLED":
                until = None if cancel_at is None else min(cancel_at, starts)
            bookings.append(
                Booking(row.id, patient, booked_kind, starts, made, until, status, staff[who])
            )
    return cycles, bookings


def _oracle(
    cycles: list[Cycle],
    bookings: list[Booking],
    rows: list[report_recalls.RecallBucket],
    first: date,
    last: date,
    since: datetime,
    now: datetime,
) -> Counter[tuple[int, str, UUID | None, str]]:
    """Every figure by (bucket, kind, practitioner, figure), counted one cycle at a time."""
    out: Counter[tuple[int, str, UUID | None, str]] = Counter()
    for c in cycles:
        if c.due > last or (c.met_at is not None and c.due < first and c.met_at < since):
            continue  # not a cycle the period counts
        due_at = datetime.combine(c.due, time(0), UTC)
        own = [b for b in bookings if b.patient == c.patient and b.kind == c.kind]
        holding = [b for b in own if b.starts >= min(due_at, now) and b.until is not None]
        live = sorted(
            (b for b in holding if b.made < now and b.until is not None and b.until >= now),
            key=lambda b: (b.starts, str(b.id)),
        )
        seen = sorted(
            (
                b
                for b in own
                if b.status == "COMPLETED" and (c.met_at is None or b.starts <= c.met_at)
            ),
            key=lambda b: (b.starts, str(b.id)),
        )
        visits = [b.practitioner for b in bookings if b.id == c.visit]
        who: UUID | None = (
            visits[0]
            if visits
            else live[0].practitioner
            if c.met_at is None and live
            else seen[-1].practitioner
            if seen
            else None
        )
        for r in rows:
            key = (r.index, c.kind, who)
            if r.first_day <= c.due <= r.last_day:
                out[(*key, "due")] += 1
                out[(*key, "met")] += c.met_at is not None
                out[(*key, "booked")] += c.met_at is None and bool(live)
            late = c.due < r.cut and (c.met_at is None or c.met_at >= r.judged_at)
            held = any(
                b.made < r.judged_at and b.until is not None and b.until >= r.judged_at
                for b in holding
            )
            out[(*key, "overdue")] += late and not held
    return out


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(PATIENT, min_size=1, max_size=4), ask=ASK)
async def test_the_statement_counts_what_the_definitions_say(
    db: str, people: list[tuple[Any, Any, Any]], ask: tuple[int, int, str, int]
) -> None:
    where = await diary()
    cycles, bookings = await _lay_out(where, people)
    start, length, grouping, hours = ask
    now = datetime.combine(BASE, time(0), UTC) + timedelta(hours=hours)
    found = periods.period(
        BASE + timedelta(days=start), BASE + timedelta(days=start + length), grouping
    )
    today = now.astimezone(LONDON).date()
    pid = tenant_gate.held_practice(where.practice.id)
    rows = []
    for b in periods.buckets(found, LONDON):
        cut, judged = recall_report._judged_at(b, today, now)
        rows.append(report_recalls.RecallBucket(pid, b.index, b.first_day, b.last_day, cut, judged))
    since = periods.span(found, LONDON)[0]
    got = await report_recalls.recalls([pid], rows, since=since, now=now)
    counted: Counter[tuple[int, str, UUID | None, str]] = Counter()
    for r in got:
        assert r.due > 0 or r.overdue > 0, r  # rows of nothing are left out
        for figure in ("due", "met", "booked", "overdue"):
            counted[(r.bucket, r.kind, r.practitioner_id, figure)] += getattr(r, figure)
    expected = _oracle(cycles, bookings, rows, found.first_day, found.last_day, since, now)
    assert +counted == +expected

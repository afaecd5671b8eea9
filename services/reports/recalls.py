"""Recalls: how many patients fell due for an exam or hygiene visit, how many came or booked,
and how many were left overdue, per bucket of the due date.

A recall cycle is one due date of a patient's EXAM or HYGIENE recall (``Recall.due_on`` while
waiting; ``RecallMet`` once a completed visit, or a treatment with that recall effect, met it:
completion moves the recall on, so the met due dates are kept there). Definitions (printed in
the schema too):

- due: cycles whose due date falls in the bucket (the practice's calendar days);
- met: of those, the ones a completed visit (or treatment) has met, whenever it happened
  (early visits included);
- booked: of those not met, the ones with a live booking now: an appointment of the patient in
  the practice, of a type with that recall kind, booked before now, starting now or later and
  not cancelled;
- converted = met + booked; conversion rate = converted ÷ due;
- overdue: at the bucket's end (or now, for a bucket not over yet), the cycles due before that
  day, not met by then and without a booking then (booked before that instant, starting at or
  after it, not cancelled before it) — every such cycle, whatever bucket it fell due in;
- per practitioner: the practitioner of the visit that met the cycle; for one not met, of its
  earliest live booking, else of the patient's latest completed visit of that kind; else
  unassigned. Per kind: EXAM and HYGIENE.

Due dates met before this report existed were not kept: before migration 0028, only recalls
still waiting are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

from db.queries import report_recalls
from services.principal import Principal
from services.reports import periods, reach, series
from services.scheduling.kinds import RecallKind

NAME = "recalls"
KINDS = tuple(k.value for k in RecallKind)

Who = tuple[UUID | None, str | None]  # a practitioner's id and name; (None, None): unassigned
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class RecallCounts:
    due: int = 0
    met: int = 0
    booked: int = 0
    overdue: int = 0

    def __add__(self, other: RecallCounts) -> RecallCounts:
        return RecallCounts(
            self.due + other.due,
            self.met + other.met,
            self.booked + other.booked,
            self.overdue + other.overdue,
        )

    @property
    def converted(self) -> int:
        return self.met + self.booked


def _merged(a: Mapping[K, RecallCounts], b: Mapping[K, RecallCounts]) -> dict[K, RecallCounts]:
    out = dict(a)
    for key, counts in b.items():
        out[key] = out.get(key, RecallCounts()) + counts
    return out


@dataclass(frozen=True, slots=True)
class Recalls:
    """All cycles of a bucket, and the same split by recall kind and by practitioner."""

    counts: RecallCounts = RecallCounts()
    by_kind: Mapping[str, RecallCounts] = field(default_factory=dict)
    by_practitioner: Mapping[Who, RecallCounts] = field(default_factory=dict)

    def __add__(self, other: Recalls) -> Recalls:
        return Recalls(
            self.counts + other.counts,
            _merged(self.by_kind, other.by_kind),
            _merged(self.by_practitioner, other.by_practitioner),
        )

    def overdue_only(self, keep: bool) -> Recalls:
        """The overdue counts alone (``keep``), or everything but them."""

        def cut(c: RecallCounts) -> RecallCounts:
            return RecallCounts(overdue=c.overdue) if keep else replace(c, overdue=0)

        return Recalls(
            cut(self.counts),
            {k: cut(c) for k, c in self.by_kind.items()},
            {k: cut(c) for k, c in self.by_practitioner.items()},
        )

    def kinds(self) -> list[tuple[str, RecallCounts]]:
        """Every kind, in a fixed order (zero when none)."""
        return [(k, self.by_kind.get(k, RecallCounts())) for k in KINDS]

    def practitioners(self) -> list[tuple[Who, RecallCounts]]:
        """By name, the unassigned last."""
        return sorted(
            self.by_practitioner.items(),
            key=lambda item: (item[0][1] is None, item[0][1] or "", str(item[0][0])),
        )


def clock() -> datetime:
    """Now (tests set it: "booked now" and the current bucket's overdue depend on it)."""
    return datetime.now(UTC)


def _judged_at(bucket: periods.Bucket, today: date, now: datetime) -> tuple[date, datetime]:
    """The day before which a cycle is late at the bucket's end, and that instant (now, if the
    bucket has not ended)."""
    if bucket.ends_at <= now:
        return bucket.last_day + timedelta(days=1), bucket.ends_at
    return today, now


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> series.Report[Recalls]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    moment = clock()
    buckets: list[report_recalls.RecallBucket] = []
    for practice in where.practices:
        today = moment.astimezone(practice.zone).date()
        for b in periods.buckets(found, practice.zone):
            cut, judged = _judged_at(b, today, moment)
            buckets.append(
                report_recalls.RecallBucket(
                    practice.practice_id, b.index, b.first_day, b.last_day, cut, judged
                )
            )
    since = min((periods.span(found, p.zone)[0] for p in where.practices), default=moment)
    rows = await report_recalls.recalls(where.practice_ids, buckets, since=since, now=moment)
    figures: dict[tuple[UUID, int], Recalls] = {}
    for r in rows:
        counts = RecallCounts(r.due, r.met, r.booked, r.overdue)
        one = Recalls(counts, {r.kind: counts}, {(r.practitioner_id, r.practitioner_name): counts})
        key = (r.practice_id, r.bucket)
        figures[key] = figures.get(key, Recalls()) + one
    return series.assemble(NAME, where, found, figures, Recalls(), total_of=_total(found, figures))


def _total(
    found: periods.Period, figures: Mapping[tuple[UUID, int], Recalls]
) -> Callable[[reach.PracticeCalendar], Recalls]:
    """The whole period: due, met and booked summed over the buckets, overdue at the end of the
    last one (summing it would count a patient once per bucket they stayed overdue)."""

    def total(practice: reach.PracticeCalendar) -> Recalls:
        cut = periods.buckets(found, practice.zone)
        items = [figures.get((practice.practice_id, b.index), Recalls()) for b in cut]
        summed = sum((f.overdue_only(keep=False) for f in items), Recalls())
        return summed + (items[-1].overdue_only(keep=True) if items else Recalls())

    return total

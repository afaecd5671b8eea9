"""New and returning patients, per bucket of the appointments' start.

Definitions (printed in the schema too):
- seen: distinct patients with an attended appointment (ARRIVED, IN_SURGERY or COMPLETED:
  the patient came) starting in the bucket, within the filters;
- new: those of them with no attended appointment at the practice starting before the bucket
  (any practitioner or type: new to the practice, whatever the filters); a patient is new in
  the bucket of their first visit and returning afterwards;
- returning: seen − new.
Distinct patients do not add up over buckets: the period's figures are counted over the whole
period in the same statement (a patient new in one week and back the next is one patient, new,
in the period). The organisation's figures are the sum of its practices' (a patient is counted
at each practice they attended).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_visits
from db.queries.report_diary import DiaryFilter
from services.principal import Principal
from services.reports import filters as report_filters
from services.reports import periods, reach, series
from services.reports.reach import PracticeCalendar

NAME = "patientMix"


@dataclass(frozen=True, slots=True)
class PatientMix:
    seen: int = 0
    new: int = 0

    def __add__(self, other: PatientMix) -> PatientMix:
        return PatientMix(self.seen + other.seen, self.new + other.new)

    @property
    def returning(self) -> int:
        return self.seen - self.new


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
    filters: DiaryFilter | None = None,
) -> series.Report[PatientMix]:
    """Two statements: the reach and the counts (buckets and period together)."""
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    narrowed = filters or report_filters.diary_filter()
    rows = await report_visits.patient_mix(series.bounds(where, found), narrowed)
    figures = {(r.practice_id, r.bucket): PatientMix(r.seen, r.new) for r in rows}

    def period_of(practice: PracticeCalendar) -> PatientMix:
        return figures.get((practice.practice_id, report_visits.PERIOD), PatientMix())

    return series.assemble(
        NAME,
        where,
        found,
        figures,
        PatientMix(),
        report_filters.details_of(narrowed),
        total_of=period_of,
    )

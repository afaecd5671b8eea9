"""Attendance: how the booked diary turned out, per bucket of the appointments' start.

Definitions (printed in the schema too):
- appointments: every appointment starting in the bucket, whatever became of it;
- DNA rate: did-not-attend ÷ appointments that were due to happen (not cancelled);
- late-cancellation rate: cancellations inside the practice's notice period ÷ appointments;
- online share: appointments booked by the patient in the portal ÷ appointments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_diary
from db.queries.report_diary import DiaryFilter
from services.principal import Principal
from services.reports import filters as report_filters
from services.reports import periods, reach, series

NAME = "attendance"


@dataclass(frozen=True, slots=True)
class Attendance:
    appointments: int = 0
    completed: int = 0
    cancelled: int = 0
    late_cancelled: int = 0
    did_not_attend: int = 0
    online: int = 0

    def __add__(self, other: Attendance) -> Attendance:
        return Attendance(
            self.appointments + other.appointments,
            self.completed + other.completed,
            self.cancelled + other.cancelled,
            self.late_cancelled + other.late_cancelled,
            self.did_not_attend + other.did_not_attend,
            self.online + other.online,
        )

    @property
    def due(self) -> int:
        return self.appointments - self.cancelled


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
    filters: DiaryFilter | None = None,
) -> series.Report[Attendance]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    narrowed = filters or report_filters.diary_filter()
    rows = await report_diary.attendance(series.bounds(where, found), narrowed)
    figures = {
        (r.practice_id, r.bucket): Attendance(
            r.appointments, r.completed, r.cancelled, r.late_cancelled, r.did_not_attend, r.online
        )
        for r in rows
    }
    return series.assemble(
        NAME, where, found, figures, Attendance(), report_filters.details_of(narrowed)
    )

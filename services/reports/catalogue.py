"""Every report by name, so the CSV export (``/reports/{name}.csv``) and the bench
(``bench/reports.py``) find each one without knowing it.

A report is a function of the shape of ``attendance.report``: the caller, a practice or an
organisation, an inclusive range of local days, a grouping and the diary filters, answering a
``series.Report`` (access is decided inside it, by ``reach``). Registering one is one line in
``REPORTS``: ``<module>.NAME: <module>.report,``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol
from uuid import UUID

from db.queries.report_diary import DiaryFilter
from services.errors import NotFound
from services.principal import Principal
from services.reports import attendance, series


class ReportFunction(Protocol):
    async def __call__(
        self,
        principal: Principal,
        *,
        practice_id: UUID | None,
        organization_id: UUID | None,
        first_day: date,
        last_day: date,
        grouping: str,
        filters: DiaryFilter | None = ...,
    ) -> series.Report[Any]: ...


REPORTS: dict[str, ReportFunction] = {
    attendance.NAME: attendance.report,
}


def names() -> list[str]:
    return sorted(REPORTS)


def find(name: str) -> ReportFunction:
    """The report called ``name``; an unknown one is ``NOT_FOUND`` (like an unknown id)."""
    found = REPORTS.get(name)
    if found is None:
        raise NotFound("Report")
    return found

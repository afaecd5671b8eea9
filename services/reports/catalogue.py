"""Every report by name, so the CSV export (``/reports/{name}.csv``) and the bench
(``bench/reports.py``) find each one without knowing it.

A report is a function of the shape of ``attendance.report``: the caller, a practice or an
organisation, an inclusive range of local days and a grouping, answering a ``series.Report``
(access is decided inside it, by ``reach``); diary reports also take the diary filters
(``filters=``), the others take none. Registering one is one line in ``REPORTS``:
``<module>.NAME: <module>.report,``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from db.queries.report_diary import DiaryFilter
from services.errors import NotFound, ValidationFailed
from services.principal import Principal
from services.reports import (
    attendance,
    cancellation_reasons,
    debt,
    deposits,
    invoiced,
    memberships,
    nhs,
    patient_mix,
    plan_acceptance,
    recalls,
    series,
    takings,
    utilisation,
    waits,
)

ReportFunction = Callable[..., Awaitable[series.Report[Any]]]


async def _nhs_activity(principal: Principal, **asked: Any) -> series.Report[Any]:
    """NHS activity's series (its contract years are for the GraphQL read only)."""
    return (await nhs.report(principal, **asked)).report


REPORTS: dict[str, ReportFunction] = {
    attendance.NAME: attendance.report,
    utilisation.NAME: utilisation.report,
    waits.NAME: waits.report,
    patient_mix.NAME: patient_mix.report,
    cancellation_reasons.NAME: cancellation_reasons.report,
    takings.NAME: takings.report,
    invoiced.NAME: invoiced.report,
    debt.NAME: debt.report,
    deposits.NAME: deposits.report,
    plan_acceptance.NAME: plan_acceptance.report,
    memberships.NAME: memberships.report,
    recalls.NAME: recalls.report,
    nhs.NAME: _nhs_activity,
}


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    report: ReportFunction
    filtered: bool  # takes the diary filters (practitioners, rooms, appointment types)


def entries() -> list[Entry]:
    return [find(name) for name in sorted(REPORTS)]


def find(name: str) -> Entry:
    """The report called ``name``; an unknown one is ``NOT_FOUND`` (like an unknown id)."""
    found = REPORTS.get(name)
    if found is None:
        raise NotFound("Report")
    return Entry(name, found, "filters" in inspect.signature(found).parameters)


async def run(
    entry: Entry,
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
    filters: DiaryFilter | None = None,
) -> series.Report[Any]:
    """The report with these arguments; filters given to a report without any are refused
    (BAD_USER_INPUT), never silently dropped."""
    narrowed: dict[str, DiaryFilter] = {}
    if entry.filtered:
        narrowed["filters"] = filters or DiaryFilter()
    elif filters is not None and any(
        (filters.practitioner_ids, filters.room_ids, filters.appointment_type_ids)
    ):
        raise ValidationFailed(
            f"The {entry.name} report takes no practitioner, room or type filter.",
            field="practitionerIds",
        )
    return await entry.report(
        principal,
        practice_id=practice_id,
        organization_id=organization_id,
        first_day=first_day,
        last_day=last_day,
        grouping=grouping,
        **narrowed,
    )

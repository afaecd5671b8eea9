"""What every report shares in the schema: the period asked, the diary filters, where it was
counted, and the audit record of a report read (one row naming the report and its arguments)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, TypedDict
from uuid import UUID

import strawberry

from graph.audit_extension import ReadRecord
from graph.ids import IdFields, optional_id_argument
from services.reports import filters as report_filters
from services.reports import periods, series
from services.reports.reach import PracticeCalendar


@strawberry.enum(description="How a report's days are cut (in each practice's time zone).")
class ReportGrouping(Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.input(
    description="Calendar days, both included, at most two years, cut into days, ISO weeks "
    "(Monday first) or months; the first and last buckets are cut to the range."
)
class ReportPeriodInput:
    from_: date = strawberry.field(name="from", description="The first day (inclusive).")
    to: date = strawberry.field(description="The last day (inclusive).")
    grouping: ReportGrouping = strawberry.field(
        default=ReportGrouping.WEEK, description="How the days are cut."
    )


@strawberry.input(
    description="Count only these practitioners, rooms or appointment types (empty: all). An "
    "id of another practice matches nothing."
)
class DiaryReportFilterInput(IdFields):
    practitioner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Practitioners (at most 100)."
    )
    room_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Rooms (at most 100)."
    )
    appointment_type_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Appointment types (at most 100)."
    )


PracticeArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="One practice (give this or organizationId)."),
]
OrganizationArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="An organisation roll-up over its practices (organisation-wide roles "
        "only; give this or practiceId)."
    ),
]
PeriodArgument = Annotated[
    ReportPeriodInput, strawberry.argument(description="The days counted and how they are cut.")
]
DiaryFilterArgument = Annotated[
    DiaryReportFilterInput | None,
    strawberry.argument(description="Narrow to practitioners, rooms or appointment types."),
]


@strawberry.type(description="Where and over what a report was counted.")
class ReportScope:
    name: str = strawberry.field(description="The report.")
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organisation, for a roll-up."
    )
    first_day: date = strawberry.field(description="The first day counted.")
    last_day: date = strawberry.field(description="The last day counted.")
    grouping: ReportGrouping = strawberry.field(description="How the days were cut.")


@strawberry.type(description="A practice a report counted.")
class ReportPractice:
    id: strawberry.ID = strawberry.field(description="The practice.")
    name: str = strawberry.field(description="Its name.")
    time_zone: str = strawberry.field(description="The IANA zone its days are counted in.")

    @classmethod
    def from_calendar(cls, found: PracticeCalendar | None) -> ReportPractice | None:
        if found is None:
            return None
        return cls(
            id=strawberry.ID(str(found.practice_id)), name=found.name, time_zone=str(found.zone)
        )


def scope_of(report: series.Report[series.F]) -> ReportScope:
    oid = report.reach.organization_id
    return ReportScope(
        name=report.name,
        organization_id=None if oid is None else strawberry.ID(str(oid)),
        first_day=report.period.first_day,
        last_day=report.period.last_day,
        grouping=ReportGrouping(report.period.grouping.value),
    )


def read_record_of(report: series.Report[series.F]) -> ReadRecord:
    """One audit row per report read: the report, the practice (none for a roll-up) and what
    was asked (period, filters, the organisation)."""
    reach = report.reach
    practice: UUID | None = None if reach.is_rollup else reach.practice_ids[0]
    where = (
        f"organizationId={reach.organization_id}" if reach.is_rollup else f"practiceId={practice}"
    )
    return ReadRecord(
        f"Report:{report.name}", report.name, None, practice, details=(*report.details, where)
    )


def period_of(found: ReportPeriodInput) -> tuple[date, date, str]:
    return found.from_, found.to, found.grouping.value


def diary_filter_of(found: DiaryReportFilterInput | None) -> report_filters.DiaryFilter:
    if found is None:
        return report_filters.diary_filter()
    return report_filters.diary_filter(
        found.id_lists.practitioner_ids,
        found.id_lists.room_ids,
        found.id_lists.appointment_type_ids,
    )


def where_of(
    practice_id: strawberry.ID | None, organization_id: strawberry.ID | None
) -> tuple[UUID | None, UUID | None]:
    return (
        optional_id_argument(practice_id=practice_id),
        optional_id_argument(organization_id=organization_id),
    )


class ReportArguments(TypedDict):
    """What every report service takes from its field's arguments (``**`` into the call)."""

    practice_id: UUID | None
    organization_id: UUID | None
    first_day: date
    last_day: date
    grouping: str


def report_arguments(
    period: ReportPeriodInput,
    practice_id: strawberry.ID | None,
    organization_id: strawberry.ID | None,
) -> ReportArguments:
    practice, organization = where_of(practice_id, organization_id)
    first, last, grouping = period_of(period)
    return ReportArguments(
        practice_id=practice,
        organization_id=organization,
        first_day=first,
        last_day=last,
        grouping=grouping,
    )


def bucket_days(bucket: periods.Bucket) -> tuple[date, date]:
    return bucket.first_day, bucket.last_day

"""Report queries: parse the period, place and filters, call one report service, map back.
Each report read is one audit row naming the report and its arguments (``AuditReads``)."""

from __future__ import annotations

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.report_attendance import AttendanceReport
from graph.schema.reports import (
    DiaryFilterArgument,
    OrganizationArgument,
    PeriodArgument,
    PracticeArgument,
    diary_filter_of,
    report_arguments,
)
from services.policy import Scope
from services.reports import attendance


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="Attendance: appointments, cancellations (late), DNAs and online bookings "
        "per bucket, for a practice or an organisation roll-up (reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def attendance_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
        filter: DiaryFilterArgument = None,
    ) -> AttendanceReport | None:
        found = await attendance.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
            filters=diary_filter_of(filter),
        )
        return AttendanceReport.from_report(found)

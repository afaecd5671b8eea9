"""The diary's report queries beside attendance: utilisation, waiting times, patient mix and
cancellation reasons. Each parses the period, place and filters, calls its one report service
and maps back; each read is one audit row naming the report and its arguments."""

from __future__ import annotations

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.report_cancellations import CancellationReasonsReport
from graph.schema.report_patient_mix import PatientMixReport
from graph.schema.report_utilisation import UtilisationReport
from graph.schema.report_waits import WaitingTimesReport
from graph.schema.reports import (
    DiaryFilterArgument,
    OrganizationArgument,
    PeriodArgument,
    PracticeArgument,
    diary_filter_of,
    report_arguments,
)
from services.policy import Scope
from services.reports import cancellation_reasons, patient_mix, utilisation, waits


@strawberry.type
class DiaryReportQueries:
    @strawberry.field(
        description="Utilisation: minutes booked against the minutes the practitioners' "
        "sessions offered (less absences and closures), per practitioner and per room (chair), "
        "per bucket, for a practice or an organisation roll-up (reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def utilisation_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
        filter: DiaryFilterArgument = None,
    ) -> UtilisationReport | None:
        found = await utilisation.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
            filters=diary_filter_of(filter),
        )
        return UtilisationReport.from_report(found)

    @strawberry.field(
        description="Waiting times: average wait from ARRIVED to IN_SURGERY and average chair "
        "time from IN_SURGERY to COMPLETED, with their sums and counts, per bucket, for a "
        "practice or an organisation roll-up (reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def waiting_times_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
        filter: DiaryFilterArgument = None,
    ) -> WaitingTimesReport | None:
        found = await waits.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
            filters=diary_filter_of(filter),
        )
        return WaitingTimesReport.from_report(found)

    @strawberry.field(
        description="Patient mix: distinct patients seen per bucket, new to the practice or "
        "returning, and over the whole period, for a practice or an organisation roll-up "
        "(reports:read). Counts only, no patient named. Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def patient_mix_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
        filter: DiaryFilterArgument = None,
    ) -> PatientMixReport | None:
        found = await patient_mix.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
            filters=diary_filter_of(filter),
        )
        return PatientMixReport.from_report(found)

    @strawberry.field(
        description="Cancellations by coded reason (UNCODED for none), late or not, per "
        "bucket, for a practice or an organisation roll-up (reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def cancellation_reasons_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
        filter: DiaryFilterArgument = None,
    ) -> CancellationReasonsReport | None:
        found = await cancellation_reasons.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
            filters=diary_filter_of(filter),
        )
        return CancellationReasonsReport.from_report(found)

"""The recalls and NHS activity reports, the practice's NHS contract years and the system
owner's platform counts: parse the period and place, call one service, map back. Each report
read is one audit row naming the report and its arguments (``AuditReads``)."""

from __future__ import annotations

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.report_nhs import (
    NhsActivityReport,
    NhsContractYear,
    NhsContractYearPayload,
    SetNhsContractYearInput,
)
from graph.schema.report_platform import PlatformCounts
from graph.schema.report_recalls import RecallReport
from graph.schema.reports import (
    OrganizationArgument,
    PeriodArgument,
    PracticeArgument,
    period_of,
    report_arguments,
)
from services.policy import Scope
from services.reports import nhs, nhs_contract, platform, recalls


@strawberry.type
class FollowUpReportQueries:
    @strawberry.field(
        description="Recalls by bucket of the due date: due, met, booked, converted, overdue, "
        "per recall kind and practitioner, for a practice or an organisation roll-up "
        "(reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def recall_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> RecallReport | None:
        found = await recalls.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return RecallReport.from_report(found)

    @strawberry.field(
        description="NHS England activity by bucket of the completion day: courses by band, "
        "UDAs delivered against the contract's pro rata target and the year-to-date position "
        "against the 96-102 % band, for a practice or an organisation roll-up (reports:read; "
        "practices outside England are listed, not counted). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def nhs_activity_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> NhsActivityReport | None:
        found = await nhs.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return NhsActivityReport.from_report(found)

    @strawberry.field(
        description="The system owner's organisation-level counts: per organisation its "
        "practices, active staff and patient records (counts), and per bucket appointments and "
        "invoices issued; no patient data, no money (organization:admin held platform-wide; "
        "anyone else FORBIDDEN). Audited.",
        extensions=[*requires(Scope.ORGANIZATION_ADMIN), AuditReads()],
    )
    async def platform_counts(self, info: Info, period: PeriodArgument) -> PlatformCounts | None:
        first, last, grouping = period_of(period)
        found = await platform.counts(
            info.context.principal, first_day=first, last_day=last, grouping=grouping
        )
        return PlatformCounts.from_counts(found)


@strawberry.type
class NhsContractMutations:
    @strawberry.mutation(
        description="Set the annual UDA target of one NHS England contract year of a practice "
        "in England (practice:write: practice and organisation administrators). A year "
        "overlapping another is CONFLICT. Audited; emits a billing event.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def set_nhs_contract_year(
        self, info: Info, input: SetNhsContractYearInput
    ) -> NhsContractYearPayload | None:
        row = await nhs_contract.set_year(
            info.context.principal,
            practice_id=input.ids.practice_id,
            starts_on=input.starts_on,
            annual_uda_target=input.annual_uda_target,
        )
        return NhsContractYearPayload(contract_year=NhsContractYear.from_model(row))

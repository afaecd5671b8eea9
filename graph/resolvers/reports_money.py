"""Money report queries: takings, invoiced vs taken, aged debt, deposits, treatment-plan
acceptance and memberships. Each parses the period and place, calls one report service and maps
back; each read is one audit row naming the report and its arguments (``AuditReads``)."""

from __future__ import annotations

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.report_balances import AgedDebtReport, DepositFigures
from graph.schema.report_plans import MembershipFigures, PlanAcceptanceFigures
from graph.schema.report_series import SeriesReport
from graph.schema.report_takings import InvoicedVsTakenFigures, TakingsFigures
from graph.schema.reports import (
    OrganizationArgument,
    PeriodArgument,
    PracticeArgument,
    report_arguments,
)
from services.policy import Scope
from services.reports import debt, deposits, invoiced, memberships, plan_acceptance, takings


@strawberry.type
class MoneyReportQueries:
    @strawberry.field(
        description="Takings: payments and deposits received less refunds paid out, per "
        "bucket, in total, by payment method and by practitioner, with the average "
        "transaction value, per currency; for a practice or an organisation roll-up "
        "(reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def takings_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> SeriesReport[TakingsFigures] | None:
        found = await takings.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return TakingsFigures.report(found)

    @strawberry.field(
        description="Invoiced vs taken: invoices issued less credit notes issued, against "
        "net takings, per bucket and currency; for a practice or an organisation roll-up "
        "(reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def invoiced_vs_taken_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> SeriesReport[InvoicedVsTakenFigures] | None:
        found = await invoiced.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return InvoicedVsTakenFigures.report(found)

    @strawberry.field(
        description="Aged debt buckets per practice and combined, as of the period's last day "
        "(or today, when earlier); for a practice or an organisation roll-up (reports:read). "
        "Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def aged_debt_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> AgedDebtReport | None:
        found = await debt.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return AgedDebtReport.from_report(found)

    @strawberry.field(
        description="Deposits taken, applied, refunded and forfeited per bucket and held at "
        "each bucket's end, per currency; for a practice or an organisation roll-up "
        "(reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def deposits_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> SeriesReport[DepositFigures] | None:
        found = await deposits.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return DepositFigures.report(found)

    @strawberry.field(
        description="Treatment-plan acceptance: plans proposed per bucket and, of those, "
        "accepted, completed and declined so far, counts and values, with the acceptance "
        "rates; for a practice or an organisation roll-up (reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def treatment_plan_acceptance_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> SeriesReport[PlanAcceptanceFigures] | None:
        found = await plan_acceptance.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return PlanAcceptanceFigures.report(found)

    @strawberry.field(
        description="Membership plans: members at each bucket's end and their monthly "
        "recurring revenue, joiners and leavers, per plan and currency; for a practice or an "
        "organisation roll-up (reports:read). Audited.",
        extensions=[*requires(Scope.REPORTS_READ), AuditReads()],
    )
    async def membership_report(
        self,
        info: Info,
        period: PeriodArgument,
        practice_id: PracticeArgument = None,
        organization_id: OrganizationArgument = None,
    ) -> SeriesReport[MembershipFigures] | None:
        found = await memberships.report(
            info.context.principal,
            **report_arguments(period, practice_id, organization_id),
        )
        return MembershipFigures.report(found)

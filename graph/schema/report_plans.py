"""The treatment-plan acceptance and membership reports in the schema (definitions in
``services.reports.plan_acceptance`` and ``services.reports.memberships``, repeated in the
descriptions)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from graph.schema.money import MoneyType
from graph.schema.report_series import SeriesReport, report_of
from graph.schema.report_takings import money
from services.reports import memberships, plan_acceptance, series
from services.reports.series import rate

GBP = plan_acceptance.CURRENCY


@strawberry.type(
    description="Treatment plans proposed in a bucket (or the period) and, of those, what the "
    "patients have accepted, completed or declined so far. A proposal is a plan version "
    "created in the bucket with at least one item: each version is put to the patient and "
    "answered on its own (a re-proposed plan counts again, with the items it re-proposes). "
    "Values are the sums of the versions' item fees (GBP)."
)
class PlanAcceptanceFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    proposed: int = strawberry.field(
        description="Plan versions created in the bucket (createdAt) with at least one item."
    )
    proposed_value: MoneyType = strawberry.field(description="The sum of their item fees.")
    accepted: int = strawberry.field(
        description="Of those, the versions accepted so far (acceptedAt set: ACCEPTED, "
        "IN_PROGRESS, COMPLETED, or SUPERSEDED after acceptance)."
    )
    accepted_value: MoneyType = strawberry.field(description="The sum of their item fees.")
    completed: int = strawberry.field(
        description="Of those, the versions with every item done (completedAt set)."
    )
    completed_value: MoneyType = strawberry.field(description="The sum of their item fees.")
    declined: int = strawberry.field(description="Of those, the versions declined.")
    declined_value: MoneyType = strawberry.field(description="The sum of their item fees.")
    acceptance_rate: float | None = strawberry.field(
        description="accepted ÷ proposed (0-1, 4 places; null when none were proposed)."
    )
    value_acceptance_rate: float | None = strawberry.field(
        description="acceptedValue ÷ proposedValue (0-1, 4 places; null when nothing of value "
        "was proposed)."
    )

    @classmethod
    def of(
        cls, first: date, last: date, f: plan_acceptance.PlanAcceptance
    ) -> PlanAcceptanceFigures:
        return cls(
            first_day=first,
            last_day=last,
            proposed=f.proposed,
            proposed_value=money(f.proposed_pence, GBP),
            accepted=f.accepted,
            accepted_value=money(f.accepted_pence, GBP),
            completed=f.completed,
            completed_value=money(f.completed_pence, GBP),
            declined=f.declined,
            declined_value=money(f.declined_pence, GBP),
            acceptance_rate=rate(f.accepted, f.proposed),
            value_acceptance_rate=rate(f.accepted_pence, f.proposed_pence),
        )

    @classmethod
    def report(
        cls, found: series.Report[plan_acceptance.PlanAcceptance]
    ) -> SeriesReport[PlanAcceptanceFigures]:
        return report_of(found, cls.of)


@strawberry.type(description="Members of a membership plan (or all plans of a currency).")
class MembershipAmounts:
    currency: str = strawberry.field(description="ISO 4217 code.")
    joined: int = strawberry.field(
        description="Memberships whose first day (startedOn) falls in the bucket."
    )
    left: int = strawberry.field(
        description="Memberships whose last day (endedOn, inclusive) falls in the bucket."
    )
    active: int = strawberry.field(
        description="Memberships in force at the bucket's end: started on or before its last "
        "day and not ended by then (no last day, or one after the bucket); the previous "
        "bucket's active + joined − left. The period: at its end."
    )
    monthly_recurring_revenue: MoneyType = strawberry.field(
        description="The sum of the monthly fees of the active memberships (each plan's "
        "monthly fee as it stands now)."
    )


@strawberry.type(description="One membership plan's members.")
class PlanMembers(MembershipAmounts):
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    plan_name: str = strawberry.field(description="Its name.")
    monthly_fee: MoneyType = strawberry.field(description="Its monthly fee as it stands now.")


def _amounts(x: memberships.Line) -> dict[str, Any]:
    return {
        "currency": x.currency,
        "joined": x.joined,
        "left": x.left,
        "active": x.active,
        "monthly_recurring_revenue": money(x.recurring_minor, x.currency),
    }


@strawberry.type(
    description="Membership plans in a bucket (or the period): members at its end, monthly "
    "recurring revenue, joiners and leavers; per plan and per currency."
)
class MembershipFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    totals: list[MembershipAmounts] = strawberry.field(
        description="All plans, one per currency (the plans add up to them)."
    )
    plans: list[PlanMembers] = strawberry.field(
        description="Per plan with a member at the bucket's end or a joiner or leaver in it, "
        "by name."
    )

    @classmethod
    def of(cls, first: date, last: date, f: memberships.Memberships) -> MembershipFigures:
        return cls(
            first_day=first,
            last_day=last,
            totals=[MembershipAmounts(**_amounts(x)) for x in f.totals()],
            plans=[
                PlanMembers(
                    plan_id=strawberry.ID(str(x.plan_id)),
                    plan_name=x.plan_name or "",
                    monthly_fee=money(x.monthly_fee_minor or 0, x.currency),
                    **_amounts(x),
                )
                for x in f.by_plan()
            ],
        )

    @classmethod
    def report(
        cls, found: series.Report[memberships.Memberships]
    ) -> SeriesReport[MembershipFigures]:
        return report_of(found, cls.of)

"""The aged-debt and deposits reports in the schema (definitions in ``services.reports.debt``
and ``services.reports.deposits``, repeated in the descriptions). Aged debt is a position on a
day, not a series: one figure per practice and combined."""

from __future__ import annotations

from datetime import date

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.money import MoneyType
from graph.schema.report_series import SeriesReport, report_of
from graph.schema.report_takings import money
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.reports import debt, deposits, series
from services.reports.reach import PracticeCalendar


@strawberry.type(description="What is owed on open invoices in one currency, by days past due.")
class AgedDebtAmounts:
    currency: str = strawberry.field(description="ISO 4217 code.")
    days_0_to_30: MoneyType = strawberry.field(
        description="Due on or after the as-of day less 30 days (including not yet due)."
    )
    days_31_to_60: MoneyType = strawberry.field(description="31-60 days past due.")
    days_61_to_90: MoneyType = strawberry.field(description="61-90 days past due.")
    over_90_days: MoneyType = strawberry.field(description="More than 90 days past due.")
    total: MoneyType = strawberry.field(description="All of it.")
    open_invoices: int = strawberry.field(description="How many invoices are counted.")

    @classmethod
    def from_line(cls, x: debt.Line) -> AgedDebtAmounts:
        c = x.currency
        return cls(
            currency=c,
            days_0_to_30=money(x.days_0_30_minor, c),
            days_31_to_60=money(x.days_31_60_minor, c),
            days_61_to_90=money(x.days_61_90_minor, c),
            over_90_days=money(x.over_90_minor, c),
            total=money(x.total_minor, c),
            open_invoices=x.invoices,
        )


@strawberry.type(
    description="Aged debt of a practice (or the organisation's practices combined) on its "
    "as-of day: what is owed now (total − paid − credited) on invoices now ISSUED or "
    "PARTIALLY_PAID that were issued by the end of the as-of day, aged by days from the due "
    "date (the tax point, else the issue date, when none) to the as-of day."
)
class AgedDebtPosition:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    as_of: date | None = strawberry.field(
        description="The period's last day, or the practice's today when that is earlier "
        "(combined: the latest of the practices' days; null when no practice was counted). A "
        "past day ages today's balances: an invoice settled since is not counted."
    )
    currencies: list[AgedDebtAmounts] = strawberry.field(description="One per currency.")

    @classmethod
    def of(cls, practice: PracticeCalendar | None, f: debt.AgedDebt) -> AgedDebtPosition:
        return cls(
            practice=ReportPractice.from_calendar(practice),
            as_of=f.as_of,
            currencies=[AgedDebtAmounts.from_line(x) for x in f.lines()],
        )


@strawberry.type(
    description="Aged debt buckets (0-30, 31-60, 61-90, over 90 days past due) per practice "
    "and combined, as of the period's last day or today."
)
class AgedDebtReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[AgedDebtPosition] = strawberry.field(description="Per practice.")
    combined: AgedDebtPosition = strawberry.field(
        description="All practices counted, summed per currency (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: series.Report[debt.AgedDebt]) -> AgedDebtReport:
        return cls(
            scope=scope_of(found),
            practices=[AgedDebtPosition.of(s.practice, s.total) for s in found.practices],
            combined=AgedDebtPosition.of(None, found.combined.total),
            _record=read_record_of(found),
        )


@strawberry.type(description="Deposits in one currency.")
class DepositAmounts:
    currency: str = strawberry.field(description="ISO 4217 code.")
    taken: int = strawberry.field(
        description="Deposits (kind DEPOSIT, SUCCEEDED) received in the bucket."
    )
    taken_amount: MoneyType = strawberry.field(description="Their amount.")
    applied: int = strawberry.field(
        description="Deposits applied to an invoice in the bucket (left the hold then)."
    )
    applied_amount: MoneyType = strawberry.field(description="Their amount.")
    refunded: int = strawberry.field(description="Deposits refunded in the bucket.")
    refunded_amount: MoneyType = strawberry.field(description="Their amount.")
    forfeited: int = strawberry.field(
        description="Deposits forfeited in the bucket (a late cancellation or a missed "
        "appointment under the FORFEIT_LATE_OR_DNA policy): the practice kept them."
    )
    forfeited_amount: MoneyType = strawberry.field(description="Their amount.")
    held: int = strawberry.field(
        description="Deposits held at the bucket's end: received before it and not yet "
        "applied, refunded or forfeited then (the period: at its end)."
    )
    held_amount: MoneyType = strawberry.field(description="Their amount.")

    @classmethod
    def from_line(cls, x: deposits.Line) -> DepositAmounts:
        c = x.currency
        return cls(
            currency=c,
            taken=x.taken,
            taken_amount=money(x.taken_minor, c),
            applied=x.applied,
            applied_amount=money(x.applied_minor, c),
            refunded=x.refunded,
            refunded_amount=money(x.refunded_minor, c),
            forfeited=x.forfeited,
            forfeited_amount=money(x.forfeited_minor, c),
            held=x.held,
            held_amount=money(x.held_minor, c),
        )


@strawberry.type(
    description="Deposits in a bucket (or the period), per currency. A deposit is held from "
    "when it was received until it is applied, refunded or forfeited; amounts are each "
    "deposit's full amount."
)
class DepositFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    currencies: list[DepositAmounts] = strawberry.field(description="One per currency.")

    @classmethod
    def of(cls, first: date, last: date, f: deposits.Deposits) -> DepositFigures:
        return cls(
            first_day=first,
            last_day=last,
            currencies=[DepositAmounts.from_line(x) for x in f.lines()],
        )

    @classmethod
    def report(cls, found: series.Report[deposits.Deposits]) -> SeriesReport[DepositFigures]:
        return report_of(found, cls.of)

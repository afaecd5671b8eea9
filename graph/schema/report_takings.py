"""The takings and invoiced-vs-taken reports in the schema (definitions in
``services.reports.takings`` and ``services.reports.invoiced``, repeated in the descriptions).
Money is always ``Money``: integer minor units and a currency, one row per currency."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from graph.schema.money import MoneyType
from graph.schema.payments import PaymentMethod
from graph.schema.report_series import SeriesReport, report_of
from services.billing import payments
from services.billing.money import Money
from services.reports import invoiced as billed
from services.reports import series, takings


def money(minor: int, currency: str) -> MoneyType:
    return MoneyType.from_money(Money(minor, currency))


@strawberry.type(description="Takings in one currency.")
class TakingsAmounts:
    currency: str = strawberry.field(description="ISO 4217 code.")
    received: MoneyType = strawberry.field(
        description="Payments and deposits (SUCCEEDED) received in the bucket, by their "
        "receivedAt, at their full amount (a deposit counts when taken, not when applied; a "
        "payment under an open card dispute is not counted)."
    )
    refunded: MoneyType = strawberry.field(
        description="Refunds (SUCCEEDED) paid out in the bucket, by their own receivedAt."
    )
    net: MoneyType = strawberry.field(description="received − refunded.")
    payments: int = strawberry.field(description="How many payments and deposits were received.")
    refunds: int = strawberry.field(description="How many refunds were paid out.")
    average_transaction_value: MoneyType | None = strawberry.field(
        description="Average transaction value: net ÷ payments, rounded half away from zero to "
        "the minor unit, from the summed net and count (a combined or whole-period value is "
        "never an average of averages); null without payments."
    )

    @staticmethod
    def values(line: takings.Line) -> dict[str, Any]:
        c = line.currency
        average = line.average_minor
        return {
            "currency": c,
            "received": money(line.received_minor, c),
            "refunded": money(line.refunded_minor, c),
            "net": money(line.net_minor, c),
            "payments": line.payments,
            "refunds": line.refunds,
            "average_transaction_value": None if average is None else money(average, c),
        }

    @classmethod
    def from_line(cls, line: takings.Line) -> TakingsAmounts:
        return cls(**TakingsAmounts.values(line))


@strawberry.type(description="Takings by one payment method in one currency.")
class MethodTakings(TakingsAmounts):
    method: PaymentMethod = strawberry.field(description="How it was paid.")  # type: ignore[valid-type]

    @classmethod
    def from_line(cls, line: takings.Line) -> MethodTakings:
        return cls(method=payments.Method(line.key[0]), **TakingsAmounts.values(line))


@strawberry.type(description="Takings attributed to one practitioner in one currency.")
class PractitionerTakings(TakingsAmounts):
    practitioner_id: strawberry.ID | None = strawberry.field(
        description="The practitioner recorded on the payment (chosen when a payment is taken; "
        "a deposit's is its appointment's practitioner; a refund carries its payment's); null "
        "for takings with none recorded."
    )
    practitioner_name: str | None = strawberry.field(description="Their display name.")

    @classmethod
    def from_line(cls, line: takings.Line) -> PractitionerTakings:
        who, name = line.key
        return cls(
            practitioner_id=strawberry.ID(who) if who else None,
            practitioner_name=name or None,
            **TakingsAmounts.values(line),
        )


@strawberry.type(
    description="Money taken in a bucket (or the period): payments and deposits received less "
    "refunds paid out, in total, by method and by practitioner, per currency."
)
class TakingsFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    totals: list[TakingsAmounts] = strawberry.field(description="One per currency.")
    by_method: list[MethodTakings] = strawberry.field(
        description="Per payment method and currency (they add up to the totals)."
    )
    by_practitioner: list[PractitionerTakings] = strawberry.field(
        description="Per practitioner and currency, by name, the unattributed last (they add "
        "up to the totals)."
    )

    @classmethod
    def of(cls, first: date, last: date, f: takings.Takings) -> TakingsFigures:
        return cls(
            first_day=first,
            last_day=last,
            totals=[TakingsAmounts.from_line(x) for x in f.totals()],
            by_method=[MethodTakings.from_line(x) for x in f.by_method()],
            by_practitioner=[PractitionerTakings.from_line(x) for x in f.by_practitioner()],
        )

    @classmethod
    def report(cls, found: series.Report[takings.Takings]) -> SeriesReport[TakingsFigures]:
        return report_of(found, cls.of)


@strawberry.type(description="What was billed against what was taken, in one currency.")
class InvoicedVsTakenAmounts:
    currency: str = strawberry.field(description="ISO 4217 code.")
    invoiced: MoneyType = strawberry.field(
        description="Totals (VAT included) of invoices issued in the bucket (by issuedAt), "
        "whatever became of them since."
    )
    invoices: int = strawberry.field(description="How many invoices were issued.")
    credited: MoneyType = strawberry.field(
        description="Totals of credit notes issued in the bucket, whenever their invoice was."
    )
    credit_notes: int = strawberry.field(description="How many credit notes were issued.")
    net_invoiced: MoneyType = strawberry.field(description="invoiced − credited.")
    net_taken: MoneyType = strawberry.field(
        description="Takings' net: payments and deposits received less refunds paid out "
        "(SUCCEEDED, by receivedAt), as in the takings report."
    )
    difference: MoneyType = strawberry.field(
        description="netInvoiced − netTaken (positive: more billed than collected)."
    )

    @classmethod
    def from_line(cls, x: billed.Line) -> InvoicedVsTakenAmounts:
        c = x.currency
        return cls(
            currency=c,
            invoiced=money(x.invoiced_minor, c),
            invoices=x.invoices,
            credited=money(x.credited_minor, c),
            credit_notes=x.credit_notes,
            net_invoiced=money(x.net_invoiced_minor, c),
            net_taken=money(x.net_taken_minor, c),
            difference=money(x.difference_minor, c),
        )


@strawberry.type(description="Invoiced vs taken in a bucket (or the period), per currency.")
class InvoicedVsTakenFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    currencies: list[InvoicedVsTakenAmounts] = strawberry.field(description="One per currency.")

    @classmethod
    def of(cls, first: date, last: date, f: billed.InvoicedVsTaken) -> InvoicedVsTakenFigures:
        return cls(
            first_day=first,
            last_day=last,
            currencies=[InvoicedVsTakenAmounts.from_line(x) for x in f.lines()],
        )

    @classmethod
    def report(
        cls, found: series.Report[billed.InvoicedVsTaken]
    ) -> SeriesReport[InvoicedVsTakenFigures]:
        return report_of(found, cls.of)

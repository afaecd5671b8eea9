"""Payments, refunds, deposits, a patient's account and statement, and the billing reports as
the graph shows them. Money is always the ``Money`` type (integer minor units + currency).

``PatientAccount`` is reached only through ``Patient.account`` (``@requires billing:read``, the
patient seen through the visibility policy, so a partner app only while the patient shares data
with it) and each read is audited (entity ``PatientAccount``). ``Payment`` comes back only from
a billing mutation whose service demanded billing:write. Reports (``agedDebt``, ``daySheet``,
``cashReconciliations``) need billing:read in the practice and are audited as reads of the
practice's billing; a partner app is refused the day sheet and cash counts and gets aged debt
over the patients sharing data with it only (``services.billing.report_access``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry

from db.models import CashReconciliation as ReconciliationModel
from db.models import Payment as PaymentModel
from db.models import PaymentAllocation as AllocationModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.money import MoneyInput, MoneyType
from services.billing import aged_debt, day_sheet, payments, reconciliation, statements
from services.billing.money import Money

PaymentMethod = strawberry.enum(
    payments.Method,
    name="PaymentMethod",
    description="How money was paid: CASH, CARD (a processor token only), BANK_TRANSFER, "
    "MEMBERSHIP_PLAN.",
)
StatementLineKind = strawberry.enum(
    statements.LineKind,
    name="StatementLineKind",
    description="What a statement line records.",
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _opt(value: object) -> strawberry.ID | None:
    return _id(value) if value else None


def _money(minor: int, currency: str) -> MoneyType:
    return MoneyType.from_money(Money(minor, currency))


@strawberry.type(
    description="The part of a payment that settles (or, negative, was taken back from) an invoice."
)
class PaymentAllocation:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    amount: MoneyType = strawberry.field(description="Negative when a refund took it back.")
    allocated_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_model(cls, row: AllocationModel, currency: str) -> PaymentAllocation:
        return cls(
            invoice_id=_id(row.invoice_id),
            amount=_money(row.amount_minor, currency),
            allocated_at=row.allocated_at,
        )


@strawberry.type(
    description="Money received from a patient (PAYMENT, DEPOSIT) or returned to them (REFUND)."
)
class Payment:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    kind: str = strawberry.field(description="PAYMENT, DEPOSIT or REFUND.")
    method: PaymentMethod = strawberry.field(description="How it was paid.")  # type: ignore[valid-type]
    status: str = strawberry.field(
        description="SUCCEEDED, PENDING or FAILED; a card payment may also be DISPUTED (until "
        "the dispute is decided) or CANCELLED (an intent cancelled before it was paid)."
    )
    amount: MoneyType = strawberry.field(description="The amount (always positive).")
    unallocated: MoneyType = strawberry.field(
        description="Credit on account: the part not settling any invoice."
    )
    received_at: datetime = strawberry.field(description="When it was received or paid out.")
    refunds_payment_id: strawberry.ID | None = strawberry.field(
        description="For a REFUND: the payment it returns."
    )
    appointment_id: strawberry.ID | None = strawberry.field(
        description="For a DEPOSIT: the booking it secures."
    )
    deposit_state: str | None = strawberry.field(
        description="For a DEPOSIT: HELD, APPLIED, FORFEITED or REFUNDED."
    )
    processor: str | None = strawberry.field(description="The card processor (STRIPE, ...).")
    processor_reference: str | None = strawberry.field(
        description="The processor's token or reference (never a card number)."
    )
    approved_by_user_id: strawberry.ID | None = strawberry.field(
        description="For a refund above the practice's limit: who approved it."
    )
    practitioner_id: strawberry.ID | None = strawberry.field(
        description="The practitioner the takings count for."
    )
    reason: str | None = strawberry.field(description="A refund's reason or a payment's note.")
    allocations: list[PaymentAllocation] = strawberry.field(
        description="What it settles, in order."
    )
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("Payment", UUID(str(self.id)), self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_model(cls, row: PaymentModel, allocated: list[AllocationModel]) -> Payment:
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            kind=row.kind,
            method=payments.Method(row.method),
            status=row.status,
            amount=_money(row.amount_minor, row.currency),
            unallocated=_money(row.unallocated_minor, row.currency),
            received_at=row.received_at,
            refunds_payment_id=_opt(row.refunds_payment_id),
            appointment_id=_opt(row.appointment_id),
            deposit_state=row.deposit_state,
            processor=row.processor,
            processor_reference=row.processor_reference,
            approved_by_user_id=_opt(row.approved_by_user_id),
            practitioner_id=_opt(row.practitioner_id),
            reason=payments.reason_of(row),
            allocations=[PaymentAllocation.from_model(a, row.currency) for a in allocated],
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
        )


@strawberry.type(description="One line of a statement, with the balance after it.")
class StatementLine:
    at: datetime = strawberry.field(description="When it happened.")
    kind: StatementLineKind = strawberry.field(description="What it is.")  # type: ignore[valid-type]
    entity_id: strawberry.ID = strawberry.field(description="The invoice or payment.")
    reference: str | None = strawberry.field(
        description="The invoice number, or the payment method."
    )
    amount: MoneyType = strawberry.field(
        description="Positive adds to what the patient owes; negative reduces it."
    )
    balance: MoneyType = strawberry.field(description="The running balance after this line.")


@strawberry.type(description="A patient's statement for a period.")
class Statement:
    opening_balance: MoneyType = strawberry.field(description="Owed before the period.")
    closing_balance: MoneyType = strawberry.field(description="Owed at its end.")
    lines: list[StatementLine] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_view(cls, view: statements.Statement) -> Statement:
        c = view.currency
        return cls(
            opening_balance=_money(view.opening_minor, c),
            closing_balance=_money(view.closing_minor, c),
            lines=[
                StatementLine(
                    at=line.at,
                    kind=line.kind,
                    entity_id=_id(line.entity_id),
                    reference=line.reference,
                    amount=_money(line.amount_minor, c),
                    balance=_money(line.balance_minor, c),
                )
                for line in view.lines
            ],
        )


@strawberry.type(
    description="A patient's account: the balance (issued invoices - credit notes - payments "
    "+ refunds + forfeited deposits; positive means the patient owes), credit on account, "
    "deposits held, and a statement."
)
class PatientAccount:
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    balance: MoneyType = strawberry.field(description="What the patient owes (negative: credit).")
    credit_on_account: MoneyType = strawberry.field(
        description="Paid but not yet settling an invoice."
    )
    deposits_held: MoneyType = strawberry.field(description="Deposits held for bookings.")
    invoiced: MoneyType = strawberry.field(description="All issued invoices.")
    paid: MoneyType = strawberry.field(description="All payments and deposits received.")
    refunded: MoneyType = strawberry.field(description="All refunds paid out.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]
    currency: strawberry.Private[str]

    def read_record(self) -> ReadRecord:
        return ReadRecord(
            "PatientAccount", self.patient_uuid, self.patient_uuid, self.practice_uuid
        )

    @strawberry.field(
        description="Invoices, credit notes, payments, deposits and refunds from `from` to `to` "
        "(days, inclusive; default everything to today), oldest first, each with the running "
        "balance; earlier lines make the opening balance."
    )
    async def statement(
        self,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> Statement:
        view = await statements.statement(
            self.practice_uuid,  # type: ignore[arg-type]
            self.patient_uuid,
            from_,
            to,
            self.currency,
        )
        return Statement.from_view(view)

    @classmethod
    def from_view(cls, view: statements.Account) -> PatientAccount:
        t, c = view.totals, view.currency
        return cls(
            patient_id=_id(view.patient.id),
            balance=_money(t.balance, c),
            credit_on_account=_money(t.credit_on_account, c),
            deposits_held=_money(t.deposits_held, c),
            invoiced=_money(t.invoiced, c),
            paid=_money(t.paid, c),
            refunded=_money(t.refunded, c),
            patient_uuid=UUID(str(view.patient.id)),
            practice_uuid=UUID(str(view.practice_id)),
            currency=c,
        )


@strawberry.type(description="What is owed on open invoices in one currency, by days past due.")
class AgedDebtBuckets:
    currency: str = strawberry.field(description="ISO 4217 code.")
    days_0_to_30: MoneyType = strawberry.field(description="Not due, or up to 30 days past due.")
    days_31_to_60: MoneyType = strawberry.field(description="31-60 days past due.")
    days_61_to_90: MoneyType = strawberry.field(description="61-90 days past due.")
    over_90_days: MoneyType = strawberry.field(description="More than 90 days past due.")
    total: MoneyType = strawberry.field(description="All of it.")
    open_invoices: int = strawberry.field(description="How many invoices are open.")


@strawberry.type(description="A practice's aged debt on its own calendar day.")
class AgedDebt:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    as_of: date = strawberry.field(description="The practice's day it was computed for.")
    buckets: list[AgedDebtBuckets] = strawberry.field(description="One per currency.")

    def read_record(self) -> ReadRecord:
        pid = UUID(str(self.practice_id))
        return ReadRecord("AgedDebt", pid, None, pid)

    @classmethod
    def from_view(cls, view: aged_debt.AgedDebt) -> AgedDebt:
        rows = []
        for b in view.buckets:
            c = b.currency
            rows.append(
                AgedDebtBuckets(
                    currency=c,
                    days_0_to_30=_money(b.current, c),
                    days_31_to_60=_money(b.days_31_60, c),
                    days_61_to_90=_money(b.days_61_90, c),
                    over_90_days=_money(b.over_90, c),
                    total=_money(b.current + b.days_31_60 + b.days_61_90 + b.over_90, c),
                    open_invoices=b.invoices,
                )
            )
        return cls(practice_id=_id(view.practice_id), as_of=view.as_of, buckets=rows)


@strawberry.type(description="Takings for one method or practitioner on a day.")
class Takings:
    key: str = strawberry.field(
        description="The payment method, or the practitioner id (empty when none was named)."
    )
    taken: MoneyType = strawberry.field(description="Payments and deposits received.")
    refunded: MoneyType = strawberry.field(description="Refunds paid out.")
    net: MoneyType = strawberry.field(description="Taken less refunded.")
    count: int = strawberry.field(description="How many payments and refunds.")

    @classmethod
    def from_view(cls, t: day_sheet.Takings) -> Takings:
        c = t.currency
        return cls(
            key=t.key,
            taken=_money(t.taken_minor, c),
            refunded=_money(t.refunded_minor, c),
            net=_money(t.net_minor, c),
            count=t.count,
        )


@strawberry.type(
    description="A practice's day: takings by method and practitioner, invoiced "
    "vs taken, on the practice's calendar day."
)
class DaySheet:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    day: date = strawberry.field(description="The day (practice time zone).")
    by_method: list[Takings] = strawberry.field(description="Takings per payment method.")
    by_practitioner: list[Takings] = strawberry.field(description="Takings per practitioner.")
    taken: MoneyType = strawberry.field(description="All takings less refunds.")
    invoiced: MoneyType = strawberry.field(description="Invoices issued that day.")
    credited: MoneyType = strawberry.field(description="Credit notes issued that day.")
    invoices: int = strawberry.field(description="How many invoices were issued.")

    def read_record(self) -> ReadRecord:
        pid = UUID(str(self.practice_id))
        return ReadRecord("DaySheet", pid, None, pid)

    @classmethod
    def from_view(cls, v: day_sheet.DaySheet) -> DaySheet:
        c = v.currency
        return cls(
            practice_id=_id(v.practice_id),
            day=v.day,
            by_method=[Takings.from_view(t) for t in v.by_method],
            by_practitioner=[Takings.from_view(t) for t in v.by_practitioner],
            taken=_money(v.taken_minor, c),
            invoiced=_money(v.invoiced_minor, c),
            credited=_money(v.credited_minor, c),
            invoices=v.invoices,
        )


@strawberry.type(description="Cash counted at the end of a day against the cash expected.")
class CashReconciliation:
    id: strawberry.ID
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    day: date = strawberry.field(description="The day counted.")
    expected: MoneyType = strawberry.field(description="Cash payments less cash refunds.")
    counted: MoneyType = strawberry.field(description="What was in the till.")
    difference: MoneyType = strawberry.field(description="Counted - expected.")
    note: str | None = strawberry.field(description="The counter's note.")
    counted_by_user_id: strawberry.ID | None = strawberry.field(description="Who counted.")
    created_at: datetime = strawberry.field(description="When it was recorded.")

    def read_record(self) -> ReadRecord:
        return ReadRecord(
            "CashReconciliation", UUID(str(self.id)), None, UUID(str(self.practice_id))
        )

    @classmethod
    def from_model(cls, row: ReconciliationModel) -> CashReconciliation:
        c = row.currency
        return cls(
            id=_id(row.id),
            practice_id=_id(row.practice_id),
            day=row.day,
            expected=_money(row.expected_minor, c),
            counted=_money(row.counted_minor, c),
            difference=_money(row.difference_minor, c),
            note=reconciliation.note_of(row),
            counted_by_user_id=_opt(row.counted_by_user_id),
            created_at=row.created_at,
        )


@strawberry.input(description="Part of a payment to put against one invoice.")
class AllocationInput(IdFields):
    invoice_id: strawberry.ID = strawberry.field(description="An open invoice of the patient.")
    amount: MoneyInput = strawberry.field(description="How much of the payment settles it.")


@strawberry.input(description="A payment from a patient.")
class TakePaymentInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient paying.")
    amount: MoneyInput = strawberry.field(description="The amount received.")
    method: PaymentMethod = strawberry.field(description="How it was paid.")  # type: ignore[valid-type]
    allocations: list[AllocationInput] | None = strawberry.field(
        default=None,
        description="Which invoices it settles; null: the oldest open invoices first; []: none "
        "(all credit). What is "
        "left is credit on account.",
    )
    card_token: str | None = strawberry.field(
        default=None,
        description="For CARD: the payment processor's token or reference (a card number is "
        "refused).",
    )
    practitioner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The practitioner the takings count for."
    )
    note: str | None = strawberry.field(default=None, description="A note (no card numbers).")


@strawberry.input(description="Credit on account to put against an invoice.")
class AllocateCreditInput(IdFields):
    payment_id: strawberry.ID = strawberry.field(description="The payment holding the credit.")
    invoice_id: strawberry.ID = strawberry.field(description="An open invoice of the patient.")
    amount: MoneyInput = strawberry.field(description="How much.")


@strawberry.input(description="Money returned to the patient by the method it came by.")
class RefundPaymentInput(IdFields):
    payment_id: strawberry.ID = strawberry.field(description="The payment refunded.")
    amount: MoneyInput = strawberry.field(description="At most what is left to refund.")
    reason: str = strawberry.field(description="Why (kept encrypted).")
    approver_user_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Above the practice's limit: the practice admin (not you) who approved it.",
    )
    approver_code: str | None = strawberry.field(
        default=None,
        description="With `approverUserId`: the approver's current six-digit authenticator "
        "code, typed by them on this screen (each code works once; wrong codes lock like "
        "sign-in and are audited).",
    )


@strawberry.input(description="A deposit taken at booking, held for the appointment.")
class TakeDepositInput(IdFields):
    appointment_id: strawberry.ID = strawberry.field(description="A BOOKED/CONFIRMED booking.")
    amount: MoneyInput = strawberry.field(description="The deposit.")
    method: PaymentMethod = strawberry.field(description="How it was paid.")  # type: ignore[valid-type]
    card_token: str | None = strawberry.field(
        default=None, description="For CARD: the processor's token (never a card number)."
    )


@strawberry.input(description="A held deposit to put against the appointment's invoice.")
class ApplyDepositInput(IdFields):
    payment_id: strawberry.ID = strawberry.field(description="The deposit.")
    invoice_id: strawberry.ID = strawberry.field(description="The appointment's invoice.")


@strawberry.input(description="The cash in the till at the end of a day.")
class ReconcileCashInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    day: date = strawberry.field(description="The day counted (practice calendar).")
    counted: MoneyInput = strawberry.field(description="The cash counted.")
    note: str | None = strawberry.field(default=None, description="A note on any difference.")


@strawberry.type(description="The payment, refund or deposit after the change.")
class PaymentPayload:
    payment: Payment | None = strawberry.field(description="The payment changed or created.")


@strawberry.type(description="The reconciliation recorded.")
class ReconcileCashPayload:
    reconciliation: CashReconciliation | None = strawberry.field(description="The count.")

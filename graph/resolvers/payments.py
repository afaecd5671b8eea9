"""Payment, refund, deposit and billing-report queries and mutations: parse ids, call one
service, map back. Reports returned are put in the request's read trail by ``AuditReads``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry

from db.models import Payment as PaymentRow
from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.payments import (
    AgedDebt,
    AllocateCreditInput,
    ApplyDepositInput,
    CashReconciliation,
    DaySheet,
    Payment,
    PaymentPayload,
    ReconcileCashInput,
    ReconcileCashPayload,
    RefundPaymentInput,
    TakeDepositInput,
    TakePaymentInput,
)
from services.billing import aged_debt, day_sheet, deposits, payments, reconciliation, refunds
from services.billing.payments import Allocation
from services.policy import Scope


async def _payload(row: PaymentRow) -> PaymentPayload:
    found = await payments.allocations_of(row)
    return PaymentPayload(payment=Payment.from_model(row, found))


@strawberry.type
class PaymentQueries:
    @strawberry.field(
        description="Open invoices' outstanding amounts by days past due (0-30, 31-60, 61-90, "
        "90+) on the practice's day (billing:read; a partner app's figures count only the "
        "patients sharing data with it). Audited.",
        extensions=[*requires(Scope.BILLING_READ), AuditReads()],
    )
    async def aged_debt(self, info: Info, practice_id: strawberry.ID) -> AgedDebt | None:
        found = await aged_debt.aged_debt(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return AgedDebt.from_view(found)

    @strawberry.field(
        description="A day's takings by method and by practitioner, invoiced vs taken, on the "
        "practice's calendar day (default today) (billing:read; staff only, a partner app is "
        "FORBIDDEN). Audited.",
        extensions=[*requires(Scope.BILLING_READ), AuditReads()],
    )
    async def day_sheet(
        self,
        info: Info,
        practice_id: strawberry.ID,
        day: Annotated[
            date | None,
            strawberry.argument(
                description="The practice's local day (ISO 8601); default today there."
            ),
        ] = None,
    ) -> DaySheet | None:
        found = await day_sheet.day_sheet(
            info.context.principal, practice_id=id_argument(practice_id=practice_id), day=day
        )
        return DaySheet.from_view(found)

    @strawberry.field(
        description="End-of-day cash counts, the newest recorded first (billing:read; staff "
        "only, a partner app is FORBIDDEN). Audited.",
        extensions=[*requires(Scope.BILLING_READ), AuditReads()],
    )
    async def cash_reconciliations(
        self,
        info: Info,
        practice_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CashReconciliation] | None:
        page = await reconciliation.reconciliations(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        return Connection[CashReconciliation].build(
            page.rows,
            CashReconciliation.from_model,
            lambda r: [r.created_at.isoformat(), str(r.id)],
            has_next=page.has_next,
        )


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        description="Take a payment (billing:write): allocated to the given invoices, or the "
        "oldest open ones first; the rest is credit on account. Card payments carry a "
        "processor token only.",
        extensions=requires(Scope.BILLING_WRITE),
    )
    async def take_payment(self, info: Info, input: TakePaymentInput) -> PaymentPayload | None:
        wanted = (
            None
            if input.allocations is None
            else [
                Allocation(a.ids.invoice_id, a.amount.to_money("amount")) for a in input.allocations
            ]
        )
        row = await payments.take(
            info.context.principal,
            patient_id=input.ids.patient_id,
            amount=input.amount.to_money("amount"),
            method=payments.Method(input.method),
            allocations_=wanted,
            card_token_=input.card_token,
            practitioner_id=input.optional_ids.practitioner_id,
            note=input.note,
        )
        return await _payload(row)

    @strawberry.mutation(
        description="Put credit on account against an open invoice of the same patient "
        "(billing:write).",
        extensions=requires(Scope.BILLING_WRITE),
    )
    async def allocate_credit(
        self, info: Info, input: AllocateCreditInput
    ) -> PaymentPayload | None:
        row = await payments.allocate_credit(
            info.context.principal,
            payment_id=input.ids.payment_id,
            invoice_id=input.ids.invoice_id,
            amount=input.amount.to_money("amount"),
        )
        return await _payload(row)

    @strawberry.mutation(
        description="Refund (part of) a payment to its original method, with a reason; above "
        "the practice's limit a practice admin other than you approves (billing:write).",
        extensions=requires(Scope.BILLING_WRITE),
    )
    async def refund_payment(self, info: Info, input: RefundPaymentInput) -> PaymentPayload | None:
        row = await refunds.refund(
            info.context.principal,
            payment_id=input.ids.payment_id,
            amount=input.amount.to_money("amount"),
            reason=input.reason,
            approver_user_id=input.optional_ids.approver_user_id,
            approver_code=input.approver_code,
        )
        return await _payload(row)

    @strawberry.mutation(
        description="Take a deposit for a booking, held as credit until the appointment's "
        "invoice (billing:write).",
        extensions=requires(Scope.BILLING_WRITE),
    )
    async def take_deposit(self, info: Info, input: TakeDepositInput) -> PaymentPayload | None:
        row = await deposits.take(
            info.context.principal,
            appointment_id=input.ids.appointment_id,
            amount=input.amount.to_money("amount"),
            method=payments.Method(input.method),
            card_token_=input.card_token,
        )
        return await _payload(row)

    @strawberry.mutation(
        description="Apply a held deposit to the appointment's invoice (billing:write).",
        extensions=requires(Scope.BILLING_WRITE),
    )
    async def apply_deposit(self, info: Info, input: ApplyDepositInput) -> PaymentPayload | None:
        row = await deposits.apply(
            info.context.principal,
            payment_id=input.ids.payment_id,
            invoice_id=input.ids.invoice_id,
        )
        return await _payload(row)

    @strawberry.mutation(
        description="Record the cash counted at the end of a day against the cash expected "
        "(billing:write).",
        extensions=requires(Scope.BILLING_WRITE),
    )
    async def reconcile_cash(
        self, info: Info, input: ReconcileCashInput
    ) -> ReconcileCashPayload | None:
        row = await reconciliation.reconcile(
            info.context.principal,
            practice_id=input.ids.practice_id,
            day=input.day,
            counted=input.counted.to_money("counted"),
            note=input.note,
        )
        return ReconcileCashPayload(reconciliation=CashReconciliation.from_model(row))

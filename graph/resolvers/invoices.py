"""Invoice queries and mutations: parse ids, call one service, map back.

Every invoice a query returns is put in the request's read trail (entity ``Invoice``) by
``AuditReads`` with the fields selected.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.invoices import (
    AddInvoiceLinesInput,
    CreateInvoiceInput,
    CreditNotePayload,
    Invoice,
    InvoiceIdInput,
    InvoicePayload,
    InvoiceUninvoicedInput,
    IssueCreditNoteInput,
    RemoveInvoiceLineInput,
)
from graph.schema.pagination import Connection, after_key, page_size
from services.billing import invoices
from services.billing.money import Money
from services.policy import Scope


def _payload(view: invoices.InvoiceView) -> InvoicePayload:
    return InvoicePayload(invoice=Invoice.from_view(view))


@strawberry.type
class InvoiceQueries:
    @strawberry.field(
        description="One invoice or credit note (billing:read in the patient's practice, or "
        "the patient for their own issued invoices, or a partner app with billing:read for the "
        "issued invoices of a patient sharing data with it). Audited.",
        extensions=[*requires(Scope.PATIENT_READ, Scope.BILLING_READ), AuditReads()],
    )
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        found = await invoices.invoice(info.context.principal, invoice_id=id_argument(id=id))
        return Invoice.from_view(found)

    @strawberry.field(
        description="A patient's invoices and credit notes, newest first (billing:read, or the "
        "patient for their issued ones; a partner app with billing:read sees the issued ones "
        "of a patient sharing data with it). Each invoice shown is audited.",
        extensions=[*requires(Scope.PATIENT_READ, Scope.BILLING_READ), AuditReads()],
    )
    async def patient_invoices(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Invoice] | None:
        size = page_size(first)
        page = await invoices.of_patient(
            info.context.principal,
            patient_id=id_argument(patient_id=patient_id),
            first=size,
            after=after_key(after, datetime, UUID),
        )
        return Connection[Invoice].build(
            page.views,
            Invoice.from_view,
            lambda v: [v.invoice.created_at.isoformat(), str(v.invoice.id)],
            has_next=page.has_next,
        )


@strawberry.type
class InvoiceMutations:
    @strawberry.mutation(
        description="Start a DRAFT invoice with lines typed by hand (billing:write)."
    )
    async def create_invoice(self, info: Info, input: CreateInvoiceInput) -> InvoicePayload | None:
        return _payload(
            await invoices.create(
                info.context.principal,
                patient_id=input.ids.patient_id,
                appointment_id=input.optional_ids.appointment_id,
                currency=input.currency,
                lines=[x.to_line() for x in input.lines],
            )
        )

    @strawberry.mutation(description="Add lines to a DRAFT invoice (billing:write).")
    async def add_invoice_lines(
        self, info: Info, input: AddInvoiceLinesInput
    ) -> InvoicePayload | None:
        return _payload(
            await invoices.add_lines(
                info.context.principal,
                invoice_id=input.ids.invoice_id,
                lines=[x.to_line() for x in input.lines],
            )
        )

    @strawberry.mutation(description="Remove a line from a DRAFT invoice (billing:write).")
    async def remove_invoice_line(
        self, info: Info, input: RemoveInvoiceLineInput
    ) -> InvoicePayload | None:
        return _payload(
            await invoices.remove_line(
                info.context.principal, invoice_id=input.ids.invoice_id, line_id=input.ids.line_id
            )
        )

    @strawberry.mutation(
        description="A DRAFT of the patient's completed, not-yet-invoiced work (billing:write): "
        "plan items at the plan's fee, completed NHS courses at their patient charge, "
        "injectable treatments and product sales at the fee schedule's price on their day "
        "(`productPrices` overrides it); membership cover as £0 lines and the member discount "
        "applied. What has no price is listed in `skipped`."
    )
    async def invoice_uninvoiced_items(
        self, info: Info, input: InvoiceUninvoicedInput
    ) -> InvoicePayload | None:
        return _payload(
            await invoices.invoice_uninvoiced(
                info.context.principal,
                patient_id=input.ids.patient_id,
                prices=[
                    invoices.ProductPrice(
                        p.ids.product_id, Money(p.unit_price.amount, p.unit_price.currency)
                    )
                    for p in input.product_prices
                ],
                medical_treatment_ids=frozenset(input.id_lists.medical_treatment_ids),
            )
        )

    @strawberry.mutation(
        description="Issue a DRAFT: the practice's next gap-free number, tax point today, "
        "frozen from then on and chained in the practice's ledger (billing:write)."
    )
    async def issue_invoice(self, info: Info, input: InvoiceIdInput) -> InvoicePayload | None:
        return _payload(
            await invoices.issue(info.context.principal, invoice_id=input.ids.invoice_id)
        )

    @strawberry.mutation(
        description="Issue a credit note against an issued invoice (its own number); crediting "
        "everything makes the invoice VOID. The only way to cancel an invoice (billing:write)."
    )
    async def issue_credit_note(
        self, info: Info, input: IssueCreditNoteInput
    ) -> CreditNotePayload | None:
        credit, invoice = await invoices.issue_credit_note(
            info.context.principal,
            invoice_id=input.ids.invoice_id,
            lines=None
            if input.lines is None
            else [invoices.CreditLine(x.ids.line_id, x.quantity) for x in input.lines],
            reason=input.reason,
        )
        return CreditNotePayload(
            credit_note=Invoice.from_view(credit), invoice=Invoice.from_view(invoice)
        )

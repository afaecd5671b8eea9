"""Invoices and credit notes as the graph shows them: number, status, lines with the tooth and
procedure they bill, VAT per line and in total, what is paid, credited and still owed — every
amount a ``Money`` (integer minor units and a currency).

``Invoice`` is reached through ``invoice`` / ``patientInvoices`` (staff with billing:read in the
patient's practice, the patient in the portal for their issued invoices, or a partner app with
billing:read for the issued invoices of a patient sharing data with it) or an invoice mutation
(billing:write). Each invoice returned is one audited read (entity ``Invoice``).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import strawberry

from db.models import InvoiceLine as LineModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.money import MoneyInput, MoneyType
from graph.schema.nodes import Node
from services.billing import invoices
from services.billing.money import Money
from services.billing.vat import VatCategory as VatCategoryEnum

InvoiceStatus = strawberry.enum(
    invoices.Status,
    name="InvoiceStatus",
    description="DRAFT (editable), ISSUED (numbered, frozen), PARTIALLY_PAID, PAID, or VOID "
    "(cancelled in full by a credit note).",
)
InvoiceKind = strawberry.enum(
    invoices.Kind, name="InvoiceKind", description="An INVOICE or a CREDIT_NOTE."
)
InvoiceLineSource = strawberry.enum(
    invoices.Source,
    name="InvoiceLineSource",
    description="What a line bills: a treatment-plan item, an injectable treatment, a product, "
    "an NHS course, or a MANUAL line.",
)
VatCategory = strawberry.enum(
    VatCategoryEnum,
    name="VatCategory",
    description="EXEMPT (dental and medical care), STANDARD (cosmetic treatments, retail), "
    "REDUCED or ZERO; the rate is the one in force on the invoice's tax point.",
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _money(minor: int, currency: str) -> MoneyType:
    return MoneyType.from_money(Money(int(minor), currency))


@strawberry.type(description="One billed item of an invoice or credit note.")
class InvoiceLine:
    id: strawberry.ID
    position: int = strawberry.field(description="Order on the invoice (0 first).")
    source: InvoiceLineSource = strawberry.field(description="What it bills.")  # type: ignore[valid-type]
    source_id: strawberry.ID | None = strawberry.field(
        description="The plan item, treatment, NHS course or product sale billed; on a credit "
        "note, the line credited."
    )
    code: str | None = strawberry.field(description="The catalogue procedure code.")
    tooth_fdi: int | None = strawberry.field(description="FDI tooth; null for none.")
    description: str = strawberry.field(description="What was done or sold.")
    quantity: int = strawberry.field(description="How many.")
    unit_price: MoneyType = strawberry.field(description="Price of one, before VAT.")
    net: MoneyType = strawberry.field(description="unit price × quantity.")
    vat_category: VatCategory = strawberry.field(description="Its VAT category.")  # type: ignore[valid-type]
    vat_rate_basis_points: int = strawberry.field(description="The VAT rate (2000 = 20 %).")
    vat: MoneyType = strawberry.field(description="VAT on the net, rounded half up.")
    total: MoneyType = strawberry.field(description="net + VAT.")
    service_on: date | None = strawberry.field(
        description="The day of the work billed, or of the sale (lines raised from uninvoiced "
        "work); null for lines typed by hand."
    )

    @classmethod
    def from_model(cls, row: LineModel, currency: str) -> InvoiceLine:
        return cls(
            id=_id(row.id),
            position=row.position,
            source=invoices.Source(row.source),
            source_id=_id(row.source_id) if row.source_id else None,
            code=row.code,
            tooth_fdi=row.tooth,
            description=invoices.description_of(row),
            quantity=row.quantity,
            unit_price=_money(row.unit_minor, currency),
            net=_money(row.net_minor, currency),
            vat_category=VatCategoryEnum(row.vat_category),
            vat_rate_basis_points=row.vat_rate_basis_points,
            vat=_money(row.vat_minor, currency),
            total=_money(row.total_minor, currency),
            service_on=row.service_on,
        )


@strawberry.type(description="VAT charged at one rate.")
class VatBreakdown:
    category: VatCategory = strawberry.field(description="The VAT category.")  # type: ignore[valid-type]
    rate_basis_points: int = strawberry.field(description="The rate (2000 = 20 %).")
    net: MoneyType = strawberry.field(description="Net of the lines at this rate.")
    vat: MoneyType = strawberry.field(description="Their VAT.")


@strawberry.type(description="An invoice or credit note of a patient.")
class Invoice(Node):
    id: strawberry.ID
    kind: InvoiceKind = strawberry.field(description="INVOICE or CREDIT_NOTE.")  # type: ignore[valid-type]
    status: InvoiceStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    number: str | None = strawberry.field(description="Prefix and gap-free number, once issued.")
    patient_id: strawberry.ID = strawberry.field(description="The patient billed.")
    appointment_id: strawberry.ID | None = strawberry.field(description="The visit, if any.")
    credits_invoice_id: strawberry.ID | None = strawberry.field(
        description="For a credit note: the invoice it credits."
    )
    lines: list[InvoiceLine] = strawberry.field(description="Its lines, in order.")
    vat_breakdown: list[VatBreakdown] = strawberry.field(description="Net and VAT per rate.")
    net: MoneyType = strawberry.field(description="Sum of the lines' net.")
    vat: MoneyType = strawberry.field(description="Sum of the lines' VAT.")
    total: MoneyType = strawberry.field(description="Sum of the lines' totals.")
    paid: MoneyType = strawberry.field(description="Payments allocated to it, less refunds.")
    credited: MoneyType = strawberry.field(description="Taken off by credit notes.")
    owed: MoneyType = strawberry.field(description="What the patient still owes on it.")
    tax_point: date | None = strawberry.field(description="The VAT tax point (issue day).")
    issued_at: datetime | None = strawberry.field(description="When it was issued.")
    voided_at: datetime | None = strawberry.field(description="When a credit note voided it.")
    created_at: datetime = strawberry.field(description="When the draft was started.")
    reason: str | None = strawberry.field(description="A credit note's reason.")
    skipped: list[str] = strawberry.field(
        description="Raised from uninvoiced work: what was left out and why (e.g. no fee in "
        "the schedule in force that day)."
    )
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]
    invoice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("Invoice", self.invoice_uuid, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_view(cls, view: invoices.InvoiceView) -> Invoice:
        row = view.invoice
        cur = view.currency
        groups: dict[tuple[str, int], tuple[int, int]] = {}
        for line in view.lines:
            key = (line.vat_category, int(line.vat_rate_basis_points))
            net, vat = groups.get(key, (0, 0))
            groups[key] = (net + int(line.net_minor), vat + int(line.vat_minor))
        return cls(
            id=_id(row.id),
            kind=invoices.Kind(row.kind),
            status=invoices.Status(row.status),
            number=row.number,
            patient_id=_id(row.patient_id),
            appointment_id=_id(row.appointment_id) if row.appointment_id else None,
            credits_invoice_id=_id(row.credits_invoice_id) if row.credits_invoice_id else None,
            lines=[InvoiceLine.from_model(x, cur) for x in view.lines],
            vat_breakdown=[
                VatBreakdown(
                    category=VatCategoryEnum(category),
                    rate_basis_points=rate,
                    net=_money(net, cur),
                    vat=_money(vat, cur),
                )
                for (category, rate), (net, vat) in sorted(groups.items())
            ],
            net=_money(row.net_minor, cur),
            vat=_money(row.vat_minor, cur),
            total=_money(row.total_minor, cur),
            paid=_money(row.paid_minor, cur),
            credited=_money(row.credited_minor, cur),
            owed=_money(view.owed_minor, cur),
            tax_point=row.tax_point,
            issued_at=row.issued_at,
            voided_at=row.voided_at,
            created_at=row.created_at,
            reason=invoices.notes_of(row) if row.kind == invoices.Kind.CREDIT_NOTE.value else None,
            skipped=list(view.skipped),
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
            invoice_uuid=UUID(str(row.id)),
        )


@strawberry.input(description="A line typed by hand.")
class InvoiceLineInput:
    description: str = strawberry.field(description="What was done or sold (at most 500).")
    unit_price: MoneyInput = strawberry.field(description="Price of one, before VAT.")
    vat_category: VatCategory = strawberry.field(  # type: ignore[valid-type]
        description="EXEMPT for dental care, STANDARD for cosmetic treatment and retail."
    )
    quantity: int = strawberry.field(default=1, description="How many (1-10000).")
    code: str | None = strawberry.field(default=None, description="A procedure code.")
    tooth: str | None = strawberry.field(default=None, description="The tooth, FDI (e.g. 36).")

    def to_line(self) -> invoices.NewLine:
        return invoices.NewLine(
            description=self.description,
            unit=Money(self.unit_price.amount, self.unit_price.currency),
            vat_category=VatCategoryEnum(self.vat_category),
            quantity=self.quantity,
            code=self.code,
            tooth=self.tooth,
        )


@strawberry.input(description="A new DRAFT invoice with lines typed by hand.")
class CreateInvoiceInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient billed.")
    appointment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The visit billed, if any."
    )
    currency: str = strawberry.field(default="GBP", description="ISO 4217 code.")
    lines: list[InvoiceLineInput] = strawberry.field(description="Its lines (may be empty).")


@strawberry.input(description="Lines to add to a DRAFT invoice.")
class AddInvoiceLinesInput(IdFields):
    invoice_id: strawberry.ID = strawberry.field(description="The DRAFT invoice.")
    lines: list[InvoiceLineInput] = strawberry.field(description="The lines to add.")


@strawberry.input(description="A line to remove from a DRAFT invoice.")
class RemoveInvoiceLineInput(IdFields):
    invoice_id: strawberry.ID = strawberry.field(description="The DRAFT invoice.")
    line_id: strawberry.ID = strawberry.field(description="The line.")


@strawberry.input(description="An invoice to act on.")
class InvoiceIdInput(IdFields):
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")


@strawberry.input(
    description="A price of one unit (or ml) of a product, instead of the fee schedule's."
)
class ProductPriceInput(IdFields):
    product_id: strawberry.ID = strawberry.field(description="The product.")
    unit_price: MoneyInput = strawberry.field(description="Price per unit (or per ml).")


@strawberry.input(description="A DRAFT from the patient's completed, uninvoiced work.")
class InvoiceUninvoicedInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    product_prices: list[ProductPriceInput] = strawberry.field(
        default_factory=list,
        description="Optional prices per unit (or ml) of products used or sold, instead of the "
        "fee schedule's in force on the day; a product priced by neither is skipped.",
    )
    medical_treatment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Injectable treatments with a medical purpose (VAT EXEMPT, not STANDARD).",
    )


@strawberry.input(description="Part of an invoice line to credit.")
class CreditLineInput(IdFields):
    line_id: strawberry.ID = strawberry.field(description="The invoice line.")
    quantity: int | None = strawberry.field(
        default=None, description="How many; default what is left of the line."
    )


@strawberry.input(description="A credit note against an issued invoice (the only way to void).")
class IssueCreditNoteInput(IdFields):
    invoice_id: strawberry.ID = strawberry.field(description="The issued invoice.")
    lines: list[CreditLineInput] | None = strawberry.field(
        default=None, description="The lines to credit; null credits everything left (void)."
    )
    reason: str = strawberry.field(description="Why (at most 500 characters).")


@strawberry.type(description="The invoice after the change.")
class InvoicePayload:
    invoice: Invoice | None = strawberry.field(description="The invoice changed.")


@strawberry.type(description="The credit note issued and the invoice it credits.")
class CreditNotePayload:
    credit_note: Invoice | None = strawberry.field(description="The new credit note.")
    invoice: Invoice | None = strawberry.field(description="The invoice credited.")

"""An issued invoice or credit note as a PDF (fpdf2, pure Python, the consent forms' style):
the practice, number, tax point, patient, each line with its tooth and procedure code, the VAT
breakdown per rate, and the totals. Amounts are formatted from integer minor units by
``Money.formatted``; nothing here computes money.

Core PDF fonts carry Latin-1 only: a character outside it prints as "?" (the record keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fpdf import FPDF

from services.billing.money import Money

FONT = "Helvetica"


@dataclass(frozen=True, slots=True)
class PdfLine:
    description: str
    code: str | None
    tooth: int | None
    quantity: int
    unit: Money
    net: Money
    vat_rate_basis_points: int
    vat: Money
    total: Money


@dataclass(frozen=True, slots=True)
class PdfInvoice:
    practice_name: str
    title: str  # "Invoice" or "Credit note"
    number: str
    tax_point: date | None
    issued_at: datetime | None
    patient_name: str
    credits_number: str | None
    lines: list[PdfLine]
    vat_breakdown: list[tuple[int, Money, Money]]  # rate, net, VAT
    net: Money
    vat: Money
    total: Money
    paid: Money
    owed: Money
    status: str


def _latin(text: str) -> str:
    return text.replace("£", "GBP ").encode("latin-1", "replace").decode("latin-1")


def _rate(basis_points: int) -> str:
    return f"{basis_points / 100:g}%"


def render(doc: PdfInvoice) -> bytes:
    """The PDF's bytes (``%PDF-`` first; the number is also the document's title)."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(f"{doc.title} {doc.number}"))
    pdf.set_creator("AES CRM")
    if doc.issued_at is not None:
        pdf.set_creation_date(doc.issued_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, height, _latin(text), new_x="LMARGIN", new_y="NEXT")

    line(doc.practice_name, 11, "B", 6)
    pdf.ln(2)
    line(f"{doc.title} {doc.number}", 16, "B", 8)
    if doc.credits_number:
        line(f"Credits invoice {doc.credits_number}", 9)
    line(f"Tax point: {doc.tax_point.isoformat() if doc.tax_point else '-'}", 9)
    line(f"Status: {doc.status.replace('_', ' ').lower()}", 9)
    line(f"Patient: {doc.patient_name}", 11, "B", 7)
    pdf.ln(3)
    columns = [("Item", 0.40), ("Tooth", 0.08), ("Qty", 0.07), ("Unit", 0.13), ("VAT", 0.14)]
    columns.append(("Total", 0.18))
    pdf.set_font(FONT, "B", 9)
    for name, share in columns:
        pdf.cell(width * share, 6, name, border="B", align="L" if name == "Item" else "R")
    pdf.ln(6)
    pdf.set_font(FONT, "", 9)
    for item in doc.lines:
        label = f"{item.code} {item.description}" if item.code else item.description
        cells = [
            _latin(label)[:60],
            "" if item.tooth is None else str(item.tooth),
            str(item.quantity),
            _latin(item.unit.formatted()),
            _latin(f"{item.vat.formatted()} ({_rate(item.vat_rate_basis_points)})"),
            _latin(item.total.formatted()),
        ]
        for (name, share), text in zip(columns, cells, strict=True):
            pdf.cell(width * share, 6, text, align="L" if name == "Item" else "R")
        pdf.ln(6)
    pdf.ln(3)
    line("VAT", 11, "B", 6)
    for rate, net, vat in doc.vat_breakdown:
        line(f"{_rate(rate)} on {net.formatted()}: {vat.formatted()}", 9)
    pdf.ln(2)
    line(f"Net: {doc.net.formatted()}", 10)
    line(f"VAT: {doc.vat.formatted()}", 10)
    line(f"Total: {doc.total.formatted()}", 12, "B", 7)
    if doc.title == "Invoice":
        line(f"Paid: {doc.paid.formatted()}    Owed: {doc.owed.formatted()}", 10)
    return bytes(pdf.output())

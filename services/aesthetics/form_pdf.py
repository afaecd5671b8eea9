"""A signed consent form rendered as a PDF (fpdf2, pure Python): what the patient read, what
they answered, their typed name and drawn signature, when, and the SHA-256 of the signed
content, so the paper copy can be checked against the record.

Core PDF fonts carry Latin-1 only; a character outside it is shown as "?" in the PDF (the
record and the export keep the exact text, and the hash is over the exact text).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

FONT = "Helvetica"


@dataclass(frozen=True, slots=True)
class Answered:
    text: str
    answer: str


@dataclass(frozen=True, slots=True)
class SignedForm:
    practice_name: str
    patient_name: str
    title: str
    version: int
    purpose: str
    treatment_kind: str
    risks_text: str
    questions: list[Answered]
    signed_name: str
    signed_at: datetime
    signature_image: bytes
    content_sha256: str
    witness_name: str | None = None


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def render(form: SignedForm) -> bytes:
    """The PDF's bytes (``%PDF-`` first; the title is also the document's metadata title)."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(form.title))
    pdf.set_subject(_latin(f"Signed consent form, version {form.version}"))
    pdf.set_creator("AES CRM")
    pdf.set_keywords(f"sha256:{form.content_sha256}")
    pdf.set_creation_date(form.signed_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, height, _latin(text), new_x="LMARGIN", new_y="NEXT")

    line(form.practice_name, 9, "", 4.5)
    pdf.ln(2)
    line(form.title, 16, "B", 8)
    line(
        f"Version {form.version} - {form.purpose.lower()} consent - "
        f"{form.treatment_kind.replace('_', ' ').lower()}",
        9,
    )
    line(f"Patient: {form.patient_name}", 11, "B", 7)
    pdf.ln(3)
    line("Risks and information", 12, "B", 7)
    line(form.risks_text)
    pdf.ln(3)
    if form.questions:
        line("Questions and answers", 12, "B", 7)
        for q in form.questions:
            line(q.text, 10, "B")
            line(q.answer or "(not answered)")
            pdf.ln(1)
    pdf.ln(3)
    line("Signature", 12, "B", 7)
    line(f"Signed by: {form.signed_name}")
    line(f"Signed at: {form.signed_at.isoformat(timespec='seconds')}")
    if form.witness_name:
        line(f"Witnessed by: {form.witness_name}")
    pdf.image(io.BytesIO(form.signature_image), w=min(70.0, width), keep_aspect_ratio=True)
    pdf.ln(3)
    line("SHA-256 of the signed content:", 8, "B", 4)
    pdf.set_font("Courier", "", 8)
    pdf.multi_cell(width, 4, form.content_sha256, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

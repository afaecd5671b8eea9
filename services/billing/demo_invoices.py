"""Demo invoices: a month of issued invoices for a practice — completed treatment-plan items
invoiced through the work list, and manual lines (VAT-exempt check-ups, standard-rated
whitening and retail) — issued in date order so the numbers follow the days, and one credit
note (a line waived). Everything goes through ``services.billing.invoices`` (numbers, VAT,
ledger, audit, events), as the receptionist."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from db.models import Patient, Practice, User
from services.auth.principal_loader import principal_for_user
from services.billing import invoices
from services.billing.money import Money
from services.billing.vat import VatCategory
from services.errors import Conflict
from services.principal import RequestMeta

MANUAL = (
    ("Routine examination", "EXAM", 5500, VatCategory.EXEMPT),
    ("Scale and polish (hygienist)", "SP", 6500, VatCategory.EXEMPT),
    ("Home whitening kit", None, 29500, VatCategory.STANDARD),
    ("Electric toothbrush heads (4)", None, 1999, VatCategory.STANDARD),
    ("Sports mouthguard", None, 12000, VatCategory.EXEMPT),
)


async def seed_invoices(
    practice: Practice, patients: list[Patient], staff_user: User, rng: random.Random
) -> int:
    """About one invoice per patient over the last 30 days (plan items where a patient has
    completed, uninvoiced work, manual lines otherwise) and one partial credit note; returns
    how many invoices were issued."""
    principal = await principal_for_user(
        staff_user, mfa_passed=True, claims={}, meta=RequestMeta(ip="10.0.0.21")
    )
    today = datetime.now(UTC).date()
    days = sorted(rng.randrange(1, 31) for _ in patients)
    issued: list[invoices.InvoiceView] = []
    for patient, ago in zip(patients, reversed(days), strict=True):
        try:
            view = await invoices.invoice_uninvoiced(principal, patient_id=patient.id)
        except Conflict:  # nothing completed waiting: a visit billed by hand
            picks = rng.sample(MANUAL, k=rng.randint(1, 2))
            view = await invoices.create(
                principal,
                patient_id=patient.id,
                lines=[
                    invoices.NewLine(text, Money(pence), vat, quantity=1, code=code)
                    for text, code, pence, vat in picks
                ],
            )
        at = datetime.combine(today - timedelta(days=ago), time(9 + rng.randrange(8)), UTC)
        issued.append(await invoices.issue(principal, invoice_id=view.invoice.id, at=at))
    several = next((v for v in issued if len(v.lines) > 1), None)
    if several is not None:
        await invoices.issue_credit_note(
            principal,
            invoice_id=several.invoice.id,
            lines=[invoices.CreditLine(several.lines[-1].id)],
            reason="Goodwill: charged in error",
        )
    return len(issued)

"""Demo payments: against the practice's issued invoices (if the invoices demo raised any) some
patients pay in full, some in part (leaving a few debts for the aged-debt report), one overpays
(credit on account), and a few upcoming bookings get a card deposit held. Everything goes
through the real services, so the ledger, audit trail and billing events are as in use."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from uuid import UUID

from db.models import Patient, Practice, User
from db.queries import payments as queries
from services import tenant_gate
from services.auth.principal_loader import principal_for_user
from services.billing import deposits, payments
from services.billing.money import Money
from services.principal import RequestMeta

DEPOSITS = 3


async def seed_payments(
    practice: Practice, patients: list[Patient], staff_user: User, rng: random.Random
) -> int:
    """Payments and deposits for one practice by ``staff_user`` (a receptionist or practice
    admin of it); how many were recorded."""
    pid = tenant_gate.operator_practice(practice.id)
    principal = await principal_for_user(staff_user, mfa_passed=True, claims={}, meta=RequestMeta())
    ids = [UUID(str(p.id)) for p in patients]
    made = 0
    owing = sorted(await queries.open_invoice_patients(pid, ids), key=str)
    for n, patient_id in enumerate(owing):
        totals = await queries.account_totals(pid, patient_id)
        owed = totals.balance
        if owed <= 0:
            continue
        share = (owed, owed // 2, 0, owed + 1500)[n % 4]  # full, part, a debt, overpaid
        if share <= 0:
            continue
        method = rng.choice((payments.Method.CASH, payments.Method.CARD))
        await payments.take(
            principal,
            patient_id=patient_id,
            amount=Money(share),
            method=method,
            card_token_=f"pi_demo{rng.randrange(10**12):012d}"
            if method is payments.Method.CARD
            else None,
        )
        made += 1
    for appointment in await queries.upcoming_appointments(pid, ids, datetime.now(UTC), DEPOSITS):
        await deposits.take(
            principal,
            appointment_id=UUID(str(appointment.id)),
            amount=Money(rng.choice((2000, 2500, 5000))),
            method=payments.Method.CARD,
            card_token_=f"pi_dep{rng.randrange(10**12):012d}",
        )
        made += 1
    return made

"""The billing half of the demo, for every practice, through the real services after the demo's
transaction has committed: fee schedules, a membership plan and NHS courses (English
practices), retail sales where the practice stocks a retail product, a month of invoices (one
credit note), payments in full and in part,
some debts, deposits on upcoming bookings, and online card deposits through the Stripe webhook
path (signed locally; no network)."""

from __future__ import annotations

import random

from db.models import Patient, Practice, User
from services.billing import demo_fees, demo_invoices, demo_payments, demo_sales, demo_stripe


async def seed_through_services(
    practice: Practice, patients: list[Patient], staff: User, rng: random.Random
) -> None:
    """``staff``: a practice admin or receptionist of ``practice`` (billing:write)."""
    await demo_fees.seed_fees(practice, patients, staff, rng)
    # Its own generator: the invoices and payments that follow stay as they were.
    sales_rng = random.Random(f"{practice.name}-sales")  # noqa: S311 - demo data
    await demo_sales.seed_sales(practice, patients, staff, sales_rng)
    await demo_invoices.seed_invoices(practice, patients, staff, rng)
    await demo_payments.seed_payments(practice, patients, staff, rng)
    await demo_stripe.seed_stripe(practice, patients, staff, rng)

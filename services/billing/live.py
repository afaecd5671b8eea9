"""What a live account event shows: the patient's balance now, read once per permission group
in the event's own practice (never another tenant's)."""

from __future__ import annotations

from uuid import UUID

from db.queries import payments as queries
from services import tenant_gate
from services.billing import settings as billing_settings


async def balance_of(event: tenant_gate.InPractice) -> tuple[int, str] | None:
    """(minor units, currency) the event's patient owes now; None for a practice-level event."""
    patient_id = getattr(event, "patient_id", None)
    if patient_id is None:
        return None
    pid = tenant_gate.practice_of(event)
    totals = await queries.account_totals(pid, UUID(str(patient_id)))
    return totals.balance, (await billing_settings.of(pid)).currency


__all__ = ["balance_of"]

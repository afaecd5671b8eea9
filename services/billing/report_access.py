"""Who may read a practice's billing reports, and over which patients' money.

Practice-level billing reads list or add up money of many patients, so a partner app's
billing:read (which the policy grants only patient by patient, through data-sharing consent)
cannot simply open them:

- **Day sheet and cash counts** are the practice's own till and takings: every payment of the
  day by method and practitioner, whoever paid. They are staff operations, so a partner app is
  refused them (FORBIDDEN, audited) even with billing:read; no patient's consent could cover the
  rest of the day's payers.
- **Aged debt** adds up open invoices: a partner app gets it over exactly the patients who share
  data with it right now (``services.visibility.visible_in``), staff over the whole practice.

Patients never reach either (``tenant_gate.practice_for``: NOT_FOUND, like another practice).
Fee schedules and membership plans hold no patient data and need only billing:read.
"""

from __future__ import annotations

from uuid import UUID

from db.tenancy import PracticeId
from services import audit, tenant_gate, visibility
from services.errors import PolicyDenied
from services.policy import Scope
from services.principal import Principal


async def staff_practice(principal: Principal, practice_id: UUID, *, action: str) -> PracticeId:
    """The practice for a staff-only billing report: NOT_FOUND unless the caller reads billing
    there; FORBIDDEN (audited) for a partner app that does."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.BILLING_READ)
    if principal.client_id is not None:
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("Day sheets and cash counts are for the practice's own staff.")
    return pid


async def report_practice(
    principal: Principal, practice_id: UUID
) -> tuple[PracticeId, frozenset[UUID] | None]:
    """The practice for a report that adds up patients' money, and the only patients it may
    count (None: all of the practice's, for staff)."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.BILLING_READ)
    return pid, await visibility.visible_in(principal, pid)


__all__ = ["report_practice", "staff_practice"]

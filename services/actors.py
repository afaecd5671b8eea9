"""Who made a change, as anyone who may read the change's event may see it.

Recorded in the outbox row with the change (``payload["actor"]``), so a live event says who did
what even when it is delivered later. Display-safe: a staff member by user id and role (staff
are not patients); a patient or a partner app by kind only (a patient's identity is patient
data, and a partner's is not the board's business); automatic changes (an expired hold, a
waitlist offer) as ``SYSTEM``.
"""

from __future__ import annotations

from typing import Any

from services.principal import Principal

KEY = "actor"
STAFF, PATIENT, PARTNER, SYSTEM = "STAFF", "PATIENT", "PARTNER", "SYSTEM"
KINDS = frozenset({STAFF, PATIENT, PARTNER, SYSTEM})


def of(principal: Principal | None) -> dict[str, Any]:
    """The actor as stored in an event's payload (plain JSON values)."""
    if principal is None or not principal.is_authenticated:
        return {"kind": SYSTEM}
    if principal.client_id is not None:
        return {"kind": PARTNER}
    if principal.is_patient:
        return {"kind": PATIENT}
    return {"kind": STAFF, "user_id": str(principal.user_id), "role": principal.primary_role}


def stamped(payload: dict[str, Any], principal: Principal | None) -> dict[str, Any]:
    """``payload`` with its actor (the dict is changed in place and returned)."""
    payload[KEY] = of(principal)
    return payload


__all__ = ["KEY", "KINDS", "PARTNER", "PATIENT", "STAFF", "SYSTEM", "of", "stamped"]

"""What a partner is told about an event: ids and minimal facts, or nothing at all.

Rendered when the delivery is sent (not when it was queued), through ``services.visibility``
with the partner's principal, so a consent withdrawn or a restriction placed after the event
stops deliveries not yet made. Decision: an event about a patient the partner may not see
(no DATA_SHARING grant for this client, or a restriction in force) is **not delivered at all**
(the delivery is WITHHELD): even ids and times of a non-sharing patient's booking are theirs.
An event type whose scope the client no longer holds is withheld the same way.

The body never carries names, contact details or clinical text: ids (which the partner can
resolve through GraphQL, audited there), statuses, times and amounts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson

from db.models import DomainEvent
from services import visibility
from services.principal import Principal
from services.webhooks.events import SCOPE, WebhookEvent

E = WebhookEvent


def _data(event: DomainEvent, kind: WebhookEvent) -> dict[str, Any]:
    payload: dict[str, Any] = dict(event.payload or {})
    data: dict[str, Any] = {"practiceId": str(event.practice_id)}
    if event.patient_id is not None:
        data["patientId"] = str(event.patient_id)
    if kind in (E.APPOINTMENT_BOOKED, E.APPOINTMENT_CHANGED, E.APPOINTMENT_CANCELLED):
        data["appointmentId"] = str(event.entity_id)
        data["status"] = payload.get("status")
        data["startsAt"] = payload.get("starts_at")
        data["endsAt"] = payload.get("ends_at")
        if "needs_call" in payload:  # events written before call requests lack it
            data["needsCall"] = bool(payload["needs_call"])
    elif kind is E.CONSENT_CHANGED:
        data["purpose"] = payload.get("purpose")
        data["granted"] = payload.get("granted")
    elif kind is E.PAYMENT_RECEIVED:
        data["paymentId"] = str(event.entity_id)
        if isinstance(payload.get("amount_minor"), int):
            data["amountMinor"] = payload["amount_minor"]
    return data


async def may_see(principal: Principal, event: DomainEvent, kind: WebhookEvent) -> bool:
    practice_id = UUID(str(event.practice_id))
    patient_id = None if event.patient_id is None else UUID(str(event.patient_id))
    [allowed] = await visibility.visible_events(principal, [(practice_id, patient_id, SCOPE[kind])])
    return allowed


async def render(principal: Principal, event: DomainEvent, kind: WebhookEvent) -> bytes | None:
    """The JSON body (Standard Webhooks: type, timestamp, data), or None: withhold it."""
    if not await may_see(principal, event, kind):
        return None
    body = {
        "type": kind.value,
        "timestamp": event.occurred_at.isoformat(),
        "data": _data(event, kind),
    }
    return orjson.dumps(body)


__all__ = ["may_see", "render"]

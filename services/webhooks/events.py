"""Which domain events partners may subscribe to, under which name, needing which scope.

The names are the webhook's ``type`` (Standard Webhooks: ``<group>.<event>``); each maps one or
more outbox event types (``db.outbox``, the log that feeds subscriptions) and needs one partner
scope, the same one a GraphQL read of that data needs.
"""

from __future__ import annotations

from enum import StrEnum

from services.policy import Scope


class WebhookEvent(StrEnum):
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_CHANGED = "appointment.changed"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    PATIENT_CREATED = "patient.created"
    PATIENT_UPDATED = "patient.updated"
    CONSENT_CHANGED = "consent.changed"
    PAYMENT_RECEIVED = "payment.received"


E = WebhookEvent

# Outbox event type -> webhook event.
FROM_DOMAIN: dict[str, WebhookEvent] = {
    "appointment.booked": E.APPOINTMENT_BOOKED,
    "appointment.rescheduled": E.APPOINTMENT_CHANGED,
    "appointment.status_changed": E.APPOINTMENT_CHANGED,
    "appointment.cancelled": E.APPOINTMENT_CANCELLED,
    # A patient's SMS reply asked for a call, or staff cleared it (``data.needsCall``).
    "appointment.call_requested": E.APPOINTMENT_CHANGED,
    "appointment.call_resolved": E.APPOINTMENT_CHANGED,
    "PATIENT_CREATED": E.PATIENT_CREATED,
    "PATIENT_UPDATED": E.PATIENT_UPDATED,
    "consent.granted": E.CONSENT_CHANGED,
    "consent.withdrawn": E.CONSENT_CHANGED,
    "consent.updated": E.CONSENT_CHANGED,
    "PAYMENT_TAKEN": E.PAYMENT_RECEIVED,
    "PAYMENT_SUCCEEDED": E.PAYMENT_RECEIVED,
}

SCOPE: dict[WebhookEvent, Scope] = {
    E.APPOINTMENT_BOOKED: Scope.SCHEDULE_READ,
    E.APPOINTMENT_CHANGED: Scope.SCHEDULE_READ,
    E.APPOINTMENT_CANCELLED: Scope.SCHEDULE_READ,
    E.PATIENT_CREATED: Scope.PATIENT_READ,
    E.PATIENT_UPDATED: Scope.PATIENT_READ,
    E.CONSENT_CHANGED: Scope.PATIENT_READ,
    E.PAYMENT_RECEIVED: Scope.BILLING_READ,
}

DOMAIN_TYPES: tuple[str, ...] = tuple(FROM_DOMAIN)

__all__ = ["DOMAIN_TYPES", "FROM_DOMAIN", "SCOPE", "WebhookEvent"]

"""Which domain events are changes of a synced object, of which kind, and how.

Object ids: a patient's changes name the patient (``patient_id``; some patient events name a
part of the record, such as a guardian link, as their entity); the others name their entity.
Each kind needs one read scope, the same one a GraphQL read of that object needs (and the
same as the webhook of that object: ``services.webhooks.events.SCOPE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from uuid import UUID

from services.policy import Scope


class ChangeKind(StrEnum):
    PATIENT = "PATIENT"
    APPOINTMENT = "APPOINTMENT"
    CONSENT = "CONSENT"
    INVOICE = "INVOICE"


class Operation(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


K, Op = ChangeKind, Operation

# The patient's record was anonymised (erasure, or retention running out): from then on the
# record is a statistic, not a person; the feed shows it as deleted.
PATIENT_ERASED = "PATIENT_ERASED"

FROM_DOMAIN: dict[str, tuple[ChangeKind, Operation]] = {
    "PATIENT_CREATED": (K.PATIENT, Op.CREATED),
    "PATIENT_UPDATED": (K.PATIENT, Op.UPDATED),
    "PATIENTS_MERGED": (K.PATIENT, Op.UPDATED),
    PATIENT_ERASED: (K.PATIENT, Op.DELETED),
    "appointment.booked": (K.APPOINTMENT, Op.CREATED),
    "appointment.rescheduled": (K.APPOINTMENT, Op.UPDATED),
    "appointment.status_changed": (K.APPOINTMENT, Op.UPDATED),
    # A cancelled appointment still exists (status CANCELLED, kept for the record and reports).
    "appointment.cancelled": (K.APPOINTMENT, Op.UPDATED),
    "appointment.call_requested": (K.APPOINTMENT, Op.UPDATED),
    "appointment.call_resolved": (K.APPOINTMENT, Op.UPDATED),
    # The consent ledger is append-only: every decision is a new entry.
    "consent.granted": (K.CONSENT, Op.CREATED),
    "consent.withdrawn": (K.CONSENT, Op.CREATED),
    "INVOICE_DRAFTED": (K.INVOICE, Op.UPDATED),  # CREATED for the first (``operation``)
    "INVOICE_ISSUED": (K.INVOICE, Op.UPDATED),
    "INVOICE_CREDITED": (K.INVOICE, Op.UPDATED),  # CREATED for the credit note itself
}

SCOPE: dict[ChangeKind, Scope] = {
    K.PATIENT: Scope.PATIENT_READ,
    K.APPOINTMENT: Scope.SCHEDULE_READ,
    K.CONSENT: Scope.PATIENT_READ,
    K.INVOICE: Scope.BILLING_READ,
}


def domain_types(kinds: frozenset[ChangeKind]) -> list[str]:
    """The outbox event types that are changes of ``kinds`` (sorted: stable SQL)."""
    return sorted(t for t, (kind, _) in FROM_DOMAIN.items() if kind in kinds)


def classify(event_type: str, payload: Mapping[str, Any]) -> tuple[ChangeKind, Operation]:
    kind, operation = FROM_DOMAIN[event_type]
    if event_type == "INVOICE_DRAFTED" and payload.get("created") is True:
        return kind, Operation.CREATED
    if event_type == "INVOICE_CREDITED" and "creditsInvoiceId" in payload:
        return kind, Operation.CREATED  # the credit note, issued as it is made
    return kind, operation


def object_id(kind: ChangeKind, entity_id: Any, patient_id: Any) -> UUID:
    return UUID(str(patient_id if kind is ChangeKind.PATIENT else entity_id))


__all__ = [
    "FROM_DOMAIN",
    "PATIENT_ERASED",
    "SCOPE",
    "ChangeKind",
    "Operation",
    "classify",
    "domain_types",
    "object_id",
]

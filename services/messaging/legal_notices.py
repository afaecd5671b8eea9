"""Messages the law requires: a data-subject request's acknowledgement and outcome, and the
notice to patients a breach affects (UK GDPR Art. 12(3) and 34). They go to a reachable patient
whatever their preferences, restriction or objection (``gate``)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import DataSubjectRequest, Patient
from db.queries import messages as queries
from services.messaging import patient_messages

_STATUS_WORDS = {
    "RECEIVED": "received",
    "IN_PROGRESS": "in progress",
    "COMPLETED": "complete",
    "REFUSED": "refused (we have written to explain why)",
    "EXTENDED": "extended",
}


def _day(at: datetime) -> str:
    return f"{at.day} {at:%B %Y}"


async def request_notice(
    connection: BaseDBAsyncClient, patient: Patient | None, request: DataSubjectRequest
) -> bool:
    """Tell the patient their request was received, or what became of it."""
    if patient is None:
        patient = await queries.patient_in(
            UUID(str(request.practice_id)), request.patient_id, connection
        )
    if patient is None:
        return False
    return await patient_messages.legal_notice(
        connection,
        patient,
        "DSR_NOTICE",
        request.id,
        {
            "request_kind": request.kind.lower().replace("_", " "),
            "request_status": _STATUS_WORDS.get(request.status, request.status.lower()),
            "due_date": _day(request.due_at),
        },
    )


def breach_message_id(incident_id: UUID, patient_id: UUID) -> UUID:
    """One notice per incident and patient, however often it is asked for."""
    return uuid5(NAMESPACE_URL, f"aescrm:breach-notice:{incident_id}:{patient_id}")


async def breach_notice(
    connection: BaseDBAsyncClient, patient: Patient, incident_id: UUID, detected_at: datetime
) -> bool:
    message_id = breach_message_id(incident_id, patient.id)
    if await queries.by_id(message_id, connection) is not None:
        return False
    return await patient_messages.legal_notice(
        connection,
        patient,
        "BREACH_NOTICE",
        incident_id,
        {"detected_on": _day(detected_at)},
        message_id=message_id,
    )


__all__ = ["breach_message_id", "breach_notice", "request_notice"]

"""Reading and writing the encrypted columns of patient data, in one place.

Every token is bound to (practice, table, column, row id), so a value copied to another row,
column or practice fails to decrypt. A failure is logged with where it happened (never what)
and surfaces as ``DataIntegrityError`` instead of garbage.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol
from uuid import UUID

from db.crypto import CiphertextError, FieldContext
from db.models import (
    AdverseEvent,
    AestheticConsultation,
    Appointment,
    CashReconciliation,
    ChartEntry,
    ClinicalNote,
    ClinicalNoteAmendment,
    ConsentFormInstance,
    Document,
    InjectableTreatment,
    Invoice,
    InvoiceLine,
    MedicalHistory,
    Message,
    Patient,
    PatientInsurance,
    Payment,
    Prescription,
    TreatmentPlan,
)
from services import runtime
from services.patients.errors import DataIntegrityError, SealedValue

log = logging.getLogger("aescrm.integrity")

# What the key rotation walks; a new encrypted column must be listed here.
ENCRYPTED_COLUMNS: dict[type[Any], tuple[str, ...]] = {
    Patient: (
        "gender_identity",
        "email",
        "mobile_phone",
        "landline_phone",
        "address",
        "emergency_contact",
        "gp_details",
        "nhs_number",
        "reception_notes",
        "clinical_notes",
    ),
    MedicalHistory: ("content",),
    Appointment: ("reception_notes", "clinical_note"),
    PatientInsurance: ("policy_number", "payment_token"),
    ClinicalNote: ("content",),
    ClinicalNoteAmendment: ("content",),
    ChartEntry: ("notes", "void_reason"),
    # The file key is re-wrapped by rotation; the file itself never needs re-encrypting.
    Document: ("title", "filename", "wrapped_key"),
    TreatmentPlan: ("signed_name", "snapshot"),
    AdverseEvent: ("description", "action_taken"),
    AestheticConsultation: ("notes",),
    ConsentFormInstance: (
        "answers",
        "signed_name",
        "signed_ip",
        "signed_user_agent",
        "void_reason",
    ),
    InjectableTreatment: ("notes",),
    Prescription: ("directions",),
    Invoice: ("notes",),
    InvoiceLine: ("description",),
    Payment: ("reason",),
    CashReconciliation: ("note",),
    Message: ("to_address", "context", "rendered_subject", "rendered_text"),
}

# Encrypted columns whose plaintext is a JSON object (structured contact details, answers).
JSON_COLUMNS: dict[type[Any], tuple[str, ...]] = {
    Patient: ("address", "emergency_contact", "gp_details"),
    MedicalHistory: ("content",),
    ClinicalNote: ("content",),
    ClinicalNoteAmendment: ("content",),
    TreatmentPlan: ("snapshot",),
    ConsentFormInstance: ("answers",),
}


class Sealed(Protocol):
    """A row of practice data: an id, a practice and a table name."""

    id: Any
    practice_id: Any


def context(row: Sealed, column: str) -> FieldContext:
    table = type(row)._meta.db_table  # type: ignore[attr-defined]
    return FieldContext(str(row.practice_id), str(table), column, str(row.id))


def seal(row: Sealed, column: str, value: str | None) -> str | None:
    return runtime.keyring().encrypt_optional(value, context(row, column))


def reveal(row: Sealed, column: str) -> str | None:
    token: str | None = getattr(row, column)
    patient_id = row.id if type(row) is Patient else getattr(row, "patient_id", None)
    return reveal_token(token, context(row, column), patient_id=patient_id)


def reveal_token(token: str | None, ctx: FieldContext, *, patient_id: Any = None) -> str | None:
    """Decrypt a token bound to ``ctx``; a failure is logged and raised as DataIntegrityError."""
    try:
        return runtime.keyring().decrypt_optional(token, ctx)
    except CiphertextError as error:
        log.error(
            "encrypted value failed authentication",
            extra={
                "table": ctx.table,
                "column": ctx.column,
                "row_id": ctx.row_id,
                "reason": str(error),
            },
        )
        where = SealedValue(
            practice_id=UUID(ctx.tenant),
            table=ctx.table,
            column=ctx.column,
            row_id=ctx.row_id,
            patient_id=None if patient_id is None else UUID(str(patient_id)),
        )
        raise DataIntegrityError(where) from None


def seal_json(row: Sealed, column: str, value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return seal(row, column, json.dumps(value, sort_keys=True, separators=(",", ":")))


def reveal_json(row: Sealed, column: str) -> dict[str, Any] | None:
    text = reveal(row, column)
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):  # authenticated, so only a bug could get here
        raise DataIntegrityError()
    return value

"""Versioned medical history: each recording is a new immutable version, attested either by a
clinician's confirmation or by the patient's own signature; earlier versions stay readable.

The answers are encrypted as one JSON document per version. ``alerts`` (what a clinician must
see before treating) derive from the answers; the patient row keeps only the yes/no flag so
reception lists never decrypt clinical data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from db.models import MedicalHistory, Patient
from db.queries import patients as queries
from db.uow import unit_of_work
from services import tenant_gate
from services.errors import PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal

MAX_VERSIONS_PAGE = 50


class Attestation(StrEnum):
    CLINICIAN_CONFIRMED = "CLINICIAN_CONFIRMED"
    PATIENT_SIGNED = "PATIENT_SIGNED"


SEVERITIES = ("MILD", "MODERATE", "SEVERE", "ANAPHYLAXIS")
SMOKING = ("NEVER", "FORMER", "CURRENT")


@dataclass(frozen=True, slots=True)
class Medication:
    name: str
    dose: str | None = None


@dataclass(frozen=True, slots=True)
class Allergy:
    substance: str
    reaction: str | None = None
    severity: str | None = None


@dataclass(frozen=True, slots=True)
class Answers:
    conditions: list[str] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    smoking: str | None = None
    alcohol_units_per_week: int | None = None
    pregnant: bool | None = None
    anticoagulants: bool = False
    bisphosphonates: bool = False
    other_alerts: list[str] = field(default_factory=list)
    notes: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answers:
        return cls(
            **{
                **data,
                "medications": [Medication(**m) for m in data.get("medications", [])],
                "allergies": [Allergy(**a) for a in data.get("allergies", [])],
            }
        )


def alerts(answers: Answers) -> list[str]:
    """What must be seen before treatment; wording is for clinicians."""
    found = [
        f"Allergy: {a.substance}" + (f" ({a.severity.lower()})" if a.severity else "")
        for a in answers.allergies
    ]
    if answers.anticoagulants:
        found.append("Takes anticoagulants (bleeding risk)")
    if answers.bisphosphonates:
        found.append("Takes bisphosphonates (osteonecrosis risk)")
    if answers.pregnant:
        found.append("Pregnant")
    found.extend(answers.other_alerts)
    return found


def _items(values: Sequence[str], field: str, limit: int = 200) -> list[str]:
    cleaned = [v.text(item, field, max_length=limit) for item in values]
    return [item for item in cleaned if item]


def validated(a: Answers) -> Answers:
    if a.smoking is not None and a.smoking not in SMOKING:
        raise ValidationFailed(f"'smoking' must be one of {list(SMOKING)}.", field="smoking")
    if a.alcohol_units_per_week is not None and not 0 <= a.alcohol_units_per_week <= 500:
        raise ValidationFailed("Alcohol units must be 0-500.", field="alcoholUnitsPerWeek")
    for allergy in a.allergies:
        if allergy.severity is not None and allergy.severity not in SEVERITIES:
            raise ValidationFailed("Unknown allergy severity.", field="allergies.severity")
    return Answers(
        conditions=_items(a.conditions, "conditions"),
        medications=[
            Medication(
                name=v.text(m.name, "medications.name", max_length=200, required=True) or "",
                dose=v.text(m.dose or "", "medications.dose", max_length=100),
            )
            for m in a.medications
        ],
        allergies=[
            Allergy(
                substance=v.text(x.substance, "allergies.substance", max_length=200, required=True)
                or "",
                reaction=v.text(x.reaction or "", "allergies.reaction", max_length=200),
                severity=x.severity,
            )
            for x in a.allergies
        ],
        smoking=a.smoking,
        alcohol_units_per_week=a.alcohol_units_per_week,
        pregnant=a.pregnant,
        anticoagulants=a.anticoagulants,
        bisphosphonates=a.bisphosphonates,
        other_alerts=_items(a.other_alerts, "otherAlerts"),
        notes=v.text(a.notes or "", "notes", max_length=5000),
    )


def answers_of(history: MedicalHistory) -> Answers:
    return Answers.from_dict(sealing.reveal_json(history, "content") or {})


async def _attestation(principal: Principal, patient: Patient, asked: Attestation) -> Attestation:
    """Patients sign their own; staff need clinical:write (and may enter a signed paper form)."""
    if principal.is_patient:
        if asked is not Attestation.PATIENT_SIGNED:
            raise ValidationFailed("Patients sign their own history.", field="attestation")
        return asked
    await patient_access.require(
        principal, Scope.CLINICAL_WRITE, patient, action="RECORD medical_history"
    )
    return asked


async def record(
    principal: Principal,
    *,
    patient_id: UUID,
    answers: Answers,
    attestation: Attestation,
    attested_at: datetime | None = None,
) -> tuple[MedicalHistory, Patient]:
    patient = await patient_access.readable_patient(principal, patient_id)
    attestation = await _attestation(principal, patient, attestation)
    now = datetime.now(UTC)
    if attested_at is not None and attested_at > now:
        raise ValidationFailed("'attestedAt' cannot be in the future.", field="attestedAt")
    if principal.is_patient and attested_at is not None:
        raise PolicyDenied("A patient's signature is timed by the server.")
    clean = validated(answers)
    async with unit_of_work() as uow:
        pid = tenant_gate.practice_of(patient)
        patient = await queries.locked(pid, patient.id, uow.connection)
        latest = await queries.histories(patient.id, limit=1)
        history = MedicalHistory(
            id=uuid4(),
            practice_id=patient.practice_id,
            patient_id=patient.id,
            version=latest[0].version + 1 if latest else 1,
            has_alert=bool(alerts(clean)),
            attestation=attestation.value,
            attested_at=attested_at or now,
            # A paper form entered by staff was signed by the patient, not by the recorder.
            attested_by_user_id=None
            if attestation is Attestation.PATIENT_SIGNED and not principal.is_patient
            else principal.user_id,
            recorded_by_user_id=principal.user_id,
        )
        history.content = sealing.seal_json(history, "content", asdict(clean)) or ""
        await history.save(using_db=uow.connection)
        patient.has_medical_alert = history.has_alert
        patient.last_activity_at = now
        await patient.save(
            using_db=uow.connection, update_fields=["has_medical_alert", "last_activity_at"]
        )
        await record_change(
            uow,
            principal,
            patient,
            action="RECORD medical_history",
            event="MEDICAL_HISTORY_RECORDED",
            changed=["medicalHistory"],
            entity_type="MedicalHistory",
            entity_id=history.id,
        )
    return history, patient


async def versions(principal: Principal, *, patient_id: UUID, first: int) -> list[MedicalHistory]:
    """Newest first; the caller's field permissions decide which answers are shown."""
    patient = await patient_access.readable_patient(principal, patient_id)
    return await queries.histories(patient.id, limit=min(first, MAX_VERSIONS_PAGE))


__all__ = ["Allergy", "Answers", "Attestation", "Medication", "alerts", "answers_of", "record"]

"""Applying validated values to a patient row: plaintext, sealed and blind-indexed columns.

One table of field rules serves create and update, so both validate and encrypt the same way.
Changed fields are reported by their API (camelCase) names for the audit, never their values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from db.models import Patient, PatientStatus
from services import runtime
from services.errors import ValidationFailed
from services.names import search_key
from services.patients import contact, sealing
from services.patients import validation as v


class SexAtBirth(StrEnum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    INTERSEX = "INTERSEX"
    UNKNOWN = "UNKNOWN"


SETTABLE_STATUSES = frozenset(s.value for s in PatientStatus) - {PatientStatus.MERGED.value}
CLINICAL_FIELDS = frozenset({"clinical_notes"})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True, slots=True)
class Rule:
    clean: Callable[[Any, str], Any]
    sealed: bool = False
    json: bool = False
    index: tuple[str, str] | None = None  # (blind index kind, index column)


def _text(limit: int, *, required: bool = False) -> Callable[[Any, str], Any]:
    return lambda value, field: v.text(value, field, max_length=limit, required=required)


def _choice(allowed: frozenset[str]) -> Callable[[Any, str], Any]:
    def clean(value: Any, field: str) -> str:
        if value not in allowed:
            raise ValidationFailed(f"'{field}' must be one of {sorted(allowed)}.", field=field)
        return str(value)

    return clean


def _structured(kind: Any) -> Callable[[Any, str], Any]:
    return lambda value, field: contact.to_dict(value.validated(field))


def _date_of_birth(value: Any, field: str) -> date:
    if not isinstance(value, date):
        raise ValidationFailed(f"'{field}' is required.", field=field)
    return v.date_of_birth(value, field)


RULES: dict[str, Rule] = {
    "title": Rule(_text(20)),
    "first_name": Rule(_text(100, required=True)),
    "last_name": Rule(_text(100, required=True)),
    "preferred_name": Rule(_text(100)),
    "date_of_birth": Rule(_date_of_birth),
    "sex_at_birth": Rule(_choice(frozenset(SexAtBirth))),
    "status": Rule(_choice(SETTABLE_STATUSES)),
    "gender_identity": Rule(_text(100), sealed=True),
    "email": Rule(v.email, sealed=True, index=("email", "email_index")),
    "mobile_phone": Rule(v.phone, sealed=True, index=("phone", "mobile_index")),
    "landline_phone": Rule(v.phone, sealed=True),
    "nhs_number": Rule(v.nhs_number, sealed=True, index=("nhs_number", "nhs_number_index")),
    "address": Rule(_structured(contact.Address), sealed=True, json=True),
    "emergency_contact": Rule(_structured(contact.EmergencyContact), sealed=True, json=True),
    "gp_details": Rule(_structured(contact.GpDetails), sealed=True, json=True),
    "reception_notes": Rule(_text(2000), sealed=True),
    "clinical_notes": Rule(_text(10000), sealed=True),
}


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every given field; None clears an optional field."""
    unknown = set(values) - set(RULES)
    if unknown:
        raise ValueError(f"unknown patient fields {sorted(unknown)}")
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        field = camel(name)
        if value is None:
            if name in ("first_name", "last_name", "date_of_birth", "status"):
                raise ValidationFailed(f"'{field}' cannot be cleared.", field=field)
            cleaned[name] = None
        else:
            cleaned[name] = RULES[name].clean(value, field)
    return cleaned


def current(patient: Patient, name: str) -> Any:
    rule = RULES[name]
    if not rule.sealed:
        return getattr(patient, name)
    return sealing.reveal_json(patient, name) if rule.json else sealing.reveal(patient, name)


def apply(patient: Patient, cleaned: Mapping[str, Any], *, compare: bool) -> list[str]:
    """Write cleaned values; with ``compare``, skip values equal to what is stored."""
    changed: list[str] = []
    for name, value in cleaned.items():
        if compare and current(patient, name) == value:
            continue
        rule = RULES[name]
        if rule.json:
            setattr(patient, name, sealing.seal_json(patient, name, value))
        elif rule.sealed:
            setattr(patient, name, sealing.seal(patient, name, value))
        else:
            setattr(patient, name, value)
        if rule.index is not None:
            kind, column = rule.index
            setattr(patient, column, None if value is None else blind_index(kind, value))
        changed.append(camel(name))
    if {"first_name", "last_name", "preferred_name"} & set(cleaned):
        patient.search_name = search_key(
            patient.first_name, patient.last_name, patient.preferred_name
        )
    return changed


def blind_index(kind: str, value: str) -> str:
    return runtime.keyring().blind_index(kind, value)

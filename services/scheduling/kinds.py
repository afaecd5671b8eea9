"""The closed vocabularies of the diary's set-up, one home each.

The GraphQL schema exposes them as enums (so a client cannot send a misspelt kind), and the
services check stored values against the same members.
"""

from __future__ import annotations

from enum import StrEnum


class ResourceKind(StrEnum):
    """What an extra resource booked alongside an appointment is."""

    STAFF = "STAFF"
    EQUIPMENT = "EQUIPMENT"


class PractitionerRole(StrEnum):
    """A practitioner's clinical role in a practice (what appointment types may require)."""

    DENTIST = "DENTIST"
    HYGIENIST = "HYGIENIST"
    THERAPIST = "THERAPIST"
    NURSE = "NURSE"
    # Aesthetic clinics: medical practitioners and pharmacist prescribers.
    DOCTOR = "DOCTOR"
    PHARMACIST = "PHARMACIST"


class AbsenceKind(StrEnum):
    """Why a practitioner is away."""

    HOLIDAY = "HOLIDAY"
    TRAINING = "TRAINING"
    SICKNESS = "SICKNESS"
    OTHER = "OTHER"


class CancelCode(StrEnum):
    """Why an appointment was cancelled, as a closed list that reports can count (the free-text
    reason stays beside it for reception). Modelled on the categories UK practice systems
    offer; whether the notice was short is the separate late-cancellation flag."""

    PATIENT_REQUEST = "PATIENT_REQUEST"  # the patient asked, no other reason (portal default)
    PATIENT_ILL = "PATIENT_ILL"  # the patient is unwell
    RESCHEDULED = "RESCHEDULED"  # moved to another time (the new booking is a new appointment)
    COST = "COST"  # the patient declined on cost
    PRACTICE_CANCELLED = "PRACTICE_CANCELLED"  # the practice called it off (closure, equipment)
    PRACTITIONER_UNAVAILABLE = "PRACTITIONER_UNAVAILABLE"  # the practitioner is away or unwell
    BOOKED_IN_ERROR = "BOOKED_IN_ERROR"  # a duplicate or mistaken booking
    OTHER = "OTHER"


class CallReason(StrEnum):
    """Why the patient should be called (``services.scheduling.call_requests``): a code, so the
    board never needs the text of the patient's SMS reply."""

    DECLINED = "DECLINED"  # replied NO (or "cancel")
    UNCLEAR = "UNCLEAR"  # replied something that is neither YES nor NO
    NOT_CONFIRMABLE = "NOT_CONFIRMABLE"  # replied YES, but the appointment could not be confirmed


class RecallKind(StrEnum):
    """Which routine visit a recall (or an appointment type that completes one) is about."""

    EXAM = "EXAM"
    HYGIENE = "HYGIENE"


class AestheticKind(StrEnum):
    """Which aesthetic treatment an appointment type (or a consent form) is about."""

    TOXIN = "TOXIN"
    FILLER = "FILLER"
    SKIN_BOOSTER = "SKIN_BOOSTER"
    OTHER = "OTHER"


class RegistrationBody(StrEnum):
    """The regulator a practitioner is registered with."""

    GMC = "GMC"  # General Medical Council: 7 digits
    NMC = "NMC"  # Nursing and Midwifery Council: e.g. 12A3456E
    GDC = "GDC"  # General Dental Council: digits
    GPHC = "GPHC"  # General Pharmaceutical Council: 7 digits


__all__ = [
    "AbsenceKind",
    "AestheticKind",
    "CancelCode",
    "PractitionerRole",
    "RecallKind",
    "RegistrationBody",
    "ResourceKind",
]

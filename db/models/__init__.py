"""All Tortoise models of the single ``models`` app."""

from db.models.appointments import Appointment
from db.models.audit import AuditEvent, AuditHead
from db.models.credentials import (
    LoginThrottle,
    PartnerClient,
    RecoveryCode,
    RefreshToken,
    RevokedToken,
)
from db.models.insurance import PatientInsurance
from db.models.medical_history import MedicalHistory
from db.models.organizations import Organization, Practice
from db.models.outbox import DomainEvent, PracticeSequence
from db.models.patients import GuardianLink, Patient, PatientStatus
from db.models.users import Membership, User

__all__ = [
    "Appointment",
    "AuditEvent",
    "AuditHead",
    "DomainEvent",
    "GuardianLink",
    "LoginThrottle",
    "MedicalHistory",
    "Membership",
    "Organization",
    "PartnerClient",
    "Patient",
    "PatientInsurance",
    "PatientStatus",
    "Practice",
    "PracticeSequence",
    "RecoveryCode",
    "RefreshToken",
    "RevokedToken",
    "User",
]

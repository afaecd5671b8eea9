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
from db.models.organizations import Organization, Practice
from db.models.outbox import DomainEvent, PracticeSequence
from db.models.patients import Patient
from db.models.users import Membership, User

__all__ = [
    "Appointment",
    "AuditEvent",
    "AuditHead",
    "DomainEvent",
    "LoginThrottle",
    "Membership",
    "Organization",
    "PartnerClient",
    "Patient",
    "Practice",
    "PracticeSequence",
    "RecoveryCode",
    "RefreshToken",
    "RevokedToken",
    "User",
]

"""All Tortoise models of the single ``models`` app."""

from db.models.appointments import (
    Appointment,
    AppointmentChange,
    AppointmentResource,
    ScheduleBlock,
    SlotHold,
)
from db.models.audit import AuditEvent, AuditHead, AuditReadPatient
from db.models.clinical_chart import ChartEntry, ProcedureItem
from db.models.clinical_notes import (
    ClinicalNote,
    ClinicalNoteAmendment,
    ClinicalNoteSettings,
    NoteTemplate,
)
from db.models.clinical_perio import BpeRecord, PerioExam, PerioFollowUp
from db.models.consent import CaptureMethod, ConsentPurpose, ConsentRecord
from db.models.credentials import (
    LoginThrottle,
    PartnerClient,
    RecoveryCode,
    RefreshToken,
    RevokedToken,
)
from db.models.documents import Document
from db.models.insurance import PatientInsurance
from db.models.medical_history import MedicalHistory
from db.models.organizations import Organization, Practice
from db.models.outbox import DomainEvent, PracticeSequence
from db.models.patients import GuardianLink, Patient, PatientStatus
from db.models.privacy import (
    BreachIncident,
    ContactPreference,
    DataSubjectRequest,
    LegalHold,
    ProcessingRestriction,
    RetentionPolicy,
)
from db.models.scheduling import (
    AppointmentType,
    ExtraResource,
    Practitioner,
    Room,
    ScheduleSettings,
)
from db.models.scheduling_followups import Recall, WaitlistEntry
from db.models.scheduling_sessions import Absence, Closure, OpeningHours, WorkingSession
from db.models.treatment_plans import TreatmentPlan, TreatmentPlanItem
from db.models.users import Membership, User

__all__ = [
    "Absence",
    "Appointment",
    "AppointmentChange",
    "AppointmentResource",
    "AppointmentType",
    "AuditEvent",
    "AuditHead",
    "AuditReadPatient",
    "BpeRecord",
    "BreachIncident",
    "CaptureMethod",
    "ChartEntry",
    "ClinicalNote",
    "ClinicalNoteAmendment",
    "ClinicalNoteSettings",
    "Closure",
    "ConsentPurpose",
    "ConsentRecord",
    "ContactPreference",
    "DataSubjectRequest",
    "Document",
    "DomainEvent",
    "ExtraResource",
    "GuardianLink",
    "LegalHold",
    "LoginThrottle",
    "MedicalHistory",
    "Membership",
    "NoteTemplate",
    "OpeningHours",
    "Organization",
    "PartnerClient",
    "Patient",
    "PatientInsurance",
    "PatientStatus",
    "PerioExam",
    "PerioFollowUp",
    "Practice",
    "PracticeSequence",
    "Practitioner",
    "ProcedureItem",
    "ProcessingRestriction",
    "Recall",
    "RecoveryCode",
    "RefreshToken",
    "RetentionPolicy",
    "RevokedToken",
    "Room",
    "ScheduleBlock",
    "ScheduleSettings",
    "SlotHold",
    "TreatmentPlan",
    "TreatmentPlanItem",
    "User",
    "WaitlistEntry",
    "WorkingSession",
]

"""All Tortoise models of the single ``models`` app."""

from db.models.account_links import AccountToken, CalendarFeed
from db.models.aesthetic_forms import ConsentFormInstance, ConsentFormTemplate
from db.models.aesthetic_prescribing import (
    AestheticConsultation,
    Prescription,
    ProfessionalRegistration,
)
from db.models.aesthetic_stock import Batch, Product, StockMovement
from db.models.aesthetic_treatments import AdverseEvent, InjectableTreatment, InjectionPoint
from db.models.appointments import (
    Appointment,
    AppointmentChange,
    AppointmentResource,
    ScheduleBlock,
    SlotHold,
)
from db.models.audit import AuditEvent, AuditHead, AuditReadPatient
from db.models.billing import (
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    LedgerEntry,
    LedgerHead,
    Payment,
    PaymentAllocation,
)
from db.models.billing_fees import (
    FeeSchedule,
    MembershipPlan,
    NhsCourse,
    NhsCourseItem,
    PatientMembership,
    ScheduleFee,
)
from db.models.billing_payments import BillingSettings, CashReconciliation
from db.models.billing_sales import ProductSale
from db.models.billing_webhooks import WebhookDelivery
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
from db.models.jobs import Job, JobStatus
from db.models.key_presence import ProcessKeys
from db.models.medical_history import MedicalHistory
from db.models.messages import Message, MessageSettings, MessageStatus, MessageTemplate
from db.models.nhs_contracts import NhsContractYear
from db.models.organizations import Organization, Practice
from db.models.outbox import DomainEvent, PracticeSequence
from db.models.patients import GuardianLink, Patient, PatientStatus
from db.models.photo_series import PhotoSeries, PhotoSeriesItem
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
from db.models.scheduling_followups import Recall, RecallMet, WaitlistEntry
from db.models.scheduling_sessions import Absence, Closure, OpeningHours, WorkingSession
from db.models.treatment_plans import TreatmentPlan, TreatmentPlanItem
from db.models.trusted_documents import FIRST_PARTY_OWNER, TrustedDocument
from db.models.users import Membership, User
from db.models.webhook_endpoints import (
    PartnerWebhookAttempt,
    PartnerWebhookCursor,
    PartnerWebhookDelivery,
    PartnerWebhookEndpoint,
)

__all__ = [
    "FIRST_PARTY_OWNER",
    "Absence",
    "AccountToken",
    "AdverseEvent",
    "AestheticConsultation",
    "Appointment",
    "AppointmentChange",
    "AppointmentResource",
    "AppointmentType",
    "AuditEvent",
    "AuditHead",
    "AuditReadPatient",
    "Batch",
    "BillingSettings",
    "BpeRecord",
    "BreachIncident",
    "CalendarFeed",
    "CaptureMethod",
    "CashReconciliation",
    "ChartEntry",
    "ClinicalNote",
    "ClinicalNoteAmendment",
    "ClinicalNoteSettings",
    "Closure",
    "ConsentFormInstance",
    "ConsentFormTemplate",
    "ConsentPurpose",
    "ConsentRecord",
    "ContactPreference",
    "DataSubjectRequest",
    "Document",
    "DomainEvent",
    "ExtraResource",
    "FeeSchedule",
    "GuardianLink",
    "InjectableTreatment",
    "InjectionPoint",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "Job",
    "JobStatus",
    "LedgerEntry",
    "LedgerHead",
    "LegalHold",
    "LoginThrottle",
    "MedicalHistory",
    "Membership",
    "MembershipPlan",
    "Message",
    "MessageSettings",
    "MessageStatus",
    "MessageTemplate",
    "NhsContractYear",
    "NhsCourse",
    "NhsCourseItem",
    "NoteTemplate",
    "OpeningHours",
    "Organization",
    "PartnerClient",
    "PartnerWebhookAttempt",
    "PartnerWebhookCursor",
    "PartnerWebhookDelivery",
    "PartnerWebhookEndpoint",
    "Patient",
    "PatientInsurance",
    "PatientMembership",
    "PatientStatus",
    "Payment",
    "PaymentAllocation",
    "PerioExam",
    "PerioFollowUp",
    "PhotoSeries",
    "PhotoSeriesItem",
    "Practice",
    "PracticeSequence",
    "Practitioner",
    "Prescription",
    "ProcedureItem",
    "ProcessKeys",
    "ProcessingRestriction",
    "Product",
    "ProductSale",
    "ProfessionalRegistration",
    "Recall",
    "RecallMet",
    "RecoveryCode",
    "RefreshToken",
    "RetentionPolicy",
    "RevokedToken",
    "Room",
    "ScheduleBlock",
    "ScheduleFee",
    "ScheduleSettings",
    "SlotHold",
    "StockMovement",
    "TreatmentPlan",
    "TreatmentPlanItem",
    "TrustedDocument",
    "User",
    "WaitlistEntry",
    "WebhookDelivery",
    "WorkingSession",
]

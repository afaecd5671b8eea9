"""Communication preferences, restrictions, data-subject requests, retention and incidents.

Preferences and restrictions are per patient. Requests carry their statutory due date and the
per-category outcome. Retention policies are rows keyed by jurisdiction and record class so a
practice in Scotland and one in England follow different rules without code changes.
"""

from enum import StrEnum
from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Organization, Practice
from db.models.patients import Patient


class ContactPreference(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.OneToOneRelation[Patient] = fields.OneToOneField(
        "models.Patient", related_name="contact_preference", on_delete=fields.CASCADE
    )
    patient_id: str
    email = fields.BooleanField(default=True)
    sms = fields.BooleanField(default=True)
    phone = fields.BooleanField(default=True)
    post = fields.BooleanField(default=True)
    service_messages = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contact_preference"


class RestrictionKind(StrEnum):
    RESTRICTION = "RESTRICTION"  # Art. 18: kept, used only for the patient's own care
    OBJECTION = "OBJECTION"  # Art. 21: no direct marketing


class ProcessingRestriction(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="restrictions", on_delete=fields.RESTRICT
    )
    patient_id: str
    kind = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=300)
    request_id = fields.UUIDField(null=True)
    placed_by_user_id = fields.UUIDField(null=True)
    lifted_at = fields.DatetimeField(null=True)
    lifted_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "reason": (
            "why processing is restricted, written by staff; kept readable as evidence of the "
            "restriction (Art. 18(3))"
        ),
    }

    class Meta:
        table = "processing_restriction"
        indexes = (("patient_id", "lifted_at"),)


class RequestKind(StrEnum):
    ACCESS = "ACCESS"
    PORTABILITY = "PORTABILITY"
    RECTIFICATION = "RECTIFICATION"
    ERASURE = "ERASURE"
    RESTRICTION = "RESTRICTION"
    OBJECTION = "OBJECTION"


class RequestStatus(StrEnum):
    RECEIVED = "RECEIVED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    PARTIALLY_COMPLETED = "PARTIALLY_COMPLETED"  # e.g. erasure waiting for retention to end
    REFUSED = "REFUSED"


class DataSubjectRequest(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="subject_requests", on_delete=fields.RESTRICT
    )
    patient_id: str
    kind = fields.CharField(max_length=16)
    status = fields.CharField(max_length=24, default=RequestStatus.RECEIVED.value)
    received_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    handled_by_user_id = fields.UUIDField(null=True)
    # Per category: {"category", "action", "reason", "until"}, without patient data.
    outcome: list[dict[str, object]] = fields.JSONField(default=list)
    erase_after = fields.DateField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "status": "a fixed code from a closed list, not free text",
        "outcome": "category, action, reason and date per category; no patient data",
    }

    class Meta:
        table = "data_subject_request"
        indexes = (("practice_id", "status", "due_at"),)


class RecordClass(StrEnum):
    ACCOUNT_CONTACT = "ACCOUNT_CONTACT"
    CLINICAL = "CLINICAL"
    FINANCIAL = "FINANCIAL"
    AUDIT = "AUDIT"


class RetentionPolicy(Entity):
    """Years after the anchor (last activity or last treatment), plus the minors' rule."""

    jurisdiction = fields.CharField(max_length=32)
    record_class = fields.CharField(max_length=24)
    years = fields.IntField()
    # A child's record is kept at least until this birthday (None: no minors' rule).
    minor_until_birthday = fields.IntField(null=True)
    # ... or until this one if the patient was 17 when treatment ended.
    minor_aged_17_until_birthday = fields.IntField(null=True)
    basis = fields.CharField(max_length=300)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "jurisdiction": "a fixed code from a closed list, not free text",
        "record_class": "a fixed code from a closed list, not free text",
        "basis": "the law or guidance behind the rule",
    }

    class Meta:
        table = "retention_policy"
        unique_together = (("jurisdiction", "record_class"),)


class LegalHold(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    # None: the whole practice is on hold (e.g. a regulator's investigation).
    patient: fields.ForeignKeyNullableRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="legal_holds", null=True, on_delete=fields.RESTRICT
    )
    patient_id: str | None
    reason = fields.CharField(max_length=300)
    placed_by_user_id = fields.UUIDField(null=True)
    # Last day the hold applies (None: until lifted); retention resumes the day after.
    held_until = fields.DateField(null=True)
    released_at = fields.DatetimeField(null=True)
    released_by_user_id = fields.UUIDField(null=True)
    release_reason = fields.CharField(max_length=300, null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "reason": (
            "why records are held (case reference, regulator); shown in retention reports, staff "
            "are told not to put health data in it"
        ),
        "release_reason": "why the hold was lifted; as for reason",
    }

    class Meta:
        table = "legal_hold"


class BreachIncident(Entity):
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.RESTRICT
    )
    organization_id: str
    practice_id = fields.UUIDField(null=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    detected_at = fields.DatetimeField()
    reported_at = fields.DatetimeField(null=True)  # to the ICO, due within 72 hours
    subject_user_id = fields.UUIDField(null=True)
    subject_client_id = fields.CharField(max_length=64, null=True)
    status = fields.CharField(max_length=16, default="OPEN")
    recorded_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "title": "incident title for the breach register, read by the DPO without keys",
        "description": (
            "what happened, for the breach register (ICO guidance: describe categories of data, "
            "not individuals)"
        ),
        "subject_client_id": "partner client id",
        "status": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "breach_incident"
        ordering = ["-detected_at", "id"]

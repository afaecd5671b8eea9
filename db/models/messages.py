"""Outbound and inbound messages, the practice's template versions and its message settings.

A message row is the record of one email or SMS: to whom (a patient or a staff member, the
address masked in plain text and kept whole only encrypted), why, which template version, and
what happened to it. The body is rendered at send time from ids (never stored in a job payload);
only the development channel keeps the rendered text, so ``make run`` can show it.
"""

from enum import StrEnum
from typing import ClassVar

from tortoise import fields
from tortoise.indexes import Index

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class MessageStatus(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"  # handed to the transport; a crash here is resolved by the provider id
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    SUPPRESSED = "SUPPRESSED"  # not sent on purpose (consent, a moved appointment, ...)
    RECEIVED = "RECEIVED"  # an inbound reply


class Message(Entity):
    practice: fields.ForeignKeyNullableRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    practice_id: str | None
    patient: fields.ForeignKeyNullableRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.CASCADE, null=True
    )
    patient_id: str | None
    staff_user_id = fields.UUIDField(null=True)
    direction = fields.CharField(max_length=8, default="OUT")  # OUT or IN
    channel = fields.CharField(max_length=8)  # EMAIL or SMS
    transport = fields.CharField(max_length=16, null=True)  # smtp, twilio, development
    purpose = fields.CharField(max_length=40)  # what it is about: APPOINTMENT_REMINDER, ...
    contact_purpose = fields.CharField(max_length=12)  # SERVICE, MARKETING or LEGAL
    template_name = fields.CharField(max_length=60, null=True)
    template_version = fields.IntField(default=0)  # 0: the shipped default
    subject_id = fields.UUIDField(null=True)  # the appointment, recall, request ... it is about
    subject_at = fields.DatetimeField(null=True)  # the appointment start it was scheduled for
    campaign = fields.CharField(max_length=60, null=True)
    status = fields.CharField(max_length=12, default=MessageStatus.QUEUED.value)
    status_reason = fields.CharField(max_length=200, null=True)
    provider_message_id = fields.CharField(max_length=120, null=True)
    address_masked = fields.CharField(max_length=80, null=True)
    to_address = fields.TextField(null=True)  # encrypted
    to_index = fields.CharField(max_length=64, null=True)  # blind index of an SMS number
    context = fields.TextField(null=True)  # encrypted JSON: values given by the caller
    rendered_subject = fields.TextField(null=True)  # encrypted; development channel only
    rendered_text = fields.TextField(null=True)  # encrypted; development channel, inbound body
    needs_call = fields.BooleanField(default=False)  # an inbound reply someone should answer
    scheduled_for = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    failed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "direction": "a fixed code from a closed list, not free text",
        "channel": "a fixed code from a closed list, not free text",
        "transport": "a fixed code from a closed list, not free text",
        "purpose": "a fixed code from a closed list, not free text",
        "contact_purpose": "a fixed code from a closed list, not free text",
        "template_name": "a template code from the shipped catalogue",
        "campaign": "a campaign code chosen by the practice, no patient data",
        "status": "a fixed code from a closed list, not free text",
        "status_reason": "a fixed sentence from the code (consent rule, provider error code)",
        "provider_message_id": "the provider's opaque id (SMxxxx, Message-ID)",
        "address_masked": "masked: first letter and domain or last digits only",
        "to_index": "a keyed hash (blind index), not the number",
    }

    class Meta:
        table = "message"
        table_description = "One email or SMS to or from a patient or staff member."
        indexes = (
            Index(fields=["practice_id", "created_at"]),
            Index(fields=["to_index", "created_at"]),
            Index(fields=["subject_id"]),
        )


class MessageTemplate(Entity):
    """A practice's own version of a shipped template; the newest version is used."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    name = fields.CharField(max_length=60)
    version = fields.IntField()
    subject = fields.TextField()
    text_body = fields.TextField()
    html_body = fields.TextField(null=True)
    sms_body = fields.TextField(null=True)
    created_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a template code from the shipped catalogue",
        "subject": "template source written by staff, no patient data",
        "text_body": "template source written by staff, no patient data",
        "html_body": "template source written by staff, no patient data",
        "sms_body": "template source written by staff, no patient data",
    }

    class Meta:
        table = "message_template"
        table_description = "A practice's version of a message template."
        unique_together = (("practice_id", "name", "version"),)


class MessageSettings(Entity):
    """How a practice talks to patients: who it is, when reminders go, when not to send."""

    practice: fields.OneToOneRelation[Practice] = fields.OneToOneField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    sender_name = fields.CharField(max_length=120, null=True)
    sender_email = fields.CharField(max_length=254, null=True)
    reply_to = fields.CharField(max_length=254, null=True)
    sms_from = fields.CharField(max_length=20, null=True)
    reminder_hours = fields.IntField(default=24)
    # Per appointment type id (string): hours before; 0 switches that type's reminder off.
    reminder_hours_by_type: dict[str, int] = fields.JSONField(default=dict)
    quiet_start_minute = fields.IntField(default=21 * 60)  # local minute of day
    quiet_end_minute = fields.IntField(default=8 * 60)
    development_channel = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "sender_name": "the practice's business name as sender",
        "sender_email": "the practice's business address as sender",
        "reply_to": "the practice's business address for replies",
        "sms_from": "the practice's business sender number or id",
        "reminder_hours_by_type": "appointment type ids and hour counts",
    }

    class Meta:
        table = "message_settings"
        table_description = "A practice's sender identity, reminder timing and quiet hours."

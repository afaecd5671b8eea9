"""Messages sent to (and replies received from) patients and staff."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from db.models import MessageSettings as SettingsRow
from db.models import MessageStatus as StatusCode
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from services.messaging.sent import SentMessage as SentRow


@strawberry.enum(
    description="Where a message is: QUEUED, SENDING, SENT, DELIVERED, FAILED, SUPPRESSED "
    "(not sent on purpose: consent, a moved appointment; see statusReason) or RECEIVED (a reply)."
)
class MessageStatus(Enum):
    QUEUED = StatusCode.QUEUED.value
    SENDING = StatusCode.SENDING.value
    SENT = StatusCode.SENT.value
    DELIVERED = StatusCode.DELIVERED.value
    FAILED = StatusCode.FAILED.value
    SUPPRESSED = StatusCode.SUPPRESSED.value
    RECEIVED = StatusCode.RECEIVED.value


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="One email or SMS: to whom, why, which template, what happened.")
class SentMessage:
    id: strawberry.ID
    patient_id: strawberry.ID | None = strawberry.field(
        description="The patient it was to or from; null for staff email."
    )
    staff_user_id: strawberry.ID | None = strawberry.field(
        description="The staff member it was to, when known."
    )
    direction: str = strawberry.field(description="OUT (sent) or IN (a reply).")
    channel: str = strawberry.field(description="EMAIL or SMS.")
    transport: str | None = strawberry.field(
        description="smtp, twilio or development (kept, not sent); null until sent."
    )
    purpose: str = strawberry.field(
        description="What it is about: APPOINTMENT_CONFIRMATION, APPOINTMENT_REMINDER, "
        "RECALL_REMINDER, WAITLIST_OFFER, CARE_INSTRUCTIONS, DSR_NOTICE, BREACH_NOTICE, "
        "MARKETING, STAFF_INVITATION, PASSWORD_RESET, EMAIL_CHANGE, OPERATOR_NOTICE or REPLY."
    )
    contact_purpose: str = strawberry.field(description="SERVICE, MARKETING or LEGAL.")
    template_name: str | None = strawberry.field(description="The template used.")
    template_version: int = strawberry.field(
        description="The practice's template version; 0: the shipped default."
    )
    status: MessageStatus = strawberry.field(description="Where it is.")
    status_reason: str | None = strawberry.field(
        description="Why it was suppressed or failed, or the last transient error."
    )
    provider_message_id: str | None = strawberry.field(
        description="The provider's id (SMTP Message-ID, SMS sid)."
    )
    address_masked: str | None = strawberry.field(
        description="The address, masked (first letter and domain, or last digits)."
    )
    subject: str | None = strawberry.field(
        description="The subject as rendered: development channel only."
    )
    body: str | None = strawberry.field(
        description="The text as rendered (development channel) or as received (a reply)."
    )
    needs_call: bool = strawberry.field(description="A reply someone should answer by phone.")
    scheduled_for: datetime | None = strawberry.field(description="When it was due to go.")
    sent_at: datetime | None = strawberry.field(description="When the transport accepted it.")
    delivered_at: datetime | None = strawberry.field(
        description="When the provider reported delivery."
    )
    created_at: datetime = strawberry.field(description="When it was recorded.")
    practice_id: strawberry.Private[object] = None

    @classmethod
    def from_row(cls, item: SentRow) -> SentMessage:
        row = item.row
        return cls(
            id=strawberry.ID(str(row.id)),
            patient_id=_id(row.patient_id),
            staff_user_id=_id(row.staff_user_id),
            direction=row.direction,
            channel=row.channel,
            transport=row.transport,
            purpose=row.purpose,
            contact_purpose=row.contact_purpose,
            template_name=row.template_name,
            template_version=row.template_version,
            status=MessageStatus(row.status),
            status_reason=row.status_reason,
            provider_message_id=row.provider_message_id,
            address_masked=row.address_masked,
            subject=item.subject,
            body=item.body,
            needs_call=row.needs_call,
            scheduled_for=row.scheduled_for,
            sent_at=row.sent_at,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
            practice_id=row.practice_id,
        )

    def read_record(self) -> ReadRecord:
        from uuid import UUID

        patient = UUID(str(self.patient_id)) if self.patient_id else None
        practice = UUID(str(self.practice_id)) if self.practice_id else None
        return ReadRecord("Message", self.id, patient, practice)


@strawberry.type(description="How a practice talks to patients.")
class MessageSettings:
    sender_name: str | None = strawberry.field(description="The From name of its email.")
    sender_email: str | None = strawberry.field(description="The From address of its email.")
    reply_to: str | None = strawberry.field(description="Where replies to its email go.")
    sms_from: str | None = strawberry.field(description="Its SMS sender number (E.164).")
    reminder_hours: int = strawberry.field(description="Hours before a visit its reminder goes.")
    quiet_start_minute: int = strawberry.field(
        description="Local minute of the day quiet hours start (SMS and marketing wait)."
    )
    quiet_end_minute: int = strawberry.field(description="Local minute quiet hours end.")
    development_channel: bool = strawberry.field(
        description="Messages are kept (see sentMessages) instead of sent."
    )

    @classmethod
    def from_model(cls, row: SettingsRow) -> MessageSettings:
        return cls(
            sender_name=row.sender_name,
            sender_email=row.sender_email,
            reply_to=row.reply_to,
            sms_from=row.sms_from,
            reminder_hours=row.reminder_hours,
            quiet_start_minute=row.quiet_start_minute,
            quiet_end_minute=row.quiet_end_minute,
            development_channel=row.development_channel,
        )


@strawberry.input(description="Reminder hours for one appointment type.")
class ReminderHoursInput:
    appointment_type_id: strawberry.ID = strawberry.field(description="The appointment type.")
    hours: int = strawberry.field(description="Hours before, 0-336; 0: no reminder.")


@strawberry.input(description="Change a practice's message settings; omitted fields stay.")
class UpdateMessageSettingsInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    sender_name: str | None = strawberry.field(default=None, description="From name.")
    sender_email: str | None = strawberry.field(
        default=None, description="From address; empty to use the server's."
    )
    reply_to: str | None = strawberry.field(default=None, description="Reply-To address.")
    sms_from: str | None = strawberry.field(default=None, description="SMS sender number.")
    reminder_hours: int | None = strawberry.field(
        default=None, description="Hours before a visit, 0-336; 0: no reminders."
    )
    reminder_hours_by_type: list[ReminderHoursInput] | None = strawberry.field(
        default=None, description="Per appointment type; replaces the whole list."
    )
    quiet_start_minute: int | None = strawberry.field(default=None, description="0-1439.")
    quiet_end_minute: int | None = strawberry.field(default=None, description="0-1439.")
    development_channel: bool | None = strawberry.field(
        default=None, description="Keep messages instead of sending them."
    )


@strawberry.type(description="The practice's message settings now.")
class UpdateMessageSettingsPayload:
    settings: MessageSettings = strawberry.field(description="The settings.")


@strawberry.input(
    description="Save a new version of one of the practice's message templates. Templates use "
    "`{{ field }}` placeholders from the template's own list; anything else is refused."
)
class SaveMessageTemplateInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    name: str = strawberry.field(description="The template, e.g. appointment_reminder.")
    subject: str = strawberry.field(description="Email subject.")
    text: str = strawberry.field(description="Plain-text email body.")
    html: str | None = strawberry.field(default=None, description="HTML email body (escaped).")
    sms: str | None = strawberry.field(default=None, description="SMS text.")


@strawberry.type(description="The template version saved.")
class SaveMessageTemplatePayload:
    name: str = strawberry.field(description="The template.")
    version: int = strawberry.field(description="Its new version number (1, 2, …).")


@strawberry.input(
    description="Tell every patient a breach's actor read or changed in [from, to) (Art. 34)."
)
class NotifyBreachPatientsInput(IdFields):
    incident_id: strawberry.ID = strawberry.field(description="The incident in the register.")
    from_: datetime = strawberry.field(name="from", description="Start of the window.")
    to: datetime = strawberry.field(description="End of the window (exclusive).")


@strawberry.type(description="How many notices were queued.")
class NotifyBreachPatientsPayload:
    queued: int = strawberry.field(
        description="Notices queued now (a patient already told is not told again)."
    )

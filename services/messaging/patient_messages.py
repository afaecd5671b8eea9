"""The messages the diary and the privacy office send patients, recorded and queued in the
transaction of the change that causes them (a rolled-back booking sends nothing).

Which channel: appointment reminders and waitlist offers by SMS when the patient has a mobile
(a reply can confirm), everything else by email when there is one; the other channel otherwise.
Whether it may go at all is decided when it is sent (``gate``), not here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Appointment, MessageSettings, Patient
from db.queries import messages as queries
from services.messaging import records

SMS_FIRST = frozenset({"APPOINTMENT_REMINDER", "WAITLIST_OFFER"})
TEMPLATE = {
    "APPOINTMENT_CONFIRMATION": "appointment_confirmation",
    "APPOINTMENT_REMINDER": "appointment_reminder",
    "CARE_INSTRUCTIONS": "care_instructions",
    "WAITLIST_OFFER": "waitlist_offer",
    "RECALL_REMINDER": "recall_reminder",
    "DSR_NOTICE": "dsr_notice",
    "BREACH_NOTICE": "breach_notice",
    "MARKETING": "practice_news",
}


def channel_for(patient: Patient, purpose: str) -> str | None:
    """The channel to use, from which addresses the record holds (they are read again when
    sending); None when it holds neither."""
    order = ("SMS", "EMAIL") if purpose in SMS_FIRST else ("EMAIL", "SMS")
    held = {"EMAIL": bool(patient.email), "SMS": bool(patient.mobile_phone)}
    return next((channel for channel in order if held[channel]), None)


def reminder_at(starts_at: datetime, hours: int, zone: ZoneInfo) -> datetime:
    """``hours`` before the start on the practice's wall clock: a 09:00 appointment with a
    24-hour reminder hears at 09:00 the day before, also across a clock change (23 or 25 real
    hours). A wall time the change skips moves forward with the clock."""
    local = starts_at.astimezone(zone).replace(tzinfo=None) - timedelta(hours=hours)
    return local.replace(tzinfo=zone).astimezone(UTC)


def reminder_hours(settings: MessageSettings | None, type_id: UUID) -> int:
    if settings is None:
        return 24
    by_type = settings.reminder_hours_by_type or {}
    return int(by_type.get(str(type_id), settings.reminder_hours))


async def _record(
    connection: BaseDBAsyncClient,
    patient: Patient,
    purpose: str,
    *,
    subject_id: UUID | None = None,
    subject_at: datetime | None = None,
    run_at: datetime | None = None,
    context: dict[str, str] | None = None,
    channel: str | None = None,
    campaign: str | None = None,
    message_id: UUID | None = None,
) -> bool:
    chosen = channel or channel_for(patient, purpose)
    if chosen is None:
        return False
    await records.record(
        connection,
        practice_id=UUID(str(patient.practice_id)),
        channel=chosen,
        purpose=purpose,
        template=TEMPLATE[purpose],
        patient_id=patient.id,
        subject_id=subject_id,
        subject_at=subject_at,
        run_at=run_at,
        context=context,
        campaign=campaign,
        message_id=message_id,
    )
    return True


async def after_booking(
    connection: BaseDBAsyncClient,
    appointment: Appointment,
    patient: Patient,
    zone: ZoneInfo,
    now: datetime,
    *,
    confirm: bool = True,
) -> None:
    """A confirmation now and a reminder before the visit (none if that time has passed)."""
    if confirm:
        await _record(
            connection,
            patient,
            "APPOINTMENT_CONFIRMATION",
            subject_id=appointment.id,
            subject_at=appointment.starts_at,
        )
    settings = await queries.settings(UUID(str(appointment.practice_id)))
    hours = reminder_hours(settings, UUID(str(appointment.appointment_type_id)))
    if hours <= 0:
        return
    at = reminder_at(appointment.starts_at, hours, zone)
    if at <= now:
        return
    await _record(
        connection,
        patient,
        "APPOINTMENT_REMINDER",
        subject_id=appointment.id,
        subject_at=appointment.starts_at,
        run_at=at,
    )


async def care_instructions(
    connection: BaseDBAsyncClient, appointment: Appointment, patient: Patient
) -> bool:
    return await _record(
        connection,
        patient,
        "CARE_INSTRUCTIONS",
        subject_id=appointment.id,
        subject_at=appointment.starts_at,
        channel=None,
    )


async def waitlist_offer(
    connection: BaseDBAsyncClient,
    patient: Patient,
    entry_id: UUID,
    starts_at: datetime,
    zone: ZoneInfo,
) -> bool:
    from services.messaging.content import local_date, local_time

    return await _record(
        connection,
        patient,
        "WAITLIST_OFFER",
        subject_id=entry_id,
        subject_at=starts_at,
        context={
            "appointment_date": local_date(starts_at, zone),
            "appointment_time": local_time(starts_at, zone),
        },
    )


def recall_message_id(recall_id: UUID, due_on: date) -> UUID:
    """One reminder per recall and due date, however often the sweep runs."""
    return uuid5(NAMESPACE_URL, f"aescrm:recall-reminder:{recall_id}:{due_on.isoformat()}")


async def recall_reminder(
    connection: BaseDBAsyncClient, patient: Patient, recall_id: UUID, kind: str, due_on: date
) -> bool:
    message_id = recall_message_id(recall_id, due_on)
    if await queries.by_id(message_id, connection) is not None:
        return False
    label = {"EXAM": "check-up", "HYGIENE": "hygiene visit"}.get(kind, kind.lower())
    return await _record(
        connection,
        patient,
        "RECALL_REMINDER",
        subject_id=recall_id,
        message_id=message_id,
        context={"recall_kind": label, "due_date": f"{due_on.day} {due_on:%B %Y}"},
    )


async def legal_notice(
    connection: BaseDBAsyncClient,
    patient: Patient,
    purpose: str,
    subject_id: UUID,
    context: dict[str, str],
    *,
    message_id: UUID | None = None,
) -> bool:
    """A data-subject request's progress or a breach notice (required by law)."""
    return await _record(
        connection,
        patient,
        purpose,
        subject_id=subject_id,
        context=context,
        message_id=message_id,
    )


async def marketing(
    connection: BaseDBAsyncClient, patient: Patient, channel: str, campaign: str
) -> bool:
    return await _record(connection, patient, "MARKETING", channel=channel, campaign=campaign)


__all__ = [
    "after_booking",
    "care_instructions",
    "channel_for",
    "legal_notice",
    "marketing",
    "recall_reminder",
    "reminder_at",
    "waitlist_offer",
]

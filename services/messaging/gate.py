"""Whether a message may go now: asked when it is sent, never only when it was queued.

- the patient's contact rules (``services.consent.contact.can_contact``): a service message on
  an accepted channel; marketing only with the channel's granted marketing consent and no
  restriction or objection. A withdrawal made after queueing stops the message.
- messages the law requires (a breach notice, a request's answer) go to a reachable, living
  patient whatever the preferences, restriction or objection say.
- an appointment message goes only if the appointment is still live and (a reminder) still at
  the time it was scheduled for: a moved appointment has a new reminder of its own.
- quiet hours (the practice's, local time): SMS and marketing wait until they end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from db.models import Message, MessageSettings, Patient, PatientStatus
from services.consent.contact import Channel, ContactPurpose, can_contact
from services.messaging.content import LIVE_STATUSES, Facts


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str
    defer_until: datetime | None = None


GO = Verdict(True, "")


async def contact(patient: Patient, message: Message) -> Verdict:
    channel = Channel(message.channel)
    if message.contact_purpose == "LEGAL":
        if patient.status in (PatientStatus.DECEASED.value, PatientStatus.MERGED.value):
            return Verdict(False, f"Record is {patient.status.lower()}.")
        column = "email" if channel is Channel.EMAIL else "mobile_phone"
        if not getattr(patient, column):
            return Verdict(False, "No contact details for this channel.")
        return Verdict(True, "Required by law.")
    purpose = ContactPurpose(message.contact_purpose)
    decision = await can_contact(patient, channel, purpose)
    return Verdict(decision.allowed, decision.reason)


def subject(facts: Facts, message: Message) -> Verdict:
    if message.purpose not in ("APPOINTMENT_CONFIRMATION", "APPOINTMENT_REMINDER"):
        return GO
    appointment = facts.appointment
    if appointment is None or appointment.status not in LIVE_STATUSES:
        return Verdict(False, "The appointment was cancelled.")
    if message.subject_at is not None and appointment.starts_at != message.subject_at:
        return Verdict(False, "The appointment was moved.")
    return GO


def quiet_until(settings: MessageSettings | None, facts: Facts, now: datetime) -> datetime | None:
    """The end of the practice's quiet hours if ``now`` is inside them (local time)."""
    start = settings.quiet_start_minute if settings else 21 * 60
    end = settings.quiet_end_minute if settings else 8 * 60
    if start == end:
        return None
    local = now.astimezone(facts.zone)
    minute = local.hour * 60 + local.minute
    inside = (start <= minute or minute < end) if start > end else (start <= minute < end)
    if not inside:
        return None
    day = local.date() if minute < end else local.date() + timedelta(days=1)
    wall = datetime.combine(day, time(end // 60, end % 60), tzinfo=facts.zone)
    return wall.astimezone(now.tzinfo)


def quiet(facts: Facts, message: Message, now: datetime) -> Verdict:
    if message.patient_id is None or message.contact_purpose == "LEGAL":
        return GO
    if message.channel != "SMS" and message.contact_purpose != "MARKETING":
        return GO
    until = quiet_until(facts.settings, facts, now)
    if until is None:
        return GO
    return Verdict(False, "Quiet hours.", defer_until=until)


__all__ = ["GO", "Verdict", "contact", "quiet", "quiet_until", "subject"]

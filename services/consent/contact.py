"""``can_contact``: the one question every outbound message must ask first.

Service messages need the channel allowed and a way to reach the patient, and stop while
processing is restricted (UK GDPR Art. 18: the record is kept, not used to contact the patient;
only what the law requires still goes, and that is decided by the sender, not here). An
objection (Art. 21) is to direct marketing: it stops marketing, not the patient's own care.
Marketing also needs the channel's current marketing consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.models import ConsentPurpose, Patient, PatientStatus
from db.models.privacy import RestrictionKind
from db.queries import consent as queries
from services.consent import preferences


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PHONE = "PHONE"
    POST = "POST"


class ContactPurpose(StrEnum):
    SERVICE = "SERVICE"
    MARKETING = "MARKETING"


# The consent purpose that covers marketing on each channel (none: no marketing calls).
MARKETING_CONSENT: dict[Channel, ConsentPurpose | None] = {
    Channel.EMAIL: ConsentPurpose.MARKETING_EMAIL,
    Channel.SMS: ConsentPurpose.MARKETING_SMS,
    Channel.POST: ConsentPurpose.MARKETING_POST,
    Channel.PHONE: None,
}
_ADDRESS_COLUMN = {
    Channel.EMAIL: "email",
    Channel.SMS: "mobile_phone",
    Channel.PHONE: "mobile_phone",
    Channel.POST: "address",
}


@dataclass(frozen=True, slots=True)
class ContactDecision:
    allowed: bool
    reason: str


def _reachable(patient: Patient, channel: Channel) -> bool:
    if channel is Channel.PHONE:
        return bool(patient.mobile_phone or patient.landline_phone)
    return bool(getattr(patient, _ADDRESS_COLUMN[channel]))


def service_decision(
    status: str, reachable: bool, prefs: preferences.Preferences, channel: Channel
) -> ContactDecision:
    """A service message on ``channel``, from facts already read (a recall list decides for
    hundreds of patients from one statement): what :func:`can_contact` decides for SERVICE."""
    if status in (PatientStatus.DECEASED.value, PatientStatus.MERGED.value):
        return ContactDecision(False, f"Record is {status.lower()}.")
    if not reachable:
        return ContactDecision(False, "No contact details for this channel.")
    if not getattr(prefs, channel.value.lower()):
        return ContactDecision(False, "The patient does not accept this channel.")
    if not prefs.service_messages:
        return ContactDecision(False, "The patient declined service messages.")
    return ContactDecision(True, "Service message on an accepted channel.")


async def can_contact(
    patient: Patient, channel: Channel, purpose: ContactPurpose
) -> ContactDecision:
    if patient.status in (PatientStatus.DECEASED.value, PatientStatus.MERGED.value):
        return ContactDecision(False, f"Record is {patient.status.lower()}.")
    if not _reachable(patient, channel):
        return ContactDecision(False, "No contact details for this channel.")
    prefs = await preferences.load(patient.id)
    restricted = (await queries.active_restrictions([patient.id])).get(patient.id, set())
    if purpose is ContactPurpose.SERVICE:
        if RestrictionKind.RESTRICTION.value in restricted:
            return ContactDecision(False, "Processing is restricted.")
        return service_decision(patient.status, True, prefs, channel)
    if not getattr(prefs, channel.value.lower()):
        return ContactDecision(False, "The patient does not accept this channel.")
    if RestrictionKind.OBJECTION.value in restricted:
        return ContactDecision(False, "The patient objected to direct marketing.")
    if RestrictionKind.RESTRICTION.value in restricted:
        return ContactDecision(False, "Processing is restricted.")
    needed = MARKETING_CONSENT[channel]
    if needed is None:
        return ContactDecision(False, "No marketing consent exists for this channel.")
    latest = (await queries.current_for(patient.id)).get((needed.value, ""))
    if latest is None or not latest.granted:
        return ContactDecision(False, f"No current {needed.value} consent.")
    return ContactDecision(True, f"{needed.value} consent granted.")

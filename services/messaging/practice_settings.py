"""A practice's message settings and template versions, changed by its admins
(``practice:write``). Every change is one unit of work with its audit record."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from db.models import MessageSettings, MessageTemplate
from db.queries import messages as queries
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.errors import ValidationFailed
from services.messaging import addresses, templates
from services.policy import Scope
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class SettingsChange:
    sender_name: str | None = None
    sender_email: str | None = None
    reply_to: str | None = None
    sms_from: str | None = None
    reminder_hours: int | None = None
    reminder_hours_by_type: dict[str, int] | None = None
    quiet_start_minute: int | None = None
    quiet_end_minute: int | None = None
    development_channel: bool | None = None


def _checked(change: SettingsChange) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in ("sender_email", "reply_to"):
        value = getattr(change, name)
        if value is not None:
            values[name] = addresses.email(value, name) if value.strip() else None
    if change.sms_from is not None:
        values["sms_from"] = (
            addresses.phone(change.sms_from, "smsFrom") if change.sms_from else None
        )
    if change.sender_name is not None:
        name = " ".join(change.sender_name.split())
        if len(name) > 120 or any(c in name for c in '<>"\r\n'):
            raise ValidationFailed("At most 120 characters, no <, > or quotes.", field="senderName")
        values["sender_name"] = name or None
    hours = [change.reminder_hours, *(change.reminder_hours_by_type or {}).values()]
    if any(h is not None and not 0 <= h <= 24 * 14 for h in hours):
        raise ValidationFailed("Reminder hours must be 0-336.", field="reminderHours")
    if change.reminder_hours is not None:
        values["reminder_hours"] = change.reminder_hours
    if change.reminder_hours_by_type is not None:
        values["reminder_hours_by_type"] = {
            str(UUID(k)): v for k, v in change.reminder_hours_by_type.items()
        }
    for name in ("quiet_start_minute", "quiet_end_minute"):
        value = getattr(change, name)
        if value is not None:
            if not 0 <= value < 24 * 60:
                raise ValidationFailed("A minute of the day, 0-1439.", field=name)
            values[name] = value
    if change.development_channel is not None:
        values["development_channel"] = change.development_channel
    return values


async def update(
    principal: Principal, *, practice_id: UUID, change: SettingsChange
) -> MessageSettings:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_WRITE)
    values = _checked(change)
    async with unit_of_work() as uow:
        row = await queries.save_settings(pid, uow.connection, **values)
        uow.audit(
            audit.record_for(
                principal,
                action="UPDATE message settings",
                practice_id=pid,
                entity_type="MessageSettings",
                entity_id=row.id,
                fields=sorted(values),
            )
        )
    return row


async def save_template(
    principal: Principal,
    *,
    practice_id: UUID,
    name: str,
    subject: str,
    text: str,
    html: str | None,
    sms: str | None,
) -> MessageTemplate:
    """A new version of the practice's template; its fields checked against the catalogue."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_WRITE)
    templates.shipped(name)
    templates.check(name, "subject", subject)
    templates.check(name, "text", text)
    if html is not None:
        templates.check(name, "html", html, html=True)
    if sms is not None:
        templates.check(name, "sms", sms)
    async with unit_of_work() as uow:
        version = await queries.next_template_version(pid, name, uow.connection)
        row = await queries.add_template(
            uow.connection,
            practice_id=pid,
            name=name,
            version=version,
            subject=subject,
            text_body=text,
            html_body=html,
            sms_body=sms,
            created_by_user_id=principal.user_id,
        )
        uow.audit(
            audit.record_for(
                principal,
                action="SAVE message template",
                practice_id=pid,
                entity_type="MessageTemplate",
                entity_id=row.id,
                fields=[name, f"version {version}"],
            )
        )
    return row


__all__ = ["SettingsChange", "save_template", "update"]

"""Reads and writes of message records, template versions and message settings.

Reads that answer a caller take the practice first; the send job reads its own message by id
(the id came from a row this service wrote, never from a request).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.functions import Max

from db.models import (
    Appointment,
    AppointmentType,
    Message,
    MessageSettings,
    MessageTemplate,
    Patient,
    Practice,
    Practitioner,
    Recall,
)
from db.tenancy import PracticeId


async def add(connection: BaseDBAsyncClient, **values: Any) -> Message:
    return await Message.create(using_db=connection, **values)


async def by_id(message_id: UUID, connection: BaseDBAsyncClient | None = None) -> Message | None:
    query = Message.filter(id=message_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def for_update(message_id: UUID, connection: BaseDBAsyncClient) -> Message | None:
    query = Message.filter(id=message_id).using_db(connection)
    if connection.capabilities.dialect == "postgres":
        query = query.select_for_update()
    return await query.first()


async def update(message_id: UUID, connection: BaseDBAsyncClient | None, **values: Any) -> int:
    query = Message.filter(id=message_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.update(**values)


async def by_provider_id(provider_message_id: str) -> Message | None:
    return await Message.filter(provider_message_id=provider_message_id).first()


async def latest_reply_target(to_index: str) -> Message | None:
    """The newest outbound SMS reminder sent to a number: what a reply answers."""
    return (
        await Message.filter(
            to_index=to_index,
            direction="OUT",
            channel="SMS",
            purpose="APPOINTMENT_REMINDER",
            status__in=["SENT", "DELIVERED"],
        )
        .order_by("-created_at")
        .first()
    )


async def sent(
    practice_id: PracticeId,
    *,
    transport: str | None,
    patient_id: UUID | None,
    limit: int,
    before: tuple[datetime, UUID] | None,
) -> list[Message]:
    """Newest first; ``before`` is the (created_at, id) of the last row of the previous page."""
    query = Message.filter(practice_id=practice_id)
    if transport is not None:
        query = query.filter(transport=transport)
    if patient_id is not None:
        query = query.filter(patient_id=patient_id)
    if before is not None:
        at, last = before
        query = query.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last))
    return await query.order_by("-created_at", "-id").limit(limit)


async def pending_for_subject(subject_id: UUID, connection: BaseDBAsyncClient) -> list[Message]:
    return await Message.filter(subject_id=subject_id, status="QUEUED").using_db(connection)


async def settings(practice_id: PracticeId | UUID) -> MessageSettings | None:
    return await MessageSettings.get_or_none(practice_id=practice_id)


async def practice_and_settings(
    practice_id: PracticeId,
) -> tuple[Practice | None, MessageSettings | None]:
    """The practice and its message settings: one statement when the practice has settings."""
    settings = (
        await MessageSettings.filter(practice_id=practice_id).select_related("practice").first()
    )
    if settings is not None:
        return settings.practice, settings
    return await Practice.filter(id=practice_id).first(), None


async def save_settings(
    practice_id: PracticeId, connection: BaseDBAsyncClient, **values: Any
) -> MessageSettings:
    row = await MessageSettings.filter(practice_id=practice_id).using_db(connection).first()
    if row is None:
        return await MessageSettings.create(practice_id=practice_id, using_db=connection, **values)
    await MessageSettings.filter(id=row.id).using_db(connection).update(**values)
    await row.refresh_from_db(using_db=connection)
    return row


async def template(
    practice_id: UUID, name: str, version: int | None = None
) -> MessageTemplate | None:
    """A practice's version ``version`` of a template, or its newest when ``version`` is None."""
    query = MessageTemplate.filter(practice_id=practice_id, name=name)
    if version is not None:
        return await query.filter(version=version).first()
    return await query.order_by("-version").first()


async def next_template_version(
    practice_id: PracticeId, name: str, connection: BaseDBAsyncClient
) -> int:
    found = (
        await MessageTemplate.filter(practice_id=practice_id, name=name)
        .using_db(connection)
        .annotate(top=Max("version"))
        .values_list("top", flat=True)
    )
    top = found[0] if found else None
    return int(str(top or 0)) + 1


async def add_template(connection: BaseDBAsyncClient, **values: Any) -> MessageTemplate:
    return await MessageTemplate.create(using_db=connection, **values)


async def visit(
    practice_id: PracticeId, appointment_id: UUID
) -> tuple[Appointment | None, str | None, str | None]:
    """The appointment a message is about, with its type's and practitioner's names.

    One statement (joins): a reminder run reads this for every message it sends.
    """
    appointment = (
        await Appointment.filter(id=appointment_id, practice_id=practice_id)
        .select_related("appointment_type", "practitioner")
        .first()
    )
    if appointment is None:
        return None, None, None
    kind: AppointmentType = appointment.appointment_type
    who: Practitioner = appointment.practitioner
    ours = str(practice_id)
    return (
        appointment,
        kind.name if str(kind.practice_id) == ours else None,
        who.display_name if str(who.practice_id) == ours else None,
    )


async def appointment_patient(
    appointment: Appointment, connection: BaseDBAsyncClient
) -> Patient | None:
    """The patient of an appointment the caller holds (same practice)."""
    query = Patient.filter(id=appointment.patient_id, practice_id=appointment.practice_id)
    return await query.using_db(connection).first()


async def patient_in(
    practice_id: PracticeId | UUID, patient_id: UUID | str, connection: BaseDBAsyncClient
) -> Patient | None:
    """A patient of the practice, read in the caller's transaction (a message's recipient)."""
    query = Patient.filter(id=patient_id, practice_id=practice_id)
    return await query.using_db(connection).first()


async def due_recalls(practice_id: PracticeId, until: date, limit: int) -> list[Recall]:
    """Recalls of the practice due on or before ``until`` (the reminder sweep)."""
    query = Recall.filter(practice_id=practice_id, due_on__lte=until)
    return await query.order_by("due_on", "id").limit(limit)


async def practice_ids() -> list[UUID]:
    return list(await Practice.all().values_list("id", flat=True))  # type: ignore[arg-type]


async def upcoming_appointments(
    practice_id: PracticeId, now: datetime, limit: int
) -> list[Appointment]:
    query = Appointment.filter(practice_id=practice_id, starts_at__gt=now, status="BOOKED")
    return await query.order_by("starts_at", "id").limit(limit)

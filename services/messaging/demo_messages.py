"""Demo data: each demo practice keeps its messages (the development channel) and has a sender
identity, and a few upcoming visits get their confirmation and reminder queued through the
real path, so ``make run`` shows in ``sentMessages`` what would have been sent."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from db.models import Practice
from db.queries import messages as queries
from db.uow import unit_of_work
from services import tenant_gate
from services.messaging import patient_messages

DEMO_VISITS = 5


async def seed(practice: Practice, handle: str, domain: str) -> int:
    pid = tenant_gate.operator_practice(practice.id)
    now = datetime.now(UTC)
    queued = 0
    async with unit_of_work() as uow:
        await queries.save_settings(
            pid,
            uow.connection,
            development_channel=True,
            sender_name=practice.name,
            sender_email=f"hello.{handle}@{domain}",
            reply_to=f"reception.{handle}@{domain}",
        )
        for appointment in await queries.upcoming_appointments(pid, now, DEMO_VISITS):
            patient = await queries.appointment_patient(appointment, uow.connection)
            if patient is None:
                continue
            await patient_messages.after_booking(
                uow.connection, appointment, patient, ZoneInfo(practice.timezone), now
            )
            queued += 1
    return queued


__all__ = ["seed"]

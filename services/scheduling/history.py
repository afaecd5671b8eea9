"""Saving a changed appointment together with its history row (before/after snapshots)."""

from __future__ import annotations

from typing import Any

from db.models import Appointment, AppointmentChange
from db.uow import UnitOfWork
from services.principal import Principal
from services.scheduling import change_records


async def save_change(
    uow: UnitOfWork,
    principal: Principal,
    appointment: Appointment,
    *,
    kind: str,
    before: dict[str, Any],
) -> None:
    """Bumps the version, saves, and keeps what it was and what it became.

    A change to the appointment (a status change, a reschedule, a cancellation) deals with any
    call the patient asked for (``services.scheduling.call_requests``): the request ends here,
    and the change's own event shows it cleared.
    """
    appointment.call_requested_at, appointment.call_reason = None, None
    appointment.version += 1
    await appointment.save(using_db=uow.connection)
    await AppointmentChange.create(
        appointment_id=appointment.id,
        kind=kind,
        changed_by_id=principal.user_id,
        before=before,
        after=change_records.snapshot(appointment),
        using_db=uow.connection,
    )

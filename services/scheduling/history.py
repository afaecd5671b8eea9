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
    """Bumps the version, saves, and keeps what it was and what it became."""
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

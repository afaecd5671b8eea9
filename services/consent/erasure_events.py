"""The outbox event an erasure writes, in the erasure's own transaction.

Sync clients (the ``changes`` feed) and anyone else reading the log learn that a record went:
``PATIENT_ERASED`` once the record is anonymised (it is a statistic from then on, shown as a
tombstone), ``PATIENT_UPDATED`` when only contact details went (the record stays, restricted).
Ids and field names only, like every outbox payload.
"""

from __future__ import annotations

from collections.abc import Collection

from db.models import Patient
from db.outbox import PendingEvent
from db.queries import organizations
from db.uow import UnitOfWork
from services import actors, tenant_gate
from services.changes.kinds import PATIENT_ERASED
from services.errors import NotFound
from services.principal import Principal


async def record_erasure(
    uow: UnitOfWork,
    by: Principal,
    patient: Patient,
    *,
    anonymised: bool,
    categories: Collection[str],
) -> None:
    pid = tenant_gate.practice_of(patient)
    practice = await organizations.practice([pid], pid)
    if practice is None:
        raise NotFound("Practice")
    uow.emit(
        PendingEvent(
            organization_id=tenant_gate.organization_of(practice),
            practice_id=pid,
            topic="patients",
            type=PATIENT_ERASED if anonymised else "PATIENT_UPDATED",
            entity_id=patient.id,
            patient_id=patient.id,
            payload=actors.stamped({"erased": sorted(categories)}, by),
        )
    )


__all__ = ["record_erasure"]

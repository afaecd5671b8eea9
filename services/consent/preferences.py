"""Communication preferences: which channels a patient accepts, and service messages at all.

A patient without a row accepts every channel for service messages (appointment reminders
are part of their care); marketing always needs consent on top (see ``contact``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from uuid import UUID, uuid4

from db.models import ContactPreference
from db.queries import contact_preferences as queries
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.consent import privacy_access
from services.errors import PolicyDenied
from services.policy import Scope
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class Preferences:
    email: bool = True
    sms: bool = True
    phone: bool = True
    post: bool = True
    service_messages: bool = True

    @classmethod
    def of(cls, row: ContactPreference | None) -> Preferences:
        if row is None:
            return cls()
        return cls(**{f.name: bool(getattr(row, f.name)) for f in fields(cls)})


async def load(patient_id: UUID) -> Preferences:
    return Preferences.of(await queries.preference(patient_id))


async def get(principal: Principal, *, patient_id: UUID) -> Preferences:
    patient = await privacy_access.readable(principal, patient_id)
    return await load(patient.id)


async def update(
    principal: Principal, *, patient_id: UUID, changes: dict[str, bool]
) -> Preferences:
    """Staff with consent:write, or the patient on their own record, set some channels."""
    if principal.is_patient:
        patient = await privacy_access.readable(principal, patient_id)
    else:
        patient = await privacy_access.staff_with(
            principal, Scope.CONSENT_WRITE, patient_id, action="UPDATE contact preferences"
        )
    known = {f.name for f in fields(Preferences)}
    if set(changes) - known:
        raise PolicyDenied("Unknown preference.")
    async with unit_of_work() as uow:
        row = await queries.preference(patient.id)
        if row is None:
            row = ContactPreference(
                id=uuid4(), practice_id=patient.practice_id, patient_id=patient.id
            )
        changed = [name for name, value in changes.items() if getattr(row, name) != value]
        for name, value in changes.items():
            setattr(row, name, value)
        await row.save(using_db=uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="UPDATE contact preferences",
                practice_id=tenant_gate.practice_of(patient),
                entity_type="ContactPreference",
                entity_id=row.id,
                patient_id=patient.id,
                fields=sorted(changed),
            )
        )
    return Preferences.of(row)

"""Nobody under 16 holds a portal login: checked at account creation, at every sign-in, and
whenever a date of birth changes.

A PATIENT membership on a child is legitimate only as guardian access: the same user also holds
the record of a linked guardian with parental responsibility. Any other membership on an under-16
record is the child's own login. Such a login is suspended (account inactive, live tokens
revoked) when it holds nothing else, or loses just that record when it does; either way audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.audit_chain import AuditRecord
from db.models import Patient, User
from db.queries import memberships, organizations, patients, users
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import audit
from services.policy import Role
from services.principal import Principal, RequestMeta
from services.tenant_gate import held_practice, practice_of

PORTAL_MINIMUM_AGE = 16
SUSPEND_ACTION = "SUSPEND portal account (under 16)"
REVOKE_ACTION = "REVOKE portal access (under 16)"


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def too_young(born: date, today: date | None = None) -> bool:
    return age_on(born, today or datetime.now(UTC).date()) < PORTAL_MINIMUM_AGE


async def own_logins(
    practice_id: PracticeId, patient_id: UUID, conn: BaseDBAsyncClient
) -> list[UUID]:
    """Users reaching this record other than as a guardian with parental responsibility."""
    holders = await memberships.holders_of(patient_id, Role.PATIENT.value, conn)
    if not holders:
        return []
    guardians = await patients.responsible_guardians(practice_id, patient_id, conn)
    backed = (
        await memberships.holders_among(holders, guardians, Role.PATIENT.value, conn)
        if guardians
        else set()
    )
    return [UUID(str(u)) for u in holders if u not in backed]


async def enforce(
    principal: Principal, patient: Patient, conn: BaseDBAsyncClient, *, today: date | None = None
) -> list[AuditRecord]:
    """If the patient is under 16, end every own login to the record. Returns the audit rows
    for the caller to write in its transaction (none when nothing changed)."""
    if not too_young(patient.date_of_birth, today):
        return []
    practice_id = practice_of(patient)
    practice = await organizations.practice_row(practice_id, conn)
    records: list[AuditRecord] = []
    for user_id in await own_logins(practice_id, patient.id, conn):
        others = await memberships.holds_other_than(user_id, patient.id, conn)
        user = await users.for_update(user_id, conn)
        if others:
            await memberships.drop_record(user_id, patient.id, Role.PATIENT.value, conn)
            action = REVOKE_ACTION
        else:
            user.is_active = False
            action = SUSPEND_ACTION
        user.token_version += 1  # live access tokens stop working at once
        await user.save(using_db=conn, update_fields=["is_active", "token_version"])
        records.append(
            audit.record_for(
                principal,
                action=action,
                practice_id=UUID(str(patient.practice_id)),
                organization_id=UUID(str(practice.organization_id)),
                entity_type="User",
                entity_id=user_id,
                patient_id=patient.id,
                fields=["dateOfBirth"],
            )
        )
    return records


async def allow_sign_in(user: User, meta: RequestMeta) -> bool:
    """False when the account is a child's own login (it is suspended now, and audited)."""
    held = await memberships.records_held(user.id, Role.PATIENT.value)
    if not held:
        return True
    # Signing in: the practices of the user's own memberships are the tenants to read in.
    practices = {held_practice(practice) for practice, _ in held if practice is not None}
    records = await patients.patients_by_ids(practices, [patient for _, patient in held])
    minors = [p for p in records if too_young(p.date_of_birth)]
    if not minors:
        return True
    actor = Principal(user_id=user.id, meta=meta)
    async with unit_of_work() as uow:
        for patient in minors:
            for record in await enforce(actor, patient, uow.connection):
                uow.audit(record)
    await user.refresh_from_db(fields=["is_active", "token_version"])
    return user.is_active

"""Who saw and changed what: the per-request read trail and the audit queries.

Reads and denials of one request are collected here and written as one batch at the end of the
operation (one insert per request, not per field). Denials are merged too: one row per field
and practice per request, naming the patient when only one was concerned and the number of
attempts when more were (a receptionist's 300-row board asking for clinical notes is one row,
linked by request id to the board read it belongs to). A read that shows many patients at once
(the board) is one row naming all of them (``patient_ids``: link rows, covered by the row's
hash), not a row per patient: each patient's access log, export and breach report still find
it. Changes are audited by the service that makes them, inside its own unit of work. PHI never
enters an audit row: ids and field names only.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import TransactionalDBClient

from db import audit_append, audit_chain
from db.audit_chain import AuditRecord, PatientRef
from db.models.audit import AuditEvent
from db.queries import audit as audit_queries
from db.tenancy import OrganizationId, PracticeId
from db.uow import unit_of_work, write_transaction
from services.errors import PolicyDenied
from services.policy import Scope
from services.principal import Principal
from services.tenant_gate import practice_among

# Outcome of a read that found stored ciphertext failing its check (tampered, copied, unknown key).
INTEGRITY_ERROR = "INTEGRITY_ERROR"


def record_for(
    principal: Principal,
    *,
    action: str,
    outcome: str = "OK",
    practice_id: UUID | None = None,
    entity_type: str | None = None,
    entity_id: object = None,
    patient_id: UUID | None = None,
    fields: list[str] | None = None,
    organization_id: UUID | None = None,
    patient_ids: Collection[PatientRef] = (),
) -> AuditRecord:
    if organization_id is None and practice_id is not None:
        organization_id = principal.organization_of(practice_id)
    if organization_id is None and len(principal.organization_ids) == 1:
        organization_id = next(iter(principal.organization_ids))
    return AuditRecord(
        action=action,
        outcome=outcome,
        organization_id=organization_id,
        practice_id=practice_id,
        actor_user_id=principal.user_id,
        actor_role=principal.primary_role,
        client_id=principal.client_id,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        patient_id=patient_id,
        fields_read=fields or [],
        patient_ids=tuple(patient_ids),
        request_id=principal.meta.request_id,
        ip=principal.meta.ip,
        user_agent=principal.meta.user_agent,
    )


class ReadTrail:
    """Collects one request's reads and denials, merged per entity."""

    def __init__(self) -> None:
        # (entity type, entity id) -> (patient, practice, fields, patients shown)
        self._reads: dict[
            tuple[str, str], tuple[UUID | None, UUID | None, set[str], dict[PatientRef, None]]
        ] = {}
        # (field, scopes, practice) -> patients concerned (None for no patient), in order
        self._denials: dict[tuple[str, tuple[str, ...], UUID | None], list[UUID | None]] = {}
        # (entity type, entity id) -> (patient, practice, fields that failed their check)
        self._integrity: dict[tuple[str, str], tuple[UUID | None, UUID | None, set[str]]] = {}

    def read(
        self,
        *,
        entity_type: str,
        entity_id: object,
        patient_id: UUID | None,
        practice_id: UUID | None,
        fields: list[str],
        patient_ids: Collection[PatientRef] = (),
    ) -> None:
        """``patient_ids``: every patient the read showed (a board), named in one row."""
        key = (entity_type, str(entity_id))
        entry = self._reads.get(key)
        if entry is None:
            entry = self._reads[key] = (patient_id, practice_id, set(), {})
        entry[2].update(fields)
        if patient_ids:
            entry[3].update(dict.fromkeys(patient_ids))

    def denied(
        self,
        *,
        field: str,
        scopes: list[str],
        patient_id: UUID | None = None,
        practice_id: UUID | None = None,
    ) -> None:
        self._denials.setdefault((field, tuple(scopes), practice_id), []).append(patient_id)

    def integrity_failure(
        self,
        *,
        entity_type: str,
        entity_id: object,
        patient_id: UUID | None,
        practice_id: UUID | None,
        field: str,
    ) -> None:
        """A value was asked for but failed its integrity check: not an OK read of it."""
        key = (entity_type, str(entity_id))
        _, _, failed = self._integrity.setdefault(key, (patient_id, practice_id, set()))
        failed.add(field)

    def drain(self, principal: Principal, operation: str) -> list[AuditRecord]:
        for key, (_, _, failed) in self._integrity.items():
            read = self._reads.get(key)
            if read is not None:
                read[2].difference_update(failed)
                if not read[2]:
                    del self._reads[key]
        records = [
            record_for(
                principal,
                action=f"READ {operation}",
                practice_id=practice_id,
                entity_type=entity_type,
                entity_id=entity_id,
                patient_id=patient_id,
                fields=sorted(fields),
                patient_ids=list(shown),
            )
            for (entity_type, entity_id), (patient_id, practice_id, fields, shown) in (
                self._reads.items()
            )
        ]
        records.extend(
            record_for(
                principal,
                action=f"DENIED {operation}",
                outcome="DENIED",
                practice_id=practice_id,
                entity_type=field.split(".", 1)[0],
                entity_id=f"{len(patients)} attempts" if len(patients) > 1 else None,
                patient_id=patients[0] if len(set(patients)) == 1 else None,
                fields=[field, *scopes],
            )
            for (field, scopes, practice_id), patients in self._denials.items()
        )
        records.extend(
            record_for(
                principal,
                action=f"INTEGRITY_FAILURE {operation}",
                outcome=INTEGRITY_ERROR,
                practice_id=practice_id,
                entity_type=entity_type,
                entity_id=entity_id,
                patient_id=patient_id,
                fields=sorted(failed),
            )
            for (entity_type, entity_id), (patient_id, practice_id, failed) in (
                self._integrity.items()
            )
        )
        self._reads.clear()
        self._denials.clear()
        self._integrity.clear()
        return records


async def write(records: list[AuditRecord]) -> None:
    """Commits the records before returning; concurrent callers share one transaction.

    Outside a transaction, records of requests finishing together are appended in one unit of
    work (group commit: one chain-head lock, one insert, one commit for all of them), and every
    caller still waits for its own rows to be committed. Inside a caller's transaction the
    records join that transaction, as before.
    """
    if not records:
        return
    if isinstance(AuditEvent._meta.db, TransactionalDBClient):
        async with unit_of_work() as uow:
            for record in records:
                uow.audit(record)
        return
    loop = asyncio.get_running_loop()
    group = _groups.get(loop)
    if group is None:
        group = _groups[loop] = _GroupCommit()
    await group.write(records)


class _GroupCommit:
    """Audit batches queued while a commit runs, committed together by one task per loop.

    On PostgreSQL a batch of one chain is one statement with no transaction around it
    (``db.audit_append``, hashed from the tip this loop last wrote); anything else, SQLite
    included, is one unit of work that locks the chain's head first."""

    def __init__(self) -> None:
        self._queue: list[tuple[list[AuditRecord], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self._tips: audit_append.Tips = {}

    async def write(self, records: list[AuditRecord]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((records, future))
        if self._task is None or self._task.done():
            # A task of its own: a cancelled caller never cancels a commit others wait for.
            self._task = asyncio.get_running_loop().create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._commit([record for records, _ in batch for record in records])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            except BaseException:  # cancelled at shutdown: no caller waits forever
                for _, future in batch:
                    future.cancel()
                raise
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _commit(self, records: list[AuditRecord]) -> None:
        connection = AuditEvent._meta.db
        postgres = connection.capabilities.dialect != "sqlite"
        if postgres and await audit_append.append_in_one_statement(records, connection, self._tips):
            return
        async with write_transaction() as transaction:  # audit rows only: no events to announce
            await audit_chain.append(records, transaction, heads=self._tips)


_groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit]
_groups = weakref.WeakKeyDictionary()


async def record_denied(principal: Principal, *, action: str, practice_id: UUID | None) -> None:
    """Denied changes are audited outside the (rolled back) transaction of the attempt."""
    await write([record_for(principal, action=action, outcome="DENIED", practice_id=practice_id)])


@dataclass(frozen=True, slots=True)
class AuditFilter:
    patient_id: UUID | None = None
    actor_user_id: UUID | None = None
    client_id: str | None = None
    action_prefix: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None


def audit_reach(principal: Principal) -> tuple[set[OrganizationId], set[PracticeId]]:
    """Whole organization chains the principal may read, and single practices they may read."""
    organizations = {o for o, s in principal.organization_scopes.items() if Scope.AUDIT_READ in s}
    return organizations, set(principal.practices_with(Scope.AUDIT_READ))


async def list_events(
    principal: Principal,
    *,
    where: AuditFilter,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[list[AuditEvent], bool]:
    organizations, practices = audit_reach(principal)
    if not (organizations or practices):
        raise PolicyDenied("You may not read the audit log.")
    rows = await audit_queries.events(
        organizations,
        practices,
        patient_id=where.patient_id,
        actor_user_id=where.actor_user_id,
        client_id=where.client_id,
        action_prefix=where.action_prefix,
        outcome=where.outcome,
        since=where.since,
        until=where.until,
        after=after,
        limit=first + 1,
    )
    return rows[:first], len(rows) > first


@dataclass(frozen=True, slots=True)
class AccessLogPage:
    rows: list[AuditEvent]
    has_next: bool
    actor_names: dict[str, str]  # user id -> full name (staff by name)
    client_names: dict[str, str]  # partner client id -> the app's registered name
    for_subject: bool  # read by the patient (or guardian): no staff addresses or request ids


async def patient_access_log(
    principal: Principal,
    *,
    patient_id: UUID,
    practice_id: UUID,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> AccessLogPage:
    """Who looked at or changed this record — for the practice, and for the patient themselves
    (staff by role and name, partners by app; board views included, as each board read names
    the patients it showed, and live board events, audited per patient shown)."""
    own_record = principal.is_patient and patient_id in principal.patient_ids
    allowed = principal.has_scope(Scope.AUDIT_READ, practice_id)
    if not (own_record or allowed):
        raise PolicyDenied("You may not read this access log.")
    rows = await audit_queries.events(
        set(),
        {practice_among(principal.practice_ids, practice_id)},
        patient_id=patient_id,
        after=after,
        limit=first + 1,
    )
    users, clients = await audit_queries.actor_names(rows[:first])
    return AccessLogPage(rows[:first], len(rows) > first, users, clients, not allowed)


async def verify_all() -> list[audit_chain.ChainReport]:
    return [await audit_chain.verify(chain) for chain in await audit_chain.chains()]


__all__ = [
    "AccessLogPage",
    "AuditEvent",
    "AuditFilter",
    "ReadTrail",
    "record_for",
    "verify_all",
    "write",
]

"""Reads of the consent ledger and of restrictions. Callers pass patients already in scope.

The current state of each (purpose, subject) is its newest ledger row (highest ``seq``).
``shared_with_partner`` is the gate for partner access: DATA_SHARING granted to that client as
the newest decision, and no active restriction.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models.consent import ConsentPurpose, ConsentRecord
from db.models.privacy import ProcessingRestriction, RestrictionKind

Key = tuple[str, str]


def current(rows: list[ConsentRecord]) -> dict[Key, ConsentRecord]:
    """Newest row per (purpose, subject), from rows of one patient in any order."""
    latest: dict[Key, ConsentRecord] = {}
    for row in sorted(rows, key=lambda r: r.seq):
        latest[(row.purpose, row.subject)] = row
    return latest


async def ledger(patient_id: UUID) -> list[ConsentRecord]:
    return await ConsentRecord.filter(patient_id=patient_id).order_by("seq")


async def current_for(patient_id: UUID) -> dict[Key, ConsentRecord]:
    return current(await ledger(patient_id))


async def history_page(
    patient_id: UUID, *, after_seq: int | None, limit: int
) -> list[ConsentRecord]:
    """Newest first; ``after_seq`` is the last sequence of the previous page."""
    query = ConsentRecord.filter(patient_id=patient_id)
    if after_seq is not None:
        query = query.filter(seq__lt=after_seq)
    return await query.order_by("-seq").limit(limit)


async def next_seq(patient_id: UUID, connection: BaseDBAsyncClient) -> int:
    rows = (
        await ConsentRecord.filter(patient_id=patient_id)
        .using_db(connection)
        .order_by("-seq")
        .limit(1)
        .values_list("seq", flat=True)
    )
    return 1 if not rows else int(str(rows[0])) + 1


async def active_restrictions(patient_ids: Collection[UUID]) -> dict[UUID, set[str]]:
    """Kinds of restriction in force per patient (absent: none)."""
    found: dict[UUID, set[str]] = {}
    if not patient_ids:
        return found
    rows = await ProcessingRestriction.filter(
        patient_id__in=list(patient_ids), lifted_at__isnull=True
    ).values_list("patient_id", "kind")
    for patient_id, kind in rows:
        found.setdefault(UUID(str(patient_id)), set()).add(str(kind))
    return found


async def _granted(
    patient_ids: list[UUID] | None, practice_id: UUID | None, client: str
) -> set[UUID]:
    query = ConsentRecord.filter(purpose=ConsentPurpose.DATA_SHARING.value, subject=client)
    if patient_ids is not None:
        query = query.filter(patient_id__in=patient_ids)
    if practice_id is not None:
        query = query.filter(practice_id=practice_id)
    newest: dict[UUID, tuple[int, bool]] = {}
    for patient_id, seq, granted in await query.values_list("patient_id", "seq", "granted"):
        pid = UUID(str(patient_id))
        if pid not in newest or newest[pid][0] < seq:
            newest[pid] = (int(seq), bool(granted))
    return {pid for pid, (_, granted) in newest.items() if granted}


async def _without_restriction(candidates: set[UUID]) -> set[UUID]:
    restricted = await active_restrictions(candidates)
    blocked = {p for p, kinds in restricted.items() if RestrictionKind.RESTRICTION.value in kinds}
    return candidates - blocked


async def shared_with_partner(client_id: str, patient_ids: Collection[UUID]) -> set[UUID]:
    """The subset of ``patient_ids`` this partner client may see right now."""
    if not patient_ids:
        return set()
    return await _without_restriction(await _granted(list(patient_ids), None, client_id))


async def ever_shared_with_partner(client_id: str, patient_ids: Collection[UUID]) -> set[UUID]:
    """Those of ``patient_ids`` who granted DATA_SHARING to this client at any time."""
    if not patient_ids:
        return set()
    rows = await ConsentRecord.filter(
        purpose=ConsentPurpose.DATA_SHARING.value,
        subject=client_id,
        granted=True,
        patient_id__in=list(patient_ids),
    ).values_list("patient_id", flat=True)
    return {UUID(str(p)) for p in rows}


async def shared_in_practice(client_id: str, practice_id: UUID) -> frozenset[UUID]:
    """Every patient of the practice this partner client may see right now (for lists)."""
    return frozenset(await _without_restriction(await _granted(None, practice_id, client_id)))


async def restrictions_in_force(patient_id: UUID) -> list[ProcessingRestriction]:
    """The patient's restrictions and objections not yet lifted, in placing order."""
    rows = ProcessingRestriction.filter(patient_id=patient_id, lifted_at__isnull=True)
    return await rows.order_by("created_at", "id")

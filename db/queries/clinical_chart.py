"""Tenant-scoped reads of the tooth chart and the procedure catalogue. The allowed practices
come first; a row of another practice answers like a missing one (None)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import ChartEntry, Patient, ProcedureItem, User
from db.tenancy import PracticeId


async def entries_until(
    allowed: Collection[PracticeId], patient_id: UUID, as_of: datetime
) -> list[ChartEntry]:
    """Every entry of the patient recorded by ``as_of``, oldest first (one statement)."""
    if not allowed:
        return []
    return (
        await ChartEntry.filter(
            practice_id__in=list(allowed), patient_id=patient_id, recorded_at__lte=as_of
        )
        .order_by("recorded_at", "id")
        .all()
    )


async def entry(
    allowed: Collection[PracticeId],
    entry_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> ChartEntry | None:
    if not allowed:
        return None
    query = ChartEntry.filter(id=entry_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    return await query.using_db(connection).first() if connection else await query.first()


async def replacements(patient_id: UUID, entry_id: UUID, connection: BaseDBAsyncClient) -> int:
    """How many live (not voided) entries already replace ``entry_id``."""
    return (
        await ChartEntry.filter(patient_id=patient_id, replaces_id=entry_id, voided_at=None)
        .using_db(connection)
        .count()
    )


async def procedures(
    allowed: Collection[PracticeId],
    practice_id: PracticeId,
    *,
    include_archived: bool,
    after_code: str | None = None,
    limit: int = 101,
) -> list[ProcedureItem]:
    if practice_id not in allowed:
        return []
    query = ProcedureItem.filter(practice_id=practice_id)
    if not include_archived:
        query = query.filter(archived=False)
    if after_code is not None:
        query = query.filter(code__gt=after_code)
    return await query.order_by("code").limit(limit).all()


async def procedure(allowed: Collection[PracticeId], item_id: UUID) -> ProcedureItem | None:
    if not allowed:
        return None
    return await ProcedureItem.get_or_none(id=item_id, practice_id__in=list(allowed))


async def procedure_by_code(practice_id: PracticeId, code: str) -> ProcedureItem | None:
    return await ProcedureItem.get_or_none(practice_id=practice_id, code=code)


async def procedures_by_id(
    allowed: Collection[PracticeId], ids: Collection[UUID]
) -> dict[UUID, ProcedureItem]:
    if not allowed or not ids:
        return {}
    rows = await ProcedureItem.filter(id__in=list(ids), practice_id__in=list(allowed))
    return {UUID(str(r.id)): r for r in rows}


async def lock_patient(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> Patient:
    """The patient's row, locked: one writer per chart at a time (replacement checks)."""
    return (
        await Patient.select_for_update()
        .using_db(connection)
        .get(id=patient_id, practice_id=practice_id)
    )


async def lock_procedure(
    practice_id: PracticeId, item_id: UUID, connection: BaseDBAsyncClient
) -> ProcedureItem:
    return (
        await ProcedureItem.select_for_update()
        .using_db(connection)
        .get(id=item_id, practice_id=practice_id)
    )


async def procedure_codes(practice_id: PracticeId) -> set[str]:
    codes = await ProcedureItem.filter(practice_id=practice_id).values_list("code", flat=True)
    return {str(code) for code in codes}


async def procedures_by_code(practice_id: PracticeId) -> dict[str, ProcedureItem]:
    return {str(i.code): i for i in await ProcedureItem.filter(practice_id=practice_id)}


async def add_procedures(items: list[ProcedureItem]) -> None:
    await ProcedureItem.bulk_create(items)


async def add_entries(entries: list[ChartEntry]) -> None:
    await ChartEntry.bulk_create(entries)


async def move_chart(practice_id: PracticeId, from_patient: UUID, to_patient: UUID) -> int:
    """A merged duplicate's entries go to the survivor (same practice); how many moved."""
    return await ChartEntry.filter(practice_id=practice_id, patient_id=from_patient).update(
        patient_id=to_patient
    )


async def tooth_notation(user_id: UUID) -> str | None:
    """A user's tooth notation preference (their own row: not tenant data)."""
    found = await User.filter(id=user_id).values_list("tooth_notation", flat=True)
    return str(found[0]) if found else None


async def set_tooth_notation(user_id: UUID, notation: str, connection: BaseDBAsyncClient) -> None:
    await User.filter(id=user_id).using_db(connection).update(tooth_notation=notation)

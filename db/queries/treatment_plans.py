"""Tenant-scoped reads and writes of treatment plans. The allowed practices come first; a plan
of another practice answers like a missing one (None)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import TreatmentPlan, TreatmentPlanItem
from db.tenancy import PracticeId


async def version(
    allowed: Collection[PracticeId],
    plan_id: UUID,
    number: int | None = None,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> TreatmentPlan | None:
    """One version of a plan (the newest when ``number`` is None)."""
    if not allowed:
        return None
    query = TreatmentPlan.filter(plan_id=plan_id, practice_id__in=list(allowed))
    if number is not None:
        query = query.filter(version=number)
    query = query.order_by("-version")
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def latest_of_patient(
    allowed: Collection[PracticeId], patient_id: UUID
) -> list[TreatmentPlan]:
    """The newest version of each of a patient's plans, oldest plan first."""
    if not allowed:
        return []
    rows = await TreatmentPlan.filter(
        practice_id__in=list(allowed), patient_id=patient_id
    ).order_by("created_at", "version")
    newest: dict[str, TreatmentPlan] = {}
    for row in rows:
        newest[str(row.plan_id)] = row
    return sorted(newest.values(), key=lambda r: (r.created_at, str(r.plan_id)))


async def items_of(
    versions: Collection[UUID], connection: BaseDBAsyncClient | None = None
) -> list[TreatmentPlanItem]:
    """The items of plan versions already found through a tenant check (one statement)."""
    if not versions:
        return []
    query = TreatmentPlanItem.filter(plan_version_id__in=list(versions)).order_by(
        "phase", "position", "id"
    )
    if connection is not None:
        query = query.using_db(connection)
    return await query.all()


async def item(
    allowed: Collection[PracticeId],
    item_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> TreatmentPlanItem | None:
    if not allowed:
        return None
    query = TreatmentPlanItem.filter(id=item_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def version_by_id(
    practice_id: PracticeId, version_id: UUID, connection: BaseDBAsyncClient
) -> TreatmentPlan:
    return (
        await TreatmentPlan.select_for_update()
        .using_db(connection)
        .get(id=version_id, practice_id=practice_id)
    )


async def version_row(practice_id: PracticeId, version_id: UUID) -> TreatmentPlan | None:
    return await TreatmentPlan.get_or_none(id=version_id, practice_id=practice_id)


async def next_position(version_id: UUID, connection: BaseDBAsyncClient) -> int:
    return await TreatmentPlanItem.filter(plan_version_id=version_id).using_db(connection).count()


async def completed_not_invoiced(
    practice_id: PracticeId,
    patient_ids: Collection[UUID] | None,
    *,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[TreatmentPlanItem]:
    """Completed items no invoice has claimed, of ``patient_ids`` only unless None (all the
    practice's), oldest completion first."""
    query = TreatmentPlanItem.filter(
        practice_id=practice_id, completed_at__isnull=False, invoiced_at=None
    )
    if patient_ids is not None:
        query = query.filter(patient_id__in=list(patient_ids))
    if after is not None:
        at, last = after
        query = query.filter(Q(completed_at__gt=at) | Q(completed_at=at, id__gt=last))
    return await query.order_by("completed_at", "id").limit(limit).all()


async def add_plans(plans: list[TreatmentPlan], items: list[TreatmentPlanItem]) -> None:
    """Demo seeding: whole plans at once (rows already carry their practice)."""
    await TreatmentPlan.bulk_create(plans)
    await TreatmentPlanItem.bulk_create(items)


async def move_to_patient(practice_id: PracticeId, from_patient: UUID, to_patient: UUID) -> int:
    """A merged duplicate's plans (every version and item) go to the survivor; how many plan
    versions moved. A signed snapshot keeps the id it was signed under: it is what was agreed."""
    moved = await TreatmentPlan.filter(practice_id=practice_id, patient_id=from_patient).update(
        patient_id=to_patient
    )
    await TreatmentPlanItem.filter(practice_id=practice_id, patient_id=from_patient).update(
        patient_id=to_patient
    )
    return moved

"""Tenant-scoped reads of fee schedules, NHS courses and membership plans. The allowed practices
come first; a row of another practice answers like a missing one (None)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import (
    FeeSchedule,
    InvoiceLine,
    MembershipPlan,
    NhsCourse,
    NhsCourseItem,
    PatientMembership,
    Practice,
    ScheduleFee,
)
from db.tenancy import PracticeId


async def schedules_of(practice_id: PracticeId) -> list[FeeSchedule]:
    return await FeeSchedule.filter(practice_id=practice_id).order_by("valid_from", "id")


async def schedule(
    allowed: Collection[PracticeId],
    schedule_id: UUID,
    connection: BaseDBAsyncClient | None = None,
    *,
    for_update: bool = False,
) -> FeeSchedule | None:
    if not allowed:
        return None
    query = FeeSchedule.filter(id=schedule_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def lock_schedules(
    practice_id: PracticeId, connection: BaseDBAsyncClient
) -> list[FeeSchedule]:
    """All the practice's schedules, after locking the practice row (so two writers creating a
    practice's first schedules wait for each other: an overlap check sees every one)."""
    await Practice.select_for_update().using_db(connection).get(id=practice_id)
    return (
        await FeeSchedule.filter(practice_id=practice_id)
        .select_for_update()
        .using_db(connection)
        .order_by("valid_from")
    )


async def schedule_on(practice_id: PracticeId, day: date) -> FeeSchedule | None:
    """The practice's schedule covering ``day`` (schedules never overlap)."""
    return (
        await FeeSchedule.filter(practice_id=practice_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .first()
    )


async def fees_of(
    schedule_ids: Collection[UUID], connection: BaseDBAsyncClient | None = None
) -> list[ScheduleFee]:
    """The fees of schedules already found through a tenant check."""
    if not schedule_ids:
        return []
    query = ScheduleFee.filter(schedule_id__in=list(schedule_ids)).order_by(
        "schedule_id", "procedure_code", "product_id"
    )
    if connection is not None:
        query = query.using_db(connection)
    return await query


async def fee_in(
    schedule_id: UUID,
    *,
    procedure_code: str | None = None,
    product_id: UUID | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> ScheduleFee | None:
    query = ScheduleFee.filter(schedule_id=schedule_id)
    if procedure_code is not None:
        query = query.filter(procedure_code=procedure_code)
    else:
        query = query.filter(product_id=product_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def course(
    allowed: Collection[PracticeId],
    course_id: UUID,
    connection: BaseDBAsyncClient | None = None,
    *,
    for_update: bool = False,
) -> NhsCourse | None:
    if not allowed:
        return None
    query = NhsCourse.filter(id=course_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def courses_of(practice_id: PracticeId, patient_id: UUID) -> list[NhsCourse]:
    return await NhsCourse.filter(practice_id=practice_id, patient_id=patient_id).order_by(
        "-opened_on", "-created_at"
    )


async def course_items(
    course_ids: Collection[UUID], connection: BaseDBAsyncClient | None = None
) -> list[NhsCourseItem]:
    if not course_ids:
        return []
    query = NhsCourseItem.filter(course_id__in=list(course_ids)).order_by("created_at", "id")
    if connection is not None:
        query = query.using_db(connection)
    return await query


async def plans_of(practice_id: PracticeId) -> list[MembershipPlan]:
    return await MembershipPlan.filter(practice_id=practice_id).order_by("name")


async def plan(
    allowed: Collection[PracticeId],
    plan_id: UUID,
    connection: BaseDBAsyncClient | None = None,
    *,
    for_update: bool = False,
) -> MembershipPlan | None:
    if not allowed:
        return None
    query = MembershipPlan.filter(id=plan_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def plans_by_id(
    practice_id: PracticeId, plan_ids: Collection[UUID]
) -> dict[UUID, MembershipPlan]:
    if not plan_ids:
        return {}
    rows = await MembershipPlan.filter(practice_id=practice_id, id__in=list(plan_ids))
    return {UUID(str(r.id)): r for r in rows}


async def plan_named(
    practice_id: PracticeId, name: str, connection: BaseDBAsyncClient | None = None
) -> MembershipPlan | None:
    query = MembershipPlan.filter(practice_id=practice_id, name=name)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def membership(
    allowed: Collection[PracticeId],
    membership_id: UUID,
    connection: BaseDBAsyncClient | None = None,
    *,
    for_update: bool = False,
) -> PatientMembership | None:
    if not allowed:
        return None
    query = PatientMembership.filter(id=membership_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def memberships_of(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient | None = None
) -> list[PatientMembership]:
    query = PatientMembership.filter(practice_id=practice_id, patient_id=patient_id).order_by(
        "-started_on", "-created_at"
    )
    if connection is not None:
        query = query.using_db(connection)
    return await query


async def member_on(
    practice_id: PracticeId, patient_id: UUID, day: date
) -> PatientMembership | None:
    """The patient's membership in force on ``day`` (at most one at a time)."""
    return (
        await PatientMembership.filter(
            practice_id=practice_id, patient_id=patient_id, started_on__lte=day
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
        .first()
    )


async def covered_uses(
    practice_id: PracticeId, patient_id: UUID, code: str, start: date, end: date
) -> int:
    """Lines billing ``code`` at nothing to the patient (a membership's covered item) on
    invoices that are not void (drafts included), whose service day is in ``[start, end)``; a
    line without one (typed by hand) counts by the UTC day it was created."""
    after, before = datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC)
    return (
        await InvoiceLine.filter(
            practice_id=practice_id,
            invoice__patient_id=patient_id,
            invoice__kind="INVOICE",
            code=code,
            net_minor=0,
        )
        .filter(
            Q(service_on__gte=start, service_on__lt=end)
            | Q(service_on__isnull=True, created_at__gte=after, created_at__lt=before)
        )
        .exclude(invoice__status="VOID")
        .count()
    )

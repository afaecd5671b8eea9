"""NHS England courses of treatment: one patient charge per course, decided by its most complex
item (services/billing/nhs_bands.py), frozen with the UDAs when the course is completed, from
the band table in force on the day it was opened.

A course is OPEN while items are added (from plan items, chart entries or catalogue codes, each
carrying the catalogue's NHS band), then COMPLETED (band, charge and UDAs computed and frozen;
completing twice is CONFLICT) or CANCELLED. An exemption is one of the FP17 categories with
whether evidence was seen, by whom and when: an exempt patient pays nothing, an HC3 certificate
holder at most its stated amount. Only practices in England open courses.

Reading needs billing:read in the patient's practice and a patient the caller may see
(``patient_access`` and ``visibility``: another practice's course, or one of a patient who does
not share data with a partner app, answers like a random id); changing needs billing:write.
Every change writes its audit row and a ``billing`` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import NhsCourse, NhsCourseItem, Patient
from db.queries import billing_fees as queries
from db.queries import clinical_chart as chart_queries
from db.queries import organizations as org_queries
from db.queries import treatment_plans as plan_queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.billing import nhs_bands
from services.billing.fees import recorded
from services.billing.money import Money, checked
from services.billing.nhs_bands import Exemption
from services.clinical.catalogue import NhsBand
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access
from services.policy import Scope
from services.principal import Principal

MAX_ITEMS = 100


class CourseStatus(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class CourseView:
    course: NhsCourse
    items: list[NhsCourseItem]


@dataclass(frozen=True, slots=True)
class NewCourseItem:
    """One of: a plan item, a chart entry, or a catalogue code (with an FDI tooth)."""

    plan_item_id: UUID | None = None
    chart_entry_id: UUID | None = None
    code: str | None = None
    tooth: int | None = None


def _today() -> date:
    return datetime.now(UTC).date()


async def account_patient(
    principal: Principal, patient_id: UUID, scope: Scope, action: str
) -> Patient:
    patient = await patient_access.readable_patient(principal, patient_id)
    pid = tenant_gate.practice_of(patient)
    # A patient reads their own account (visibility narrowed them to it); never changes it.
    if (principal.is_patient and scope is Scope.BILLING_WRITE) or not principal.has_scope(
        scope, pid
    ):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to see or change this patient's account.")
    return patient


async def _found(principal: Principal, course_id: UUID, scope: Scope, action: str) -> NhsCourse:
    found = await queries.course(principal.practices_with(Scope.PATIENT_READ), course_id)
    if found is None:
        raise NotFound("NHS course")
    try:
        await account_patient(principal, UUID(str(found.patient_id)), scope, action)
    except NotFound:  # a patient this principal may not see: exactly like a random id
        raise NotFound("NHS course") from None
    return found


async def _views(rows: Sequence[NhsCourse]) -> list[CourseView]:
    items = await queries.course_items([UUID(str(r.id)) for r in rows])
    by: dict[str, list[NhsCourseItem]] = {}
    for item in items:
        by.setdefault(str(item.course_id), []).append(item)
    return [CourseView(r, by.get(str(r.id), [])) for r in rows]


async def courses_of(principal: Principal, *, patient_id: UUID) -> list[CourseView]:
    patient = await account_patient(principal, patient_id, Scope.BILLING_READ, "READ nhs_course")
    pid = tenant_gate.practice_of(patient)
    return await _views(await queries.courses_of(pid, UUID(str(patient.id))))


async def course(principal: Principal, *, course_id: UUID) -> CourseView:
    found = await _found(principal, course_id, Scope.BILLING_READ, "READ nhs_course")
    return (await _views([found]))[0]


async def _changed(
    uow: UnitOfWork, principal: Principal, row: NhsCourse, action: str, fields: list[str]
) -> None:
    await recorded(
        uow,
        principal,
        tenant_gate.practice_of(row),
        action=action,
        entity_type="NhsCourse",
        entity_id=row.id,
        event="NHS_COURSE_CHANGED",
        fields=fields,
        patient_id=UUID(str(row.patient_id)),
        payload={"status": row.status, "band": row.band},
    )


async def open_course(
    principal: Principal, *, patient_id: UUID, opened_on: date | None = None
) -> CourseView:
    patient = await account_patient(principal, patient_id, Scope.BILLING_WRITE, "CREATE nhs_course")
    pid = tenant_gate.practice_of(patient)
    practice = await org_queries.practice({pid}, pid)
    if practice is None or practice.jurisdiction != "ENGLAND":
        raise ValidationFailed(
            "NHS England courses are for practices in England.", field="patientId"
        )
    day = opened_on or _today()
    try:
        nhs_bands.table_on(day)
    except LookupError:
        raise ValidationFailed(
            "No NHS England band table covers that day.", field="openedOn"
        ) from None
    row = NhsCourse(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        status=CourseStatus.OPEN.value,
        opened_on=day,
        opened_by_user_id=principal.user_id,
    )
    async with unit_of_work() as uow:
        await chart_queries.lock_patient(pid, UUID(str(patient.id)), uow.connection)
        for other in await queries.courses_of(pid, UUID(str(patient.id))):
            if other.status == CourseStatus.OPEN.value:
                raise Conflict("This patient already has an open NHS course.", field="patientId")
        await row.save(using_db=uow.connection)
        await _changed(uow, principal, row, "CREATE nhs_course", ["openedOn", "status"])
    return CourseView(row, [])


async def _locked_open(
    connection: BaseDBAsyncClient, pid: PracticeId, course_id: UUID
) -> NhsCourse:
    locked = await queries.course({pid}, course_id, connection, for_update=True)
    assert locked is not None
    if locked.status != CourseStatus.OPEN.value:
        raise Conflict(f"This course is {locked.status}.", field="courseId")
    return locked


async def _item_row(
    pid: PracticeId, course_row: NhsCourse, new: NewCourseItem, principal: Principal
) -> NhsCourseItem:
    given = [x is not None for x in (new.plan_item_id, new.chart_entry_id, new.code)]
    if sum(given) != 1:
        raise ValidationFailed(
            "Each item is a plan item, a chart entry or a procedure code.", field="items"
        )
    code: str
    tooth = new.tooth
    band: str | None
    if new.plan_item_id is not None:
        plan_item = await plan_queries.item({pid}, new.plan_item_id)
        if plan_item is None or str(plan_item.patient_id) != str(course_row.patient_id):
            raise NotFound("Treatment plan item")
        code, tooth, band = plan_item.code, plan_item.tooth, plan_item.nhs_band
    elif new.chart_entry_id is not None:
        entry = await chart_queries.entry({pid}, new.chart_entry_id)
        if entry is None or str(entry.patient_id) != str(course_row.patient_id):
            raise NotFound("Chart entry")
        if entry.kind != "PROCEDURE":
            raise ValidationFailed("A chart condition is not treatment.", field="chartEntryId")
        procedure = await chart_queries.procedure_by_code(pid, entry.code)
        code, tooth = entry.code, entry.tooth
        band = None if procedure is None else procedure.nhs_band
    else:
        code = (new.code or "").strip().upper()
        procedure = await chart_queries.procedure_by_code(pid, code)
        if procedure is None or procedure.archived:
            raise ValidationFailed("No such procedure in this practice's catalogue.", field="code")
        band = procedure.nhs_band
        if tooth is not None and not (11 <= tooth <= 85 and 1 <= tooth % 10 <= 8):
            raise ValidationFailed("An FDI tooth number, e.g. 36.", field="tooth")
    if band is None:
        raise ValidationFailed(f"{code} is not NHS treatment.", field="code")
    return NhsCourseItem(
        id=uuid4(),
        practice_id=pid,
        patient_id=course_row.patient_id,
        course_id=course_row.id,
        code=code,
        tooth=tooth,
        nhs_band=NhsBand(band).value,
        plan_item_id=new.plan_item_id,
        chart_entry_id=new.chart_entry_id,
        added_by_user_id=principal.user_id,
    )


async def add_items(
    principal: Principal, *, course_id: UUID, items: Sequence[NewCourseItem]
) -> CourseView:
    found = await _found(principal, course_id, Scope.BILLING_WRITE, "UPDATE nhs_course")
    pid = tenant_gate.practice_of(found)
    if not items or len(items) > MAX_ITEMS:
        raise ValidationFailed(f"Give 1 to {MAX_ITEMS} items.", field="items")
    rows = [await _item_row(pid, found, new, principal) for new in items]
    async with unit_of_work() as uow:
        locked = await _locked_open(uow.connection, pid, course_id)
        have = await queries.course_items([course_id], uow.connection)
        if len(have) + len(rows) > MAX_ITEMS:
            raise ValidationFailed(f"A course has at most {MAX_ITEMS} items.", field="items")
        linked = {str(i.plan_item_id) for i in have if i.plan_item_id} | {
            str(i.chart_entry_id) for i in have if i.chart_entry_id
        }
        for row in rows:
            for ref in (row.plan_item_id, row.chart_entry_id):
                if ref is not None and str(ref) in linked:
                    raise Conflict("That item is already in the course.", field="items")
                if ref is not None:
                    linked.add(str(ref))
            await row.save(using_db=uow.connection)
        await _changed(uow, principal, locked, "UPDATE nhs_course", ["items"])
    return (await _views([locked]))[0]


async def record_exemption(
    principal: Principal,
    *,
    course_id: UUID,
    exemption: Exemption | None,
    evidence_seen: bool,
    max_contribution: Money | None = None,
) -> CourseView:
    """Record (or, with ``None``, clear) why the patient pays nothing or less, and whether the
    evidence was seen (by you, now)."""
    found = await _found(principal, course_id, Scope.BILLING_WRITE, "UPDATE nhs_course")
    pid = tenant_gate.practice_of(found)
    if exemption is Exemption.HC3_PARTIAL:
        if max_contribution is None:
            raise ValidationFailed(
                "An HC3 certificate states a maximum.", field="maximumContribution"
            )
        checked(max_contribution.minor, "maximumContribution", allow_zero=True)
    elif max_contribution is not None:
        raise ValidationFailed(
            "Only an HC3 certificate has a maximum.", field="maximumContribution"
        )
    async with unit_of_work() as uow:
        locked = await _locked_open(uow.connection, pid, course_id)
        locked.exemption = None if exemption is None else exemption.value
        locked.exemption_max_minor = None if max_contribution is None else max_contribution.minor
        locked.evidence_seen = bool(evidence_seen and exemption is not None)
        locked.evidence_seen_by_user_id = principal.user_id if locked.evidence_seen else None
        locked.evidence_seen_at = datetime.now(UTC) if locked.evidence_seen else None
        await locked.save(
            using_db=uow.connection,
            update_fields=[
                "exemption",
                "exemption_max_minor",
                "evidence_seen",
                "evidence_seen_by_user_id",
                "evidence_seen_at",
            ],
        )
        await _changed(uow, principal, locked, "UPDATE nhs_course", ["exemption", "evidenceSeen"])
    return (await _views([locked]))[0]


async def complete(
    principal: Principal, *, course_id: UUID, completed_on: date | None = None
) -> CourseView:
    """Freeze the band, the patient charge and the UDAs (CONFLICT unless OPEN)."""
    found = await _found(principal, course_id, Scope.BILLING_WRITE, "UPDATE nhs_course")
    pid = tenant_gate.practice_of(found)
    day = completed_on or _today()
    async with unit_of_work() as uow:
        locked = await _locked_open(uow.connection, pid, course_id)
        if day < locked.opened_on:
            raise ValidationFailed("A course completes on or after it opened.", field="completedOn")
        items = await queries.course_items([course_id], uow.connection)
        band = nhs_bands.band_of(
            nhs_bands.CourseLine(i.code, i.tooth, NhsBand(i.nhs_band) if i.nhs_band else None)
            for i in items
        )
        exemption = Exemption(locked.exemption) if locked.exemption else None
        cap = (
            None
            if locked.exemption_max_minor is None
            else Money(int(locked.exemption_max_minor), locked.currency)
        )
        charge = nhs_bands.charge_of(band, locked.opened_on, exemption, cap)
        locked.status = CourseStatus.COMPLETED.value
        locked.completed_on = day
        locked.band = band.value
        locked.currency = charge.patient_charge.currency
        locked.charge_minor = charge.patient_charge.minor
        locked.band_charge_minor = charge.band_charge.minor
        locked.udas_hundredths = charge.udas_hundredths
        locked.completed_by_user_id = principal.user_id
        await locked.save(
            using_db=uow.connection,
            update_fields=[
                "status",
                "completed_on",
                "band",
                "currency",
                "charge_minor",
                "band_charge_minor",
                "udas_hundredths",
                "completed_by_user_id",
            ],
        )
        await _changed(
            uow, principal, locked, "COMPLETE nhs_course", ["status", "band", "charge", "udas"]
        )
    return CourseView(locked, items)


async def cancel(principal: Principal, *, course_id: UUID) -> CourseView:
    found = await _found(principal, course_id, Scope.BILLING_WRITE, "UPDATE nhs_course")
    pid = tenant_gate.practice_of(found)
    async with unit_of_work() as uow:
        locked = await _locked_open(uow.connection, pid, course_id)
        locked.status = CourseStatus.CANCELLED.value
        locked.cancelled_at = datetime.now(UTC)
        await locked.save(using_db=uow.connection, update_fields=["status", "cancelled_at"])
        await _changed(uow, principal, locked, "CANCEL nhs_course", ["status"])
    return (await _views([locked]))[0]

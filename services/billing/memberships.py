"""Membership (capitation) plans: a monthly fee that covers some catalogue procedures so many
times a year and takes a discount off other private treatment.

A plan belongs to a practice; a patient has at most one membership in force on a day
(``started_on`` to ``ended_on`` inclusive). ``allowance`` / ``covered`` and ``discount_for`` are
what invoicing asks (services/billing/uninvoiced.py): a covered procedure is billed as a zero
line carrying its code, and that line is one of the year's uses (the membership year runs from
each anniversary of ``started_on``); other private lines take ``discount_for`` basis points off.

A use is counted (``db.queries.billing_fees.covered_uses``) as a line of the code at £0 net on
an invoice that is not VOID, in the membership year of the line's service day (the day of the
work; a line typed by hand without one counts on the day it was made). A DRAFT counts like an
issued invoice: it claims its work, so a second draft cannot spend the same allowance; removing
the line from the draft, or voiding the invoice with a full credit note, gives the use back.

Reading needs billing:read (a patient's memberships: a patient the caller may see, so a
partner app only while the patient shares data with it; plans hold no patient data), changing
billing:write; every change writes its audit row and a ``billing`` event in one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from db.models import MembershipPlan, PatientMembership
from db.queries import billing_fees as queries
from db.queries import clinical_chart as chart_queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import tenant_gate
from services.billing import fees
from services.billing.money import Money, checked
from services.billing.nhs_courses import account_patient
from services.errors import Conflict, NotFound, ValidationFailed
from services.patients import validation as v
from services.policy import Scope
from services.principal import Principal

MAX_COVERS = 50
MAX_PER_YEAR = 52


class MembershipStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


@dataclass(frozen=True, slots=True)
class Cover:
    code: str
    per_year: int


@dataclass(frozen=True, slots=True)
class PlanChange:
    """On update, ``None`` leaves a value as it is."""

    name: str | None = None
    monthly_fee: Money | None = None
    covers: Sequence[Cover] | None = None
    discount_basis_points: int | None = None
    active: bool | None = None


def covers_of(plan: MembershipPlan) -> list[Cover]:
    return [Cover(str(c["code"]), int(c["perYear"])) for c in plan.covers or []]


async def plans(principal: Principal, *, practice_id: UUID) -> list[MembershipPlan]:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.BILLING_READ)
    return await queries.plans_of(pid)


async def _checked_covers(pid: PracticeId, covers: Sequence[Cover]) -> list[dict[str, object]]:
    if len(covers) > MAX_COVERS:
        raise ValidationFailed(f"A plan covers at most {MAX_COVERS} procedures.", field="covers")
    known = await chart_queries.procedure_codes(pid)
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for cover in covers:
        code = cover.code.strip().upper()
        if code not in known:
            raise ValidationFailed(f"No procedure {code} in the catalogue.", field="covers")
        if code in seen:
            raise ValidationFailed(f"{code} is listed twice.", field="covers")
        if not 1 <= cover.per_year <= MAX_PER_YEAR:
            raise ValidationFailed(f"1 to {MAX_PER_YEAR} a year.", field="covers")
        seen.add(code)
        out.append({"code": code, "perYear": cover.per_year})
    return out


def _discount(value: int) -> int:
    if not 0 <= value <= 10_000:
        raise ValidationFailed(
            "A discount is 0 to 10000 basis points.", field="discountBasisPoints"
        )
    return value


async def create_plan(
    principal: Principal,
    *,
    practice_id: UUID,
    name: str,
    monthly_fee: Money,
    covers: Sequence[Cover] = (),
    discount_basis_points: int = 0,
) -> MembershipPlan:
    pid = await fees.writable_practice(principal, practice_id, "CREATE membership_plan")
    clean = v.text(name, "name", max_length=120, required=True) or ""
    checked(monthly_fee.minor, "monthlyFee")
    row = MembershipPlan(
        id=uuid4(),
        practice_id=pid,
        name=clean,
        currency=monthly_fee.currency,
        monthly_fee_minor=monthly_fee.minor,
        covers=await _checked_covers(pid, covers),
        discount_basis_points=_discount(discount_basis_points),
        active=True,
    )
    async with unit_of_work() as uow:
        if await queries.plan_named(pid, clean, uow.connection) is not None:
            raise Conflict("A plan with that name exists.", field="name")
        await row.save(using_db=uow.connection)
        await fees.recorded(
            uow,
            principal,
            pid,
            action="CREATE membership_plan",
            entity_type="MembershipPlan",
            entity_id=row.id,
            event="MEMBERSHIP_PLAN_CHANGED",
            fields=["name", "monthlyFee", "covers", "discountBasisPoints"],
        )
    return row


async def update_plan(principal: Principal, *, plan_id: UUID, change: PlanChange) -> MembershipPlan:
    found = await queries.plan(principal.practices_with(Scope.BILLING_READ), plan_id)
    if found is None:
        raise NotFound("Membership plan")
    pid = await fees.writable_practice(
        principal, tenant_gate.practice_of(found), "UPDATE membership_plan"
    )
    covers = None if change.covers is None else await _checked_covers(pid, change.covers)
    async with unit_of_work() as uow:
        locked = await queries.plan({pid}, plan_id, uow.connection, for_update=True)
        assert locked is not None
        changed: list[str] = []
        if change.name is not None:
            clean = v.text(change.name, "name", max_length=120, required=True) or ""
            other = await queries.plan_named(pid, clean, uow.connection)
            if other is not None and str(other.id) != str(locked.id):
                raise Conflict("A plan with that name exists.", field="name")
            locked.name = clean
            changed.append("name")
        if change.monthly_fee is not None:
            checked(change.monthly_fee.minor, "monthlyFee")
            locked.monthly_fee_minor = change.monthly_fee.minor
            locked.currency = change.monthly_fee.currency
            changed.append("monthlyFee")
        if covers is not None:
            locked.covers = covers
            changed.append("covers")
        if change.discount_basis_points is not None:
            locked.discount_basis_points = _discount(change.discount_basis_points)
            changed.append("discountBasisPoints")
        if change.active is not None:
            locked.active = change.active
            changed.append("active")
        if changed:
            await locked.save(using_db=uow.connection)
            await fees.recorded(
                uow,
                principal,
                pid,
                action="UPDATE membership_plan",
                entity_type="MembershipPlan",
                entity_id=locked.id,
                event="MEMBERSHIP_PLAN_CHANGED",
                fields=changed,
            )
    return locked


@dataclass(frozen=True, slots=True)
class MembershipView:
    membership: PatientMembership
    plan: MembershipPlan


async def memberships_of(principal: Principal, *, patient_id: UUID) -> list[MembershipView]:
    patient = await account_patient(
        principal, patient_id, Scope.BILLING_READ, "READ patient_membership"
    )
    pid = tenant_gate.practice_of(patient)
    rows = await queries.memberships_of(pid, UUID(str(patient.id)))
    by_id = await queries.plans_by_id(pid, {UUID(str(r.plan_id)) for r in rows})
    return [MembershipView(r, by_id[UUID(str(r.plan_id))]) for r in rows]


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


async def _membership_changed(
    uow: UnitOfWork, principal: Principal, row: PatientMembership, action: str, fields: list[str]
) -> None:
    await fees.recorded(
        uow,
        principal,
        tenant_gate.practice_of(row),
        action=action,
        entity_type="PatientMembership",
        entity_id=row.id,
        event="MEMBERSHIP_CHANGED",
        fields=fields,
        patient_id=UUID(str(row.patient_id)),
        payload={"status": row.status},
    )


async def enrol(
    principal: Principal, *, patient_id: UUID, plan_id: UUID, started_on: date | None = None
) -> MembershipView:
    patient = await account_patient(
        principal, patient_id, Scope.BILLING_WRITE, "CREATE patient_membership"
    )
    pid = tenant_gate.practice_of(patient)
    plan = await queries.plan({pid}, plan_id)
    if plan is None:
        raise NotFound("Membership plan")
    if not plan.active:
        raise Conflict("That plan is closed to new members.", field="planId")
    start = started_on or datetime.now(UTC).date()
    row = PatientMembership(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        plan_id=plan.id,
        status=MembershipStatus.ACTIVE.value,
        started_on=start,
        enrolled_by_user_id=principal.user_id,
    )
    async with unit_of_work() as uow:
        await chart_queries.lock_patient(pid, UUID(str(patient.id)), uow.connection)
        for other in await queries.memberships_of(pid, UUID(str(patient.id)), uow.connection):
            if _overlaps(start, None, other.started_on, other.ended_on):
                raise Conflict("The patient is already a member then.", field="startedOn")
        await row.save(using_db=uow.connection)
        await _membership_changed(
            uow, principal, row, "CREATE patient_membership", ["plan", "startedOn"]
        )
    return MembershipView(row, plan)


async def end_membership(
    principal: Principal, *, membership_id: UUID, ended_on: date | None = None
) -> MembershipView:
    found = await queries.membership(principal.practices_with(Scope.PATIENT_READ), membership_id)
    if found is None:
        raise NotFound("Membership")
    try:
        await account_patient(
            principal, UUID(str(found.patient_id)), Scope.BILLING_WRITE, "UPDATE patient_membership"
        )
    except NotFound:
        raise NotFound("Membership") from None
    pid = tenant_gate.practice_of(found)
    last = ended_on or datetime.now(UTC).date()
    async with unit_of_work() as uow:
        locked = await queries.membership({pid}, membership_id, uow.connection, for_update=True)
        assert locked is not None
        if locked.status != MembershipStatus.ACTIVE.value:
            raise Conflict("This membership has ended.", field="membershipId")
        if last < locked.started_on:
            raise ValidationFailed("It ends on or after it started.", field="endedOn")
        locked.status = MembershipStatus.ENDED.value
        locked.ended_on = last
        locked.ended_by_user_id = principal.user_id
        await locked.save(
            using_db=uow.connection, update_fields=["status", "ended_on", "ended_by_user_id"]
        )
        await _membership_changed(
            uow, principal, locked, "UPDATE patient_membership", ["status", "endedOn"]
        )
    plans_found = await queries.plans_by_id(pid, {UUID(str(locked.plan_id))})
    return MembershipView(locked, plans_found[UUID(str(locked.plan_id))])


def _year_of(started: date, on: date) -> tuple[date, date]:
    """The membership year holding ``on``: from the latest anniversary of ``started``."""

    def anniversary(year: int) -> date:
        try:
            return started.replace(year=year)
        except ValueError:  # 29 February
            return date(year, 3, 1)

    start = anniversary(on.year)
    if start > on:
        start = anniversary(on.year - 1)
    return start, anniversary(start.year + 1)


async def _in_force(
    practice_id: PracticeId, patient_id: UUID, on: date
) -> tuple[PatientMembership, MembershipPlan] | None:
    member = await queries.member_on(practice_id, patient_id, on)
    if member is None:
        return None
    found = await queries.plans_by_id(practice_id, {UUID(str(member.plan_id))})
    return member, found[UUID(str(member.plan_id))]


@dataclass(frozen=True, slots=True)
class Allowance:
    """One covered code of the membership in force on a day, and its uses that membership year
    (``year_start``: the anniversary the year runs from)."""

    membership_id: UUID
    plan_name: str
    year_start: date
    per_year: int
    used: int

    @property
    def left(self) -> int:
        return max(0, self.per_year - self.used)


async def allowance(
    practice_id: PracticeId, patient_id: UUID, code: str, on: date
) -> Allowance | None:
    """The yearly allowance of ``code`` under the patient's membership in force on ``on``; None
    without a membership that day or when its plan does not cover the code. For invoicing,
    which has already checked the caller."""
    found = await _in_force(practice_id, patient_id, on)
    if found is None:
        return None
    member, plan = found
    wanted = code.strip().upper()
    per_year = next((c.per_year for c in covers_of(plan) if c.code == wanted), 0)
    if per_year == 0:
        return None
    start, end = _year_of(member.started_on, on)
    used = await queries.covered_uses(practice_id, patient_id, wanted, start, end)
    return Allowance(UUID(str(member.id)), str(plan.name), start, per_year, used)


async def covered(practice_id: PracticeId, patient_id: UUID, code: str, on: date) -> bool:
    """Does the patient's membership in force on ``on`` still cover ``code`` this membership
    year (fewer zero lines for it than the plan's yearly count)?"""
    found = await allowance(practice_id, patient_id, code, on)
    return found is not None and found.left > 0


async def discount_for(practice_id: PracticeId, patient_id: UUID, on: date) -> int:
    """Basis points off other private treatment for a member on ``on`` (0 for a non-member)."""
    found = await _in_force(practice_id, patient_id, on)
    return 0 if found is None else int(found[1].discount_basis_points)

"""Demo fees: last year's private fee schedule (closed) and this year's, priced from the
practice's catalogue and its aesthetic products; a membership plan with members; and, for a
practice in England, NHS courses of treatment (band 1, band 2 with an exemption, an urgent
course, and an open band 3 course). Everything goes through the real services, so audit rows
and billing events exist as they would in use. ``staff_user`` must hold billing:write
(a receptionist or practice admin)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from db.models import Patient, Practice, User
from db.queries import aesthetic_stock as stock_queries
from db.queries import clinical_chart as chart_queries
from services import tenant_gate
from services.auth.principal_loader import principal_for_user
from services.billing import fees, memberships, nhs_bands, nhs_courses
from services.billing.money import Money
from services.policy import Scope
from services.principal import RequestMeta

# Per unit (toxin) or per ml (filler, skin booster), in pence: a typical UK clinic's price list.
PRODUCT_FEES = {"TOXIN": 900, "FILLER": 32000, "SKIN_BOOSTER": 18000, "OTHER": 5000}
MEMBERS = 6


@dataclass(frozen=True, slots=True)
class Seeded:
    schedules: int
    fees: int
    members: int
    nhs_courses: int


async def seed_fees(
    practice: Practice, patients: list[Patient], staff_user: User, rng: random.Random
) -> Seeded:
    principal = await principal_for_user(
        staff_user,
        mfa_passed=True,
        claims={},
        meta=RequestMeta(ip="10.0.0.21", user_agent="AES CRM demo reception"),
    )
    pid = tenant_gate.practice_for(principal, practice.id, Scope.BILLING_WRITE)
    organization = principal.organization_of(pid)
    assert organization is not None
    today = date.today()
    procedures = await chart_queries.procedures_by_code(pid)
    products = await stock_queries.products(organization)

    def priced(uplift_basis_points: int) -> list[fees.FeeChange]:
        changes = [
            fees.FeeChange(
                unit_minor=item.default_fee_pence * uplift_basis_points // 10_000,
                procedure_code=code,
            )
            for code, item in sorted(procedures.items())
            if not item.archived
        ]
        changes += [
            fees.FeeChange(
                unit_minor=PRODUCT_FEES.get(p.kind, 5000) * uplift_basis_points // 10_000,
                product_id=p.id,
            )
            for p in products
        ]
        return changes

    last_year = await fees.create_schedule(
        principal,
        practice_id=pid,
        name=f"Private fees {today.year - 1}",
        valid_from=date(today.year - 1, 1, 1),
    )
    await fees.set_fees(
        principal,
        schedule_id=last_year.schedule.id,
        changes=priced(9_600),
        today=date(today.year - 1, 6, 1),
    )
    await fees.close_schedule(
        principal, schedule_id=last_year.schedule.id, last_day=date(today.year - 1, 12, 31)
    )
    this_year = await fees.create_schedule(
        principal,
        practice_id=pid,
        name=f"Private fees {today.year}",
        valid_from=date(today.year, 1, 1),
    )
    current = priced(10_000)
    await fees.set_fees(principal, schedule_id=this_year.schedule.id, changes=current)

    covers = [
        memberships.Cover(code, count)
        for code, count in (("EXAM", 2), ("HYG", 2), ("XR-BW", 1))
        if code in procedures
    ]
    plan = await memberships.create_plan(
        principal,
        practice_id=pid,
        name="Smile Plan",
        monthly_fee=Money(1650),
        covers=covers,
        discount_basis_points=1000,
    )
    members = rng.sample(patients, min(MEMBERS, len(patients)))
    for n, patient in enumerate(members):
        await memberships.enrol(
            principal,
            patient_id=patient.id,
            plan_id=plan.id,
            started_on=today - timedelta(days=30 * (n + 2) + rng.randint(0, 20)),
        )

    courses = 0
    if practice.jurisdiction == "ENGLAND":
        others = [p for p in patients if p not in members] or patients
        plans_of_care: list[tuple[list[tuple[str, int | None]], nhs_bands.Exemption | None, str]]
        plans_of_care = [
            ([("EXAM", None), ("XR-BW", None), ("SP", None)], None, "complete"),
            (
                [("EXAM", None), ("AM2", 36), ("CO1", 21), ("EXT", 48)],
                nhs_bands.Exemption.HC2,
                "complete",
            ),
            ([("URG", None)], None, "complete"),
            ([("EXAM", None), ("RCT-M", 46), ("CR-PBM", 46)], None, "open"),
        ]
        for (items, exemption, end), patient in zip(plans_of_care, others, strict=False):
            if any(code not in procedures for code, _ in items):
                continue
            opened = today - timedelta(days=rng.randint(20, 60))
            view = await nhs_courses.open_course(principal, patient_id=patient.id, opened_on=opened)
            course_id = view.course.id
            await nhs_courses.add_items(
                principal,
                course_id=course_id,
                items=[nhs_courses.NewCourseItem(code=c, tooth=t) for c, t in items],
            )
            if exemption is not None:
                await nhs_courses.record_exemption(
                    principal, course_id=course_id, exemption=exemption, evidence_seen=True
                )
            if end == "complete":
                await nhs_courses.complete(
                    principal, course_id=course_id, completed_on=opened + timedelta(days=14)
                )
            courses += 1
    return Seeded(2, len(current), len(members), courses)

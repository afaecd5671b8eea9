"""The patient's completed work that no live invoice claims yet, as draft invoice lines: what
``invoiceUninvoicedItems`` bills and how each line is priced. One collector per source, each
returning its lines and what it left out (and why); ``invoices.invoice_uninvoiced`` drafts them.

- Treatment-plan items: the plan's agreed fee (the accepted quote), VAT exempt. An item counted
  in an open or completed NHS course (named by a course item, or through the chart entry its
  completion recorded) is billed by that course, never privately.
- NHS courses: each COMPLETED course is one line of its frozen patient charge, VAT exempt; an
  exempt patient's £0 charge still gives a £0 line, so every course is accounted for once.
- Injectable treatments: a line per product per visit, the amount used × the price of one unit
  (or ml) in the fee schedule in force on the treatment day, VAT category from the fee (EXEMPT
  when the caller marks the visit medical).
- Product sales: a line per sale, quantity × the schedule's price on the sale day, VAT category
  from the fee.

A caller's per-product price (``ProductPrice``) wins over the schedule's; the VAT category is
still the fee's (STANDARD when the schedule has none). A product with no price either way is
left out and named in ``skipped``.

Membership (``memberships``), decided on each item's own day: a plan item whose code the
membership in force covers becomes a £0 line carrying the code, "(covered by <plan>)", while the
year's allowance lasts — counted down line by line, so a second item of the code past the
allowance on the same draft is charged. Every other private line (plan items, injectables,
products) takes the plan's discount off its unit price (the discount rounded half up, never
below £0). NHS lines are neither covered nor discounted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from db.models import Practice, Product
from db.queries import clinical_chart as chart_queries
from db.queries import invoices as queries
from db.tenancy import PracticeId
from services import tenant_gate
from services.billing import fees, memberships
from services.billing.invoice_lines import NewLine, Source
from services.billing.money import Money, round_half_up
from services.billing.vat import VatCategory
from services.errors import NotFound


@dataclass(frozen=True, slots=True)
class Collected:
    lines: list[NewLine] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "2026-03-02: Profhilo (no fee …)"

    def __add__(self, other: Collected) -> Collected:
        return Collected(self.lines + other.lines, self.skipped + other.skipped)


@dataclass(frozen=True, slots=True)
class Work:
    """Whose work, where, and what the caller said about prices and medical visits."""

    practice_id: PracticeId
    practice: Practice
    patient_id: UUID
    currency: str
    overrides: Mapping[UUID, Money]
    medical: frozenset[UUID]

    def day_of(self, moment: datetime) -> date:
        """The practice's calendar day of ``moment``."""
        return moment.astimezone(ZoneInfo(str(self.practice.timezone))).date()


class Membership:
    """The patient's membership terms as a draft's lines are priced in order: the covered uses
    left are read once per code and membership year, then counted down here."""

    def __init__(self, work: Work) -> None:
        self._work = work
        self._left: dict[tuple[UUID, date, str], int] = {}
        self._discounts: dict[date, int] = {}

    async def _covering_plan(self, code: str, day: date) -> str | None:
        work = self._work
        found = await memberships.allowance(work.practice_id, work.patient_id, code, day)
        if found is None:
            return None
        key = (found.membership_id, found.year_start, code.upper())
        left = self._left.setdefault(key, found.left)
        if left <= 0:
            return None
        self._left[key] = left - 1
        return found.plan_name

    async def priced(self, line: NewLine, day: date) -> NewLine:
        """``line`` (a private one) as a member pays for it on ``day``."""
        if line.code is not None:
            plan = await self._covering_plan(line.code, day)
            if plan is not None:
                return replace(
                    line,
                    unit=Money(0, line.unit.currency),
                    description=f"{line.description} (covered by {plan})",
                )
        if day not in self._discounts:
            work = self._work
            self._discounts[day] = await memberships.discount_for(
                work.practice_id, work.patient_id, day
            )
        off = self._discounts[day]
        if off == 0 or line.unit.minor == 0:
            return line
        discount = round_half_up(line.unit.minor * off, 10_000)
        return replace(
            line,
            unit=Money(max(0, line.unit.minor - discount), line.unit.currency),
            description=f"{line.description} (member discount {off / 100:g}%)",
        )


async def collect(work: Work) -> Collected:
    """Every source's lines, in this order: plan items, NHS courses, injectables, sales."""
    members = Membership(work)
    found = await plan_items(work, members)
    found += await nhs_courses(work)
    found += await injectable_treatments(work, members)
    return found + await product_sales(work, members)


async def plan_items(work: Work, members: Membership) -> Collected:
    pid = work.practice_id
    items = await queries.uninvoiced_plan_items(pid, work.patient_id)
    claimed = await queries.claimed_sources(pid, [UUID(str(i.id)) for i in items])
    in_courses = await queries.nhs_course_plan_items(pid, work.patient_id)
    procedures = await chart_queries.procedures_by_id(
        {pid}, {UUID(str(i.procedure_id)) for i in items}
    )
    out = Collected()
    for item in items:
        item_id = UUID(str(item.id))
        assert item.completed_at is not None  # the query's condition
        day = work.day_of(item.completed_at)
        if item_id in claimed:
            continue
        if item_id in in_courses:
            if in_courses[item_id] == "OPEN":
                out.skipped.append(f"{day}: {item.code} (in an open NHS course)")
            continue
        found = procedures.get(UUID(str(item.procedure_id)))
        where = f", tooth {item.tooth}" if item.tooth else ""
        where += f" {item.surfaces}" if item.surfaces else ""
        line = NewLine(
            description=(found.name if found else item.code) + where,
            unit=Money(int(item.fee_pence)),
            vat_category=VatCategory.EXEMPT,
            code=item.code,
            tooth=None if item.tooth is None else str(item.tooth),
            source=Source.PLAN_ITEM,
            source_id=item_id,
            service_on=day,
        )
        out.lines.append(await members.priced(line, day))
    return out


def band_label(band: str) -> str:
    """BAND_2A → "Band 2a", URGENT → "Urgent"."""
    if band.startswith("BAND_"):
        return f"Band {band.removeprefix('BAND_').lower()}"
    return band.capitalize()


async def nhs_courses(work: Work) -> Collected:
    pid = work.practice_id
    courses = await queries.completed_nhs_courses(pid, work.patient_id)
    claimed = await queries.claimed_sources(pid, [UUID(str(c.id)) for c in courses])
    out = Collected()
    for course in courses:
        if UUID(str(course.id)) in claimed or course.charge_minor is None:
            continue
        out.lines.append(
            NewLine(
                description=f"NHS course of treatment, {band_label(str(course.band))} "
                "(patient charge)",
                unit=Money(int(course.charge_minor), str(course.currency)),
                vat_category=VatCategory.EXEMPT,
                source=Source.NHS_COURSE,
                source_id=UUID(str(course.id)),
                service_on=course.completed_on,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class _Priced:
    unit: Money
    vat_category: VatCategory


async def _product_price(work: Work, product_id: UUID, day: date) -> _Priced | str:
    """The caller's price, else the schedule's in force on ``day``; or why there is none."""
    fee: fees.Price | None
    try:
        fee = await fees.price_of(work.practice_id, product_id=product_id, on=day)
    except NotFound:
        fee = None
    given = work.overrides.get(product_id)
    if given is not None:
        found = _Priced(given, fee.vat_category if fee else VatCategory.STANDARD)
    elif fee is None:
        return "no fee in the fee schedule in force that day"
    else:
        found = _Priced(fee.unit, fee.vat_category)
    if found.unit.currency != work.currency:
        return f"priced in {found.unit.currency}, the invoice is in {work.currency}"
    return found


def _unit_name(product: Product | None) -> str:
    return product.unit.lower() if product else "units"


async def injectable_treatments(work: Work, members: Membership) -> Collected:
    pid = work.practice_id
    visits = await queries.injectable_visits(pid, work.patient_id)
    claimed = await queries.claimed_sources(pid, [UUID(str(t.id)) for t, _ in visits])
    products = await queries.products(
        tenant_gate.organization_of(work.practice),
        {UUID(str(p.product_id)) for _, points in visits for p in points},
    )
    out = Collected()
    for treatment, points in visits:
        treatment_id = UUID(str(treatment.id))
        if treatment_id in claimed or not points:
            continue
        day = work.day_of(treatment.treated_at)
        used: dict[UUID, int] = {}
        for point in points:
            key = UUID(str(point.product_id))
            used[key] = used.get(key, 0) + int(point.amount_milli)
        lines_of_visit: list[NewLine] = []
        for product_id, milli in used.items():
            product = products.get(product_id)
            name = product.name if product else "product"
            price = await _product_price(work, product_id, day)
            if isinstance(price, str):
                out.skipped.append(f"{day}: {name} ({price})")
                continue
            category = VatCategory.EXEMPT if treatment_id in work.medical else price.vat_category
            line = NewLine(
                description=f"{name}, {milli / 1000:g} {_unit_name(product)}, {day.isoformat()}",
                unit=Money(round_half_up(price.unit.minor * milli, 1000), price.unit.currency),
                vat_category=category,
                source=Source.INJECTABLE_TREATMENT,
                # one treatment may bill several products: only its first line names it, so
                # "one live invoice per source" holds per visit
                source_id=treatment_id if not lines_of_visit else None,
                service_on=day,
            )
            lines_of_visit.append(await members.priced(line, day))
        if lines_of_visit and len(lines_of_visit) < len(used):
            out.skipped.append(f"{day}: visit billed in part")
        out.lines.extend(lines_of_visit)
    return out


async def product_sales(work: Work, members: Membership) -> Collected:
    pid = work.practice_id
    sales = await queries.product_sales(pid, work.patient_id)
    claimed = await queries.claimed_sources(pid, [UUID(str(s.id)) for s in sales])
    products = await queries.products(
        tenant_gate.organization_of(work.practice), {UUID(str(s.product_id)) for s in sales}
    )
    out = Collected()
    for sale in sales:
        if UUID(str(sale.id)) in claimed:
            continue
        product_id = UUID(str(sale.product_id))
        product = products.get(product_id)
        name = product.name if product else "product"
        price = await _product_price(work, product_id, sale.sold_on)
        if isinstance(price, str):
            out.skipped.append(f"{sale.sold_on}: {name} ({price})")
            continue
        line = NewLine(
            description=f"{name}, sold {sale.sold_on.isoformat()}",
            unit=price.unit,
            vat_category=price.vat_category,
            quantity=int(sale.quantity),
            source=Source.PRODUCT,
            source_id=UUID(str(sale.id)),
            service_on=sale.sold_on,
        )
        out.lines.append(await members.priced(line, sale.sold_on))
    return out

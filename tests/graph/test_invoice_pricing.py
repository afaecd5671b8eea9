"""How ``invoiceUninvoicedItems`` prices what it bills: injectables and product sales from the
fee schedule in force on their day (a caller's price wins; no price: skipped, with why), a
membership's cover as £0 coded lines counted down across one draft and across invoices, the
member discount rounded half up, completed NHS courses as one line each with their plan items
never billed privately, and retail sales (``sellProducts``) that move stock, bill once and
refuse a quarantined or foreign batch leaving everything as it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from db.models import (
    AuditEvent,
    Batch,
    DomainEvent,
    InjectableTreatment,
    InjectionPoint,
    NhsCourse,
    Patient,
    Practice,
    Product,
    ProductSale,
    StockMovement,
    TreatmentPlanItem,
    User,
)
from db.tenancy import PracticeId
from services.auth.principal_loader import principal_for_user
from services.billing import fees, memberships, nhs_bands, nhs_courses
from services.billing.money import Money
from services.clinical import catalogue
from services.policy import Role
from services.principal import Principal, RequestMeta
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.graph import injectable_support
from tests.graph.test_invoices import CREDIT, INVOICE_FIELDS, ISSUE, REMOVE, _completed_items

UNINVOICED = (
    "mutation M($input: InvoiceUninvoicedInput!) { invoiceUninvoicedItems(input: $input) "
    f"{{ invoice {{ {INVOICE_FIELDS} lines {{ serviceOn }} }} }} }}"
)
SELL = """mutation S($input: SellProductsInput!) { sellProducts(input: $input) {
  sales { id patientId batchId lotNumber quantity soldOn soldByUserId product { id name } } } }"""
PLAN = """mutation P($input: CreateTreatmentPlanInput!) { createTreatmentPlan(input: $input) {
  plan { id } } }"""
PLAN_ADD = """mutation A($input: AddPlanItemInput!) { addPlanItem(input: $input) {
  plan { phases { items { procedureCode feePence } } } } }"""
TODAY = date.today()  # the tests' practices keep UK time; lines are dated by the practice's day


@dataclass
class World:
    practice: Practice
    patient: Patient
    desk: Principal
    token: str  # the receptionist's
    user: User


async def _world(practice: Practice | None = None) -> World:
    practice = practice or await factories.practice()
    await catalogue.seed_practice(PracticeId(practice.id))
    patient = await factories.patient(practice)
    desk = await factories.user(Role.RECEPTIONIST, practice)
    principal = await principal_for_user(desk, mfa_passed=True, claims={}, meta=RequestMeta())
    return World(practice, patient, principal, factories.access_token(desk), desk)


async def _schedule(world: World, *changes: fees.FeeChange) -> None:
    """A schedule in force from last year, open-ended, with ``changes``."""
    view = await fees.create_schedule(
        world.desk,
        practice_id=world.practice.id,
        name=f"Private {uuid4().hex[:6]}",
        valid_from=TODAY - timedelta(days=400),
    )
    await fees.set_fees(world.desk, schedule_id=view.schedule.id, changes=list(changes))


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _draft(client: httpx.AsyncClient, world: World, **values: Any) -> dict[str, Any]:
    result = await _do(client, UNINVOICED, world.token, patientId=str(world.patient.id), **values)
    assert result.errors == [], result.errors
    invoice: dict[str, Any] = result.data["invoiceUninvoicedItems"]["invoice"]
    return invoice


def _lines(invoice: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [
        (x["description"], x["unitPrice"]["amount"], x["vatCategory"]) for x in invoice["lines"]
    ]


async def _visit(world: World, *used: tuple[Batch, int]) -> InjectableTreatment:
    """An injectable treatment yesterday using ``(batch, milli)`` points (rows only: recording
    a treatment is the injectables feature's)."""
    doctor, _ = await injectable_support.practitioner(world.practice)
    treated = datetime.now(UTC) - timedelta(days=1)
    treatment = await InjectableTreatment.create(
        practice_id=world.practice.id,
        patient_id=world.patient.id,
        practitioner_id=doctor.id,
        treated_at=treated,
    )
    for n, (batch, milli) in enumerate(used):
        await InjectionPoint.create(
            practice_id=world.practice.id,
            patient_id=world.patient.id,
            treatment_id=treatment.id,
            product_id=batch.product_id,
            batch_id=batch.id,
            amount_milli=milli,
            depth="INTRAMUSCULAR",
            technique="BOLUS",
            map_key="FACE_FRONT",
            map_version=1,
            zone="GLABELLA",
            x=0.5,
            y=0.5,
            position=n,
            treated_at=treated,
        )
    return treatment


async def test_injectables_priced_from_the_schedule_override_wins_missing_fee_skipped(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    org = await world.practice.organization
    toxin = await injectable_support.product(org, "Botox 100U")
    filler = await injectable_support.product(org, "Volift", kind="FILLER", unit="ML", pom=False)
    toxin_batch = await injectable_support.batch(world.practice, toxin, "T1")
    filler_batch = await injectable_support.batch(world.practice, filler, "F1")
    await _schedule(world, fees.FeeChange(unit_minor=900, product_id=toxin.id))
    yesterday = (TODAY - timedelta(days=1)).isoformat()

    await _visit(world, (toxin_batch, 12_000), (toxin_batch, 8_000), (filler_batch, 1_050))
    first = await _draft(client, world)
    assert _lines(first) == [(f"Botox 100U, 20 units, {yesterday}", 18_000, "STANDARD")]
    assert first["lines"][0]["serviceOn"] == yesterday
    assert first["lines"][0]["vat"]["amount"] == 3600  # the fee's category: standard rate
    assert first["skipped"] == [
        f"{yesterday}: Volift (no fee in the fee schedule in force that day)",
        f"{yesterday}: visit billed in part",
    ]

    # Another visit, with the caller's prices: they win over the schedule's; medical is EXEMPT.
    medical = await _visit(world, (toxin_batch, 10_000), (filler_batch, 1_050))
    second = await _draft(
        client,
        world,
        productPrices=[
            {"productId": str(toxin.id), "unitPrice": {"amount": 1000, "currency": "GBP"}},
            {"productId": str(filler.id), "unitPrice": {"amount": 30_000, "currency": "GBP"}},
        ],
        medicalTreatmentIds=[str(medical.id)],
    )
    assert _lines(second) == [
        (f"Botox 100U, 10 units, {yesterday}", 10_000, "EXEMPT"),
        (f"Volift, 1.05 ml, {yesterday}", 31_500, "EXEMPT"),  # 300.00 × 1.05 ml
    ]
    assert second["lines"][0]["sourceId"] == str(medical.id)
    assert second["skipped"] == []


async def _membership(world: World, *, per_year: int = 1, discount: int = 1000) -> None:
    plan = await memberships.create_plan(
        world.desk,
        practice_id=world.practice.id,
        name="Care plan",
        monthly_fee=Money(1500),
        covers=[memberships.Cover("EXAM", per_year)],
        discount_basis_points=discount,
    )
    await memberships.enrol(
        world.desk,
        patient_id=world.patient.id,
        plan_id=plan.id,
        started_on=TODAY - timedelta(days=60),
    )


async def test_membership_cover_counts_down_on_one_draft_and_across_invoices(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    await _membership(world)
    pid, who = PracticeId(world.practice.id), world.patient.id
    items = await _completed_items(world.practice, world.patient, ["EXAM", "EXAM", "SP"])
    await TreatmentPlanItem.filter(id=items[2]).update(fee_pence=2505)

    first = await _draft(client, world)
    assert _lines(first) == [
        ("Examination (routine) (covered by Care plan)", 0, "EXEMPT"),
        # the allowance (1) is spent by the line above: the second examination is charged
        ("Examination (routine) (member discount 10%)", 4950, "EXEMPT"),
        # 10 % of 25.05 is 2.505, rounded half up to 2.51
        ("Scale and polish (member discount 10%)", 2254, "EXEMPT"),
    ]
    assert [x["code"] for x in first["lines"]] == ["EXAM", "EXAM", "SP"]
    assert first["total"]["amount"] == 4950 + 2254
    # A draft spends the allowance like an issued invoice (it claims its work) ...
    assert not await memberships.covered(pid, who, "EXAM", TODAY)
    await _do(client, ISSUE, world.token, invoiceId=first["id"])
    assert not await memberships.covered(pid, who, "EXAM", TODAY)

    # ... so a later examination this membership year is charged on the next invoice.
    await _completed_items(world.practice, world.patient, ["EXAM"])
    second = await _draft(client, world)
    assert _lines(second) == [("Examination (routine) (member discount 10%)", 4950, "EXEMPT")]

    # Voiding the first invoice gives its covered use back: the work is billed again, once
    # more covering one examination.
    void = await _do(client, CREDIT, world.token, invoiceId=first["id"], reason="Re-bill")
    assert void.errors == [], void.errors
    assert await memberships.covered(pid, who, "EXAM", TODAY)
    removed = await _do(
        client, REMOVE, world.token, invoiceId=second["id"], lineId=second["lines"][0]["id"]
    )
    assert removed.errors == [], removed.errors
    third = await _draft(client, world)
    assert [(x["code"], x["unitPrice"]["amount"]) for x in third["lines"]] == [
        ("EXAM", 0),
        ("EXAM", 4950),
        ("SP", 2254),
        ("EXAM", 4950),
    ]


async def test_a_full_discount_never_makes_a_negative_line(client: httpx.AsyncClient) -> None:
    world = await _world()
    await _membership(world, discount=10_000)
    await _completed_items(world.practice, world.patient, ["SP"])
    draft = await _draft(client, world)
    assert _lines(draft) == [("Scale and polish (member discount 100%)", 0, "EXEMPT")]


async def _nhs_banded(*item_ids: str) -> None:
    """Give completed plan items their catalogue NHS band (``_completed_items`` leaves none)."""
    for item in await TreatmentPlanItem.filter(id__in=item_ids):
        found = {s.code: s.nhs_band for s in catalogue.UK_CATALOGUE}[item.code]
        await TreatmentPlanItem.filter(id=item.id).update(nhs_band=found and found.value)


async def test_an_nhs_course_is_one_line_once_and_its_plan_items_are_not_billed_privately(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    exam, filling, scale = await _completed_items(
        world.practice, world.patient, ["EXAM", "AM2", "SP"]
    )
    await _nhs_banded(exam, filling)
    opened = TODAY - timedelta(days=20)
    course = await nhs_courses.open_course(
        world.desk, patient_id=world.patient.id, opened_on=opened
    )
    await nhs_courses.add_items(
        world.desk,
        course_id=course.course.id,
        items=[
            nhs_courses.NewCourseItem(plan_item_id=UUID(exam)),
            nhs_courses.NewCourseItem(plan_item_id=UUID(filling)),
        ],
    )
    done = await nhs_courses.complete(world.desk, course_id=course.course.id, completed_on=TODAY)
    charge = int(done.course.charge_minor or 0)
    assert charge == nhs_bands.table_on(opened).rates[nhs_bands.Band.BAND_2A].charge_minor

    draft = await _draft(client, world)
    assert [(x["source"], x["sourceId"]) for x in draft["lines"]] == [
        ("PLAN_ITEM", scale),  # the scale and polish was private
        ("NHS_COURSE", str(course.course.id)),
    ]
    assert draft["lines"][1]["description"] == ("NHS course of treatment, Band 2a (patient charge)")
    assert (draft["lines"][1]["unitPrice"]["amount"], draft["lines"][1]["vatCategory"]) == (
        charge,
        "EXEMPT",
    )
    again = await _do(client, UNINVOICED, world.token, patientId=str(world.patient.id))
    assert again.codes == ["CONFLICT"]  # the course sits on the draft: billed once

    # Issuing marks the course's plan items invoiced too: off the billing work list.
    await _do(client, ISSUE, world.token, invoiceId=draft["id"])
    marked = await TreatmentPlanItem.filter(id__in=[exam, filling, scale]).values_list(
        "invoiced_at", flat=True
    )
    assert all(m is not None for m in marked)
    void = await _do(client, CREDIT, world.token, invoiceId=draft["id"], reason="Re-bill")
    assert void.errors == [], void.errors
    assert await TreatmentPlanItem.filter(id__in=[exam, filling], invoiced_at=None).count() == 2
    redo = await _draft(client, world)
    assert [x["source"] for x in redo["lines"]] == ["PLAN_ITEM", "NHS_COURSE"]


async def test_an_exempt_patients_course_is_a_zero_line_and_an_open_course_holds_its_items(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    exempt = await nhs_courses.open_course(world.desk, patient_id=world.patient.id)
    await nhs_courses.add_items(
        world.desk, course_id=exempt.course.id, items=[nhs_courses.NewCourseItem(code="EXAM")]
    )
    await nhs_courses.record_exemption(
        world.desk,
        course_id=exempt.course.id,
        exemption=nhs_bands.Exemption.HC2,
        evidence_seen=True,
    )
    await nhs_courses.complete(world.desk, course_id=exempt.course.id)
    (waiting,) = await _completed_items(world.practice, world.patient, ["AM2"])
    await _nhs_banded(waiting)
    still_open = await nhs_courses.open_course(world.desk, patient_id=world.patient.id)
    await nhs_courses.add_items(
        world.desk,
        course_id=still_open.course.id,
        items=[nhs_courses.NewCourseItem(plan_item_id=UUID(waiting))],
    )
    draft = await _draft(client, world)
    assert _lines(draft) == [("NHS course of treatment, Band 1 (patient charge)", 0, "EXEMPT")]
    assert draft["skipped"] == [f"{TODAY}: AM2 (in an open NHS course)"]
    issued = await _do(client, ISSUE, world.token, invoiceId=draft["id"])
    assert issued.errors == [], issued.errors
    assert await NhsCourse.filter(id=exempt.course.id, charge_minor=0).exists()


async def test_a_new_plan_item_is_quoted_at_the_schedule_fee_else_the_catalogue(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    await _schedule(world, fees.FeeChange(unit_minor=6100, procedure_code="EXAM"))
    dentist = factories.access_token(await factories.user(Role.DENTIST, world.practice))
    plan = await _do(client, PLAN, dentist, patientId=str(world.patient.id))
    plan_id = plan.data["createTreatmentPlan"]["plan"]["id"]
    for code in ("EXAM", "SP"):
        added = await _do(client, PLAN_ADD, dentist, planId=plan_id, code=code)
        assert added.errors == [], added.errors
    items = added.data["addPlanItem"]["plan"]["phases"][0]["items"]
    sp = await catalogue_fee(world.practice, "SP")
    assert [(i["procedureCode"], i["feePence"]) for i in items] == [("EXAM", 6100), ("SP", sp)]


async def catalogue_fee(practice: Practice, code: str) -> int:
    from db.queries import clinical_chart as chart_queries

    found = await chart_queries.procedure_by_code(PracticeId(practice.id), code)
    assert found is not None
    return int(found.default_fee_pence)


async def _retail(world: World, *, on_hand: int = 10_000, **more: Any) -> tuple[Product, Batch]:
    org = await world.practice.organization
    product = await Product.filter(organization_id=org.id, name="Calm-R 50 ml").first()
    if product is None:
        product = await injectable_support.product(
            org, "Calm-R 50 ml", kind="OTHER", unit="UNITS", pom=False
        )
    batch = await injectable_support.batch(
        world.practice, product, f"CR{uuid4().hex[:6]}", on_hand=on_hand, **more
    )
    return product, batch


async def _stock_state(*batches: Batch) -> tuple[Any, ...]:
    return (
        [b.on_hand_milli for b in await Batch.filter(id__in=[b.id for b in batches])],
        await StockMovement.filter(batch_id__in=[b.id for b in batches]).count(),
        await ProductSale.all().count(),
        await AuditEvent.filter(entity_type="ProductSale").count(),
        await DomainEvent.filter(type="PRODUCT_SOLD").count(),
    )


async def test_a_sale_moves_stock_and_is_invoiced_once(client: httpx.AsyncClient) -> None:
    world = await _world()
    product, batch = await _retail(world)
    await _schedule(world, fees.FeeChange(unit_minor=4800, product_id=product.id))
    sold = await _do(
        client,
        SELL,
        world.token,
        patientId=str(world.patient.id),
        items=[{"batchId": str(batch.id), "quantity": 2}],
    )
    assert sold.errors == [], sold.errors
    (sale,) = sold.data["sellProducts"]["sales"]
    assert (sale["quantity"], sale["soldOn"], sale["product"]["name"]) == (
        2,
        TODAY.isoformat(),
        "Calm-R 50 ml",
    )
    assert (sale["patientId"], sale["lotNumber"]) == (str(world.patient.id), batch.lot_number)
    movement = await StockMovement.get(batch_id=batch.id)
    assert (movement.kind, movement.quantity_milli) == ("SOLD", -2000)
    assert await _stock_state(batch) == ([8000], 1, 1, 1, 1)

    draft = await _draft(client, world)
    (line,) = draft["lines"]
    assert (line["source"], line["sourceId"], line["quantity"]) == ("PRODUCT", sale["id"], 2)
    assert (line["unitPrice"]["amount"], line["vatCategory"], line["vat"]["amount"]) == (
        4800,
        "STANDARD",
        1920,
    )
    assert line["description"] == f"Calm-R 50 ml, sold {TODAY.isoformat()}"
    again = await _do(client, UNINVOICED, world.token, patientId=str(world.patient.id))
    assert again.codes == ["CONFLICT"]
    await _do(client, ISSUE, world.token, invoiceId=draft["id"])
    assert (await _do(client, UNINVOICED, world.token, patientId=str(world.patient.id))).codes == [
        "CONFLICT"
    ]
    void = await _do(client, CREDIT, world.token, invoiceId=draft["id"], reason="Returned")
    assert void.errors == [], void.errors
    redo = await _draft(client, world)  # a fully credited sale is back on the work list
    assert [x["sourceId"] for x in redo["lines"]] == [sale["id"]]


async def test_refused_sales_change_nothing(client: httpx.AsyncClient) -> None:
    world = await _world()
    _, good = await _retail(world)
    _, recalled = await _retail(world, quarantined=True)
    _, expired = await _retail(world, expires_on=TODAY - timedelta(days=1))
    org = await world.practice.organization
    toxin = await injectable_support.product(org, "Botox 100U")
    pom = await injectable_support.batch(world.practice, toxin, "TOX1")
    elsewhere = await _world(await factories.practice(org))  # a sister practice's own batch
    _, foreign = await _retail(elsewhere)
    before = await _stock_state(good, recalled, expired, pom, foreign)

    def sale(*items: tuple[Any, int]) -> dict[str, Any]:
        return {
            "patientId": str(world.patient.id),
            "items": [{"batchId": str(b), "quantity": q} for b, q in items],
        }

    cases: list[tuple[dict[str, Any], str, str | None]] = [
        (sale((good.id, 1), (recalled.id, 1)), "CONFLICT", "items.1.batchId"),  # all or nothing
        (sale((expired.id, 1)), "CONFLICT", "items.0.batchId"),
        (sale((good.id, 11)), "CONFLICT", "items.0.quantity"),  # only 10 on hand
        (sale((pom.id, 1)), "CONFLICT", "items.0.batchId"),  # prescription-only
        (sale((good.id, 0)), "BAD_USER_INPUT", "items.0.quantity"),
        (
            sale((good.id, 1)) | {"soldOn": str(TODAY + timedelta(days=1))},
            "BAD_USER_INPUT",
            "soldOn",
        ),
    ]
    for values, code, field in cases:
        refused = await _do(client, SELL, world.token, **values)
        assert refused.codes == [code], (values, refused.errors)
        assert refused.errors[0]["extensions"].get("field") == field, values
    foreign_refusal = await _do(client, SELL, world.token, **sale((foreign.id, 1)))
    random_refusal = await _do(client, SELL, world.token, **sale((uuid4(), 1)))
    assert foreign_refusal.codes == ["NOT_FOUND"]
    assert foreign_refusal.body == random_refusal.body
    dentist = factories.access_token(await factories.user(Role.DENTIST, world.practice))
    assert (await _do(client, SELL, dentist, **sale((good.id, 1)))).codes == ["FORBIDDEN"]
    other_patient = await factories.patient(await factories.practice())
    strange = await _do(
        client, SELL, world.token, **(sale((good.id, 1)) | {"patientId": str(other_patient.id)})
    )
    assert strange.codes == ["NOT_FOUND"]
    assert await _stock_state(good, recalled, expired, pom, foreign) == before

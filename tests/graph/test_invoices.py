"""Invoices through GraphQL and the service: exact totals, DRAFT edits only, gap-free numbers
under concurrency, credit notes the only way to void, settle's refusals, the read rules (staff
with billing:read, the patient for their issued ones), the PostgreSQL immutability triggers,
and ``verify-ledger`` finding tampering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from tortoise import connections

from db.config import connection_name
from db.models import (
    AuditEvent,
    DomainEvent,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LedgerHead,
    Patient,
    Practice,
    TreatmentPlan,
    TreatmentPlanItem,
)
from db.queries import clinical_chart as chart_queries
from db.uow import unit_of_work
from services import tenant_gate
from services.auth.principal_loader import principal_for_user
from services.billing import invoices, ledger, ledger_integrity
from services.billing.money import Money
from services.billing.vat import VatCategory
from services.clinical import catalogue
from services.errors import Conflict
from services.policy import Role
from services.principal import Principal, RequestMeta
from tests import factories
from tests.factories import GraphQLResult, gql

INVOICE_FIELDS = """
  id kind status number patientId
  lines { id position source sourceId code toothFdi description quantity
    unitPrice { amount currency } net { amount } vatCategory vatRateBasisPoints
    vat { amount } total { amount } }
  vatBreakdown { category rateBasisPoints net { amount } vat { amount } }
  net { amount } vat { amount } total { amount formatted } paid { amount }
  credited { amount } owed { amount } taxPoint issuedAt voidedAt reason skipped
"""


def _mutation(name: str, input_type: str, out: str = "invoice") -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ {out} {{ {INVOICE_FIELDS} }} }} }}"
    )


CREATE = _mutation("createInvoice", "CreateInvoiceInput")
ADD = _mutation("addInvoiceLines", "AddInvoiceLinesInput")
REMOVE = _mutation("removeInvoiceLine", "RemoveInvoiceLineInput")
ISSUE = _mutation("issueInvoice", "InvoiceIdInput")
UNINVOICED = _mutation("invoiceUninvoicedItems", "InvoiceUninvoicedInput")
CREDIT = (
    "mutation M($input: IssueCreditNoteInput!) { issueCreditNote(input: $input) { "
    f"creditNote {{ {INVOICE_FIELDS} }} invoice {{ {INVOICE_FIELDS} }} }} }}"
)
ONE = "query I($id: ID!) { invoice(id: $id) { " + INVOICE_FIELDS + " } }"
LIST = """query L($p: ID!, $first: Int, $after: String) {
  patientInvoices(patientId: $p, first: $first, after: $after) {
    edges { node { id status number total { amount } } } pageInfo { hasNextPage endCursor } } }"""


async def sql(database_url: str, statement: str) -> None:
    """Raw SQL as someone holding the database would type it (no ORM, no service)."""
    await connections.get(connection_name(database_url)).execute_script(statement)


def _line(description: str, pence: int, vat: str = "STANDARD", **more: Any) -> dict[str, Any]:
    return {
        "description": description,
        "unitPrice": {"amount": pence, "currency": "GBP"},
        "vatCategory": vat,
        **more,
    }


async def _world(name: str = "Leith Walk Dental") -> tuple[Practice, Patient, str, Any]:
    practice = await factories.practice(name=name)
    patient = await factories.patient(practice)
    desk = await factories.user(Role.RECEPTIONIST, practice)
    return practice, patient, factories.access_token(desk), desk


async def _principal(user: Any) -> Principal:
    return await principal_for_user(user, mfa_passed=True, claims={}, meta=RequestMeta())


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await _do(client, doc, token, **values)
    assert result.errors == [], result.errors
    payload: dict[str, Any] = next(iter(result.data.values()))
    return payload


async def _snapshot(invoice_id: str) -> tuple[Any, ...]:
    row = await Invoice.get(id=invoice_id)
    lines = await InvoiceLine.filter(invoice_id=invoice_id).order_by("position")
    return (
        row.status,
        row.number,
        row.total_minor,
        [(x.quantity, x.unit_minor, x.total_minor) for x in lines],
    )


async def test_draft_lines_exact_totals_issue_and_frozen(client: httpx.AsyncClient) -> None:
    _, patient, token, _ = await _world()
    created = await _ok(
        client,
        CREATE,
        token,
        patientId=str(patient.id),
        lines=[
            _line("Lip filler", 33333),  # 20 % of 333.33 = 66.666 -> 66.67
            _line("Exam", 5500, "EXEMPT", code="exam", tooth="36"),
        ],
    )
    draft = created["invoice"]
    assert (draft["status"], draft["number"]) == ("DRAFT", None)
    assert [x["vat"]["amount"] for x in draft["lines"]] == [6667, 0]
    assert draft["lines"][1]["code"] == "EXAM"
    assert draft["lines"][1]["toothFdi"] == 36
    assert (draft["net"]["amount"], draft["vat"]["amount"], draft["total"]["amount"]) == (
        38833,
        6667,
        45500,
    )
    added = (
        await _ok(
            client,
            ADD,
            token,
            invoiceId=draft["id"],
            lines=[_line("Serum", 1999, quantity=3)],  # 59.97, VAT 11.994 -> 11.99
        )
    )["invoice"]
    assert added["total"]["amount"] == 45500 + 5997 + 1199
    removed = (
        await _ok(client, REMOVE, token, invoiceId=draft["id"], lineId=added["lines"][0]["id"])
    )["invoice"]
    assert [x["description"] for x in removed["lines"]] == ["Exam", "Serum"]
    assert removed["total"]["amount"] == 5500 + 5997 + 1199
    assert {(b["category"], b["rateBasisPoints"]) for b in removed["vatBreakdown"]} == {
        ("EXEMPT", 0),
        ("STANDARD", 2000),
    }

    issued = (await _ok(client, ISSUE, token, invoiceId=draft["id"]))["invoice"]
    assert (issued["status"], issued["number"]) == ("ISSUED", "LWD-000001")
    assert issued["owed"]["amount"] == issued["total"]["amount"] == 12696
    assert issued["taxPoint"] is not None

    before = await _snapshot(draft["id"])
    for doc, values in [
        (ADD, {"invoiceId": draft["id"], "lines": [_line("More", 100)]}),
        (REMOVE, {"invoiceId": draft["id"], "lineId": issued["lines"][0]["id"]}),
        (ISSUE, {"invoiceId": draft["id"]}),
    ]:
        refused = await _do(client, doc, token, **values)
        assert refused.codes == ["CONFLICT"], refused.errors
    assert await _snapshot(draft["id"]) == before

    entry = await LedgerEntry.get(entity_id=draft["id"])
    assert entry.kind == "INVOICE_ISSUED"
    assert (entry.content["number"], entry.content["total"]) == ("LWD-000001", 12696)
    types = await DomainEvent.filter(topic="billing").values_list("type", flat=True)
    assert types.count("INVOICE_DRAFTED") == 3
    assert types.count("INVOICE_ISSUED") == 1
    assert await AuditEvent.filter(entity_type="Invoice", action="ISSUE invoice").count() == 1


async def test_bad_input_changes_nothing(client: httpx.AsyncClient) -> None:
    _, patient, token, _ = await _world()
    cases = [
        ([_line("Neg", -1)], "lines.0.unitPrice"),
        ([_line("", 100)], "lines.0.description"),
        ([_line("Q", 100, quantity=0)], "lines.0.quantity"),
        ([_line("T", 100, tooth="99")], "lines.0.tooth"),
    ]
    for lines, field in cases:
        refused = await _do(client, CREATE, token, patientId=str(patient.id), lines=lines)
        assert refused.codes == ["BAD_USER_INPUT"], refused.errors
        assert refused.errors[0]["extensions"].get("field") == field
    euro = await _do(
        client,
        CREATE,
        token,
        patientId=str(patient.id),
        lines=[{**_line("E", 100), "unitPrice": {"amount": 100, "currency": "EUR"}}],
    )
    assert euro.codes == ["BAD_USER_INPUT"]
    assert await Invoice.all().count() == 0


async def _completed_items(practice: Practice, patient: Patient, codes: list[str]) -> list[str]:
    await catalogue.seed_practice(practice.id)
    pid = tenant_gate.operator_practice(practice.id)
    plan_id = uuid4()
    plan = await TreatmentPlan.create(
        id=plan_id,
        practice_id=pid,
        patient_id=patient.id,
        plan_id=plan_id,
        version=1,
        status="IN_PROGRESS",
    )
    ids = []
    for n, code in enumerate(codes):
        procedure = await chart_queries.procedure_by_code(pid, code)
        assert procedure is not None
        item = await TreatmentPlanItem.create(
            practice_id=pid,
            patient_id=patient.id,
            plan_version_id=plan.id,
            position=n,
            procedure_id=procedure.id,
            code=code,
            tooth=36 if code == "AM2" else None,
            fee_pence=procedure.default_fee_pence,
            completed_at=datetime.now(UTC),
        )
        ids.append(str(item.id))
    return ids


async def test_uninvoiced_plan_items_claimed_once_marked_at_issue_released_by_void(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token, _ = await _world()
    items = await _completed_items(practice, patient, ["EXAM", "AM2"])
    draft = (await _ok(client, UNINVOICED, token, patientId=str(patient.id)))["invoice"]
    assert [(x["source"], x["sourceId"]) for x in draft["lines"]] == [
        ("PLAN_ITEM", items[0]),
        ("PLAN_ITEM", items[1]),
    ]
    assert {x["vatCategory"] for x in draft["lines"]} == {"EXEMPT"}
    assert draft["lines"][1]["toothFdi"] == 36
    assert draft["total"]["amount"] == 5500 + 11000
    again = await _do(client, UNINVOICED, token, patientId=str(patient.id))
    assert again.codes == ["CONFLICT"]  # both already on a live draft
    assert await TreatmentPlanItem.filter(invoiced_at__isnull=False).count() == 0

    issued = (await _ok(client, ISSUE, token, invoiceId=draft["id"]))["invoice"]
    marked = await TreatmentPlanItem.filter(id__in=items).values_list("invoiced_at", flat=True)
    assert all(m is not None for m in marked)

    partial = await _ok(
        client,
        CREDIT,
        token,
        invoiceId=draft["id"],
        lines=[{"lineId": issued["lines"][0]["id"]}],
        reason="Exam waived",
    )
    note = partial["creditNote"]
    assert (note["kind"], note["status"], note["number"]) == ("CREDIT_NOTE", "ISSUED", "LWD-000002")
    assert (note["total"]["amount"], note["reason"]) == (5500, "Exam waived")
    assert partial["invoice"]["status"] == "ISSUED"
    assert partial["invoice"]["owed"]["amount"] == 11000
    over = await _do(
        client,
        CREDIT,
        token,
        invoiceId=draft["id"],
        lines=[{"lineId": issued["lines"][0]["id"]}],
        reason="Twice",
    )
    assert over.codes == ["BAD_USER_INPUT"]

    full = await _ok(client, CREDIT, token, invoiceId=draft["id"], reason="Billed in error")
    assert full["creditNote"]["number"] == "LWD-000003"
    assert full["creditNote"]["total"]["amount"] == 11000
    assert (full["invoice"]["status"], full["invoice"]["owed"]["amount"]) == ("VOID", 0)
    assert full["invoice"]["voidedAt"] is not None
    assert await TreatmentPlanItem.filter(id__in=items, invoiced_at=None).count() == 2
    redo = (await _ok(client, UNINVOICED, token, patientId=str(patient.id)))["invoice"]
    assert len(redo["lines"]) == 2
    assert (await _do(client, CREDIT, token, invoiceId=draft["id"], reason="x")).codes == [
        "CONFLICT"
    ]
    kinds = await LedgerEntry.all().order_by("seq").values_list("kind", flat=True)
    assert kinds == ["INVOICE_ISSUED", "CREDIT_NOTE_ISSUED", "CREDIT_NOTE_ISSUED"]
    assert (await ledger_integrity.verify()).ok


async def _issued(principal: Principal, patient: Patient, pence: int = 10000) -> Invoice:
    view = await invoices.create(
        principal,
        patient_id=patient.id,
        lines=[invoices.NewLine("Treatment", Money(pence), VatCategory.EXEMPT)],
    )
    return (await invoices.issue(principal, invoice_id=view.invoice.id)).invoice


async def test_settle_moves_paid_and_status_and_refuses_the_impossible(db: str) -> None:
    practice, patient, _, desk = await _world()
    principal = await _principal(desk)
    row = await _issued(principal, patient)
    pid = tenant_gate.operator_practice(practice.id)

    async def settle(delta: int) -> Invoice:
        async with unit_of_work() as uow:
            return await invoices.settle(uow, pid, row.id, delta)

    assert (await settle(4000)).status == "PARTIALLY_PAID"
    for delta in (6001, -4001):
        with pytest.raises(Conflict):
            await settle(delta)
    assert (await Invoice.get(id=row.id)).paid_minor == 4000
    paid = await settle(6000)
    assert (paid.status, paid.paid_minor) == ("PAID", 10000)
    assert (await settle(-10000)).status == "ISSUED"
    other = await factories.practice()
    with pytest.raises(Exception, match=r"not found|Invoice"):
        async with unit_of_work() as uow:
            await invoices.settle(uow, tenant_gate.operator_practice(other.id), row.id, 1)
    draft = await invoices.create(
        principal,
        patient_id=patient.id,
        lines=[invoices.NewLine("X", Money(100), VatCategory.EXEMPT)],
    )
    with pytest.raises(Conflict):
        async with unit_of_work() as uow:
            await invoices.settle(uow, pid, draft.invoice.id, 100)
    _, voided = await invoices.issue_credit_note(
        principal, invoice_id=row.id, lines=None, reason="void"
    )
    assert voided.invoice.status == "VOID"
    with pytest.raises(Conflict):
        async with unit_of_work() as uow:
            await invoices.settle(uow, pid, row.id, 100)


async def test_fifty_concurrent_issues_number_one_to_fifty(db: str) -> None:
    _, patient, _, desk = await _world()
    principal = await _principal(desk)
    drafts = [
        (
            await invoices.create(
                principal,
                patient_id=patient.id,
                lines=[invoices.NewLine("Visit", Money(1000 + n), VatCategory.EXEMPT)],
            )
        ).invoice.id
        for n in range(50)
    ]
    results = await asyncio.gather(
        *(invoices.issue(principal, invoice_id=d) for d in drafts), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    numbers = sorted(await Invoice.filter(id__in=drafts).values_list("sequence_number", flat=True))
    assert numbers == list(range(1, 51))
    assert await LedgerEntry.all().count() == 50
    assert (await ledger_integrity.verify()).ok


async def test_first_ledger_appends_race_on_one_genesis_row(db: str) -> None:
    practice = await factories.practice()
    pid = tenant_gate.operator_practice(practice.id)

    async def one() -> None:
        async with unit_of_work() as uow:
            await ledger.append(uow, pid, kind="TEST", entity_id=uuid4(), content={"n": 1})

    await asyncio.gather(*(one() for _ in range(10)))
    assert await LedgerHead.filter(practice_id=pid).count() == 1
    assert sorted(await LedgerEntry.all().values_list("seq", flat=True)) == list(range(1, 11))


async def test_reads_staff_patient_and_other_tenants(client: httpx.AsyncClient) -> None:
    practice, patient, token, desk = await _world()
    principal = await _principal(desk)
    issued = await _issued(principal, patient)
    draft = await invoices.create(
        principal,
        patient_id=patient.id,
        lines=[invoices.NewLine("Later", Money(500), VatCategory.EXEMPT)],
    )
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    seen = await gql(client, ONE, {"id": str(issued.id)}, token=dentist)
    assert seen.data["invoice"]["number"] == issued.number
    assert (await _do(client, ISSUE, dentist, invoiceId=str(draft.invoice.id))).codes == [
        "FORBIDDEN"
    ]
    listed = await gql(client, LIST, {"p": str(patient.id), "first": 1}, token=token)
    page = listed.data["patientInvoices"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        client,
        LIST,
        {"p": str(patient.id), "after": page["pageInfo"]["endCursor"]},
        token=token,
    )
    ids = {e["node"]["id"] for e in page["edges"] + rest.data["patientInvoices"]["edges"]}
    assert ids == {str(issued.id), str(draft.invoice.id)}
    reads = await AuditEvent.filter(entity_type="Invoice", action__startswith="READ")
    assert {str(r.entity_id) for r in reads} >= ids

    portal = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    own = await gql(client, LIST, {"p": str(patient.id)}, token=portal)
    assert [e["node"]["id"] for e in own.data["patientInvoices"]["edges"]] == [str(issued.id)]
    hidden = await gql(client, ONE, {"id": str(draft.invoice.id)}, token=portal)
    assert hidden.codes == ["NOT_FOUND"]

    _, stranger, other_token, _ = await _world("Other Practice")
    for doc, values in [(ONE, {"id": str(issued.id)}), (ONE, {"id": str(uuid4())})]:
        assert (await gql(client, doc, values, token=other_token)).codes == ["NOT_FOUND"]
    assert (await _do(client, ISSUE, other_token, invoiceId=str(draft.invoice.id))).codes == [
        "NOT_FOUND"
    ]
    assert stranger.id != patient.id


async def test_postgres_triggers_refuse_editing_issued_rows(db: str, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the triggers are PostgreSQL's")
    _, patient, _, desk = await _world()
    principal = await _principal(desk)
    row = await _issued(principal, patient)
    line = await InvoiceLine.get(invoice_id=row.id)
    refused = [
        f"UPDATE invoice SET total_minor = 1 WHERE id = '{row.id}'",
        f"UPDATE invoice SET number = 'X-1' WHERE id = '{row.id}'",
        f"UPDATE invoice SET patient_id = patient_id, status = 'DRAFT' WHERE id = '{row.id}'",
        f"UPDATE invoice_line SET unit_minor = 1 WHERE id = '{line.id}'",
        f"DELETE FROM invoice_line WHERE id = '{line.id}'",
        f"DELETE FROM invoice WHERE id = '{row.id}'",
        "UPDATE ledger_entry SET kind = 'X'",
        "DELETE FROM ledger_entry",
    ]
    for statement in refused:
        with pytest.raises(Exception, match=r"immutable|cannot|append-only"):
            await sql(db, statement)
    await sql(
        db,
        f"UPDATE invoice SET status = 'PAID', paid_minor = total_minor, updated_at = now() "
        f"WHERE id = '{row.id}'",
    )
    after = await Invoice.get(id=row.id)
    assert (after.status, after.total_minor, after.number) == ("PAID", 10000, row.number)
    draft = await invoices.create(
        principal,
        patient_id=patient.id,
        lines=[invoices.NewLine("Draft", Money(100), VatCategory.EXEMPT)],
    )
    await sql(db, f"DELETE FROM invoice_line WHERE invoice_id = '{draft.invoice.id}'")
    await sql(db, f"DELETE FROM invoice WHERE id = '{draft.invoice.id}'")


async def test_verify_ledger_finds_tampering(db: str, backend: str) -> None:
    practice, patient, _, desk = await _world()
    principal = await _principal(desk)
    rows = [await _issued(principal, patient, 1000 * (n + 1)) for n in range(3)]
    report = await ledger_integrity.verify()
    assert report.ok, report.lines
    assert report.lines == [f"practice {practice.id}: ok (3 entries)"]
    if backend == "postgres":  # the triggers refuse all of this there
        with pytest.raises(Exception, match="immutable"):
            await sql(db, f"UPDATE invoice SET total_minor = 1 WHERE id = '{rows[1].id}'")
        return
    await sql(db, f"UPDATE invoice SET total_minor = 1 WHERE id = '{rows[1].id}'")
    report = await ledger_integrity.verify(practice.id)
    assert not report.ok
    assert report.lines[0].startswith(f"practice {practice.id}: BROKEN at seq 2: invoice ")
    assert "total: ledger 2000, now 1" in report.lines[0]
    await sql(db, f"UPDATE invoice SET total_minor = 2000 WHERE id = '{rows[1].id}'")
    assert (await ledger_integrity.verify()).ok

    await sql(db, f"UPDATE invoice_line SET net_minor = 5 WHERE invoice_id = '{rows[0].id}'")
    report = await ledger_integrity.verify()
    assert "BROKEN at seq 1" in report.lines[0]
    assert "lines[0].net" in report.lines[0]
    await sql(db, f"UPDATE invoice_line SET net_minor = 1000 WHERE invoice_id = '{rows[0].id}'")

    entry = await LedgerEntry.get(entity_id=rows[2].id)
    await sql(
        db,
        "UPDATE ledger_entry SET content = replace(content, '3000', '3001') "
        f"WHERE id = '{entry.id}'",
    )
    report = await ledger_integrity.verify()
    assert report.lines == [f"practice {practice.id}: BROKEN at seq 3: entry content altered"]

    await sql(db, f"DELETE FROM ledger_entry WHERE seq = 2 AND practice_id = '{practice.id}'")
    report = await ledger_integrity.verify()
    assert report.lines == [f"practice {practice.id}: BROKEN at seq 2: entry missing"]


async def test_number_taken_only_by_a_successful_issue(db: str) -> None:
    _, patient, _, desk = await _world()
    principal = await _principal(desk)
    empty = await invoices.create(principal, patient_id=patient.id, lines=[])
    with pytest.raises(Conflict):
        await invoices.issue(principal, invoice_id=empty.invoice.id)
    row = await _issued(principal, patient)
    assert row.number is not None
    assert row.number.endswith("000001")
    assert (await Invoice.get(id=empty.invoice.id)).status == "DRAFT"


async def test_pdf_of_an_issued_invoice_same_rules_as_reading(client: httpx.AsyncClient) -> None:
    practice, patient, token, desk = await _world()
    principal = await _principal(desk)
    issued = await _issued(principal, patient, 12345)
    draft = await invoices.create(
        principal,
        patient_id=patient.id,
        lines=[invoices.NewLine("Later", Money(500), VatCategory.EXEMPT)],
    )

    async def get(invoice_id: object, bearer: str | None) -> httpx.Response:
        headers = {} if bearer is None else {"authorization": f"Bearer {bearer}"}
        return await client.get(f"/invoices/{invoice_id}.pdf", headers=headers)

    opened = await get(issued.id, token)
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.content.startswith(b"%PDF-")
    assert b"LWD-000001" in opened.content
    assert await AuditEvent.filter(action="OPEN invoice_pdf", entity_id=str(issued.id)).count()
    assert (await get(draft.invoice.id, token)).status_code == 404
    assert (await get(issued.id, None)).status_code == 401
    assert (await get("not-an-id", token)).status_code == 400
    _, _, other_token, _ = await _world("Other Practice")
    assert (await get(issued.id, other_token)).status_code == 404
    assert (await get(uuid4(), other_token)).status_code == 404
    assert practice.id == issued.practice_id


async def test_demo_month_of_invoices(db: str) -> None:
    import random

    from services.billing.demo_invoices import seed_invoices

    practice, patient, _, desk = await _world()
    patients = [patient, *[await factories.patient(practice) for _ in range(5)]]
    made = await seed_invoices(practice, patients, desk, random.Random(7))
    assert made == 6
    rows = await Invoice.filter(kind="INVOICE").order_by("sequence_number")
    assert [r.issued_at for r in rows] == sorted(r.issued_at for r in rows)  # type: ignore[type-var]
    assert await Invoice.filter(kind="CREDIT_NOTE").count() == 1
    assert (await ledger_integrity.verify()).ok


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_verify_ledger_command_exits_1_on_a_break(db: str, tmp_path: Any) -> None:
    from tests.test_cli import clean_env, run

    practice, patient, _, desk = await _world()
    principal = await _principal(desk)
    rows = [await _issued(principal, patient, 1000 * (n + 1)) for n in range(2)]
    env = clean_env(AESCRM_DATABASE_URL=db, AESCRM_VAR_DIR=str(tmp_path / "var"))
    good = await asyncio.to_thread(run, "verify-ledger", env=env)
    assert f"practice {practice.id}: ok (2 entries)" in good.stdout
    await sql(db, f"UPDATE invoice SET total_minor = 1 WHERE id = '{rows[0].id}'")
    broken = await asyncio.to_thread(
        run, "verify-ledger", "--practice", str(practice.id), env=env, check=False
    )
    assert broken.returncode == 1
    assert f"practice {practice.id}: BROKEN at seq 1: invoice LWD-000001 differs" in broken.stdout

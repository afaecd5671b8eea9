"""Aged debt, the day sheet and cash reconciliation through GraphQL: buckets by days past due,
takings by method and practitioner on the practice's calendar day, counted vs expected cash
with the difference kept, who may see them, and audited reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from db.models import AuditEvent, CashReconciliation, DomainEvent, Payment
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.billing_support import REFUND, TAKE, gbp, issued_invoice, ok

AGED = """
query A($p: ID!) { agedDebt(practiceId: $p) { practiceId asOf buckets { currency
  days0To30 { amount } days31To60 { amount } days61To90 { amount } over90Days { amount }
  total { amount } openInvoices } } }"""
SHEET = """
query D($p: ID!, $day: Date) { daySheet(practiceId: $p, day: $day) { day
  byMethod { key taken { amount } refunded { amount } net { amount } count }
  byPractitioner { key net { amount } }
  taken { amount } invoiced { amount } credited { amount } invoices } }"""
RECONCILE = """
mutation R($input: ReconcileCashInput!) { reconcileCash(input: $input) { reconciliation {
  id day expected { amount } counted { amount } difference { amount formatted } note } } }"""
LIST = """
query L($p: ID!, $after: String) { cashReconciliations(practiceId: $p, first: 1, after: $after) {
  edges { node { day difference { amount } note } } pageInfo { hasNextPage endCursor } } }"""


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


async def test_aged_debt_buckets_by_days_past_due(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    token = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    today = _today()
    for days, total in [
        (0, 100),
        (30, 200),
        (31, 400),
        (60, 800),
        (61, 1600),
        (90, 3200),
        (91, 6400),
        (400, 12800),
    ]:
        await issued_invoice(practice, patient, total, due=today - timedelta(days=days))
    await issued_invoice(practice, patient, 25600, due=today + timedelta(days=14))  # not due
    paid = await issued_invoice(practice, patient, 999, due=today - timedelta(days=200))
    await issued_invoice(practice, patient, 5000, due=today - timedelta(days=200), status="VOID")
    await ok(
        client,
        TAKE,
        token,
        patientId=str(patient.id),
        amount=gbp(999),
        method="CASH",
        allocations=[{"invoiceId": str(paid.id), "amount": gbp(999)}],
    )
    part = await issued_invoice(practice, patient, 1000, due=today - timedelta(days=45))
    await ok(
        client,
        TAKE,
        token,
        patientId=str(patient.id),
        amount=gbp(250),
        method="CASH",
        allocations=[{"invoiceId": str(part.id), "amount": gbp(250)}],
    )
    result = await gql(client, AGED, {"p": str(practice.id)}, token=token)
    assert result.errors == [], result.errors
    report = result.data["agedDebt"]
    assert report["asOf"] == today.isoformat()
    (gbp_row,) = report["buckets"]
    assert gbp_row["days0To30"]["amount"] == 100 + 200 + 25600
    assert gbp_row["days31To60"]["amount"] == 400 + 800 + 750
    assert gbp_row["days61To90"]["amount"] == 1600 + 3200
    assert gbp_row["over90Days"]["amount"] == 6400 + 12800
    assert gbp_row["openInvoices"] == 10
    assert gbp_row["total"]["amount"] == sum(
        gbp_row[k]["amount"] for k in ("days0To30", "days31To60", "days61To90", "over90Days")
    )
    assert await AuditEvent.filter(entity_type="AgedDebt", practice_id=practice.id).count() == 1


async def test_day_sheet_and_cash_reconciliation(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    desk_user = await factories.user(Role.RECEPTIONIST, practice)
    token = factories.access_token(desk_user)
    # Issued now, not the helper's hour ago: between midnight and 1 am that was yesterday.
    await issued_invoice(practice, patient, 20000, issued_at=datetime.now(UTC))
    cash = await ok(client, TAKE, token, patientId=str(patient.id), amount=gbp(5000), method="CASH")
    await ok(
        client,
        TAKE,
        token,
        patientId=str(patient.id),
        amount=gbp(7000),
        method="CARD",
        cardToken="pi_sheet1",
    )
    await ok(client, REFUND, token, paymentId=cash["id"], amount=gbp(1200), reason="Change")
    # Yesterday's takings are not today's.
    yesterday = await ok(
        client, TAKE, token, patientId=str(patient.id), amount=gbp(300), method="CASH"
    )
    await Payment.filter(id=yesterday["id"]).update(
        received_at=datetime.now(UTC) - timedelta(days=1, hours=1)
    )
    day = _today().isoformat()
    result = await gql(client, SHEET, {"p": str(practice.id), "day": day}, token=token)
    assert result.errors == [], result.errors
    sheet = result.data["daySheet"]
    by_method = {m["key"]: m for m in sheet["byMethod"]}
    assert by_method["CASH"]["taken"]["amount"] == 5000
    assert by_method["CASH"]["refunded"]["amount"] == 1200
    assert by_method["CASH"]["net"]["amount"] == 3800
    assert by_method["CARD"]["net"]["amount"] == 7000
    assert sheet["taken"]["amount"] == 10800
    assert (sheet["invoiced"]["amount"], sheet["invoices"]) == (20000, 1)

    short = await gql(
        client,
        RECONCILE,
        {
            "input": {
                "practiceId": str(practice.id),
                "day": day,
                "counted": gbp(3750),
                "note": "Float short by 50p",
            }
        },
        token=token,
    )
    assert short.errors == [], short.errors
    counted = short.data["reconcileCash"]["reconciliation"]
    assert (counted["expected"]["amount"], counted["counted"]["amount"]) == (3800, 3750)
    assert counted["difference"] == {"amount": -50, "formatted": "-£0.50"}
    assert counted["note"] == "Float short by 50p"
    stored = await CashReconciliation.get(id=counted["id"])
    assert stored.note != "Float short by 50p"  # encrypted at rest
    assert await DomainEvent.filter(type="CASH_RECONCILED", practice_id=practice.id).count() == 1
    assert await AuditEvent.filter(action="RECONCILE_CASH").count() == 1
    recount = await gql(
        client,
        RECONCILE,
        {"input": {"practiceId": str(practice.id), "day": day, "counted": gbp(3800)}},
        token=token,
    )
    assert recount.errors == []
    bad: list[dict[str, Any]] = [
        {"counted": gbp(-1)},
        {"counted": gbp(100), "note": "card 4242424242424242"},
        {"counted": {"amount": 100, "currency": "XXX"}},
    ]
    for values in bad:
        refused = await gql(
            client,
            RECONCILE,
            {"input": {"practiceId": str(practice.id), "day": day, **values}},
            token=token,
        )
        assert refused.codes == ["BAD_USER_INPUT"], values
    assert await CashReconciliation.filter(practice_id=practice.id).count() == 2
    page = await gql(client, LIST, {"p": str(practice.id)}, token=token)
    first = page.data["cashReconciliations"]
    assert first["pageInfo"]["hasNextPage"] is True
    nxt = await gql(
        client,
        LIST,
        {"p": str(practice.id), "after": first["pageInfo"]["endCursor"]},
        token=token,
    )
    differences = [
        e["node"]["difference"]["amount"]
        for e in first["edges"] + nxt.data["cashReconciliations"]["edges"]
    ]
    assert sorted(differences) == [-50, 0]


async def test_who_may_see_the_reports(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    other = await factories.practice()
    allowed = [Role.RECEPTIONIST, Role.DENTIST, Role.PRACTICE_ADMIN]
    for role in allowed:
        token = factories.access_token(await factories.user(role, practice))
        result = await gql(client, AGED, {"p": str(practice.id)}, token=token)
        assert result.errors == [], (role, result.errors)
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    for token in [own, factories.access_token(await factories.user(Role.RECEPTIONIST, other))]:
        result = await gql(client, SHEET, {"p": str(practice.id)}, token=token)
        assert result.data["daySheet"] is None
        assert result.codes
        assert result.codes[0] in {"NOT_FOUND", "FORBIDDEN"}
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    refused = await gql(
        client,
        RECONCILE,
        {"input": {"practiceId": str(practice.id), "day": _today().isoformat(), "counted": gbp(1)}},
        token=dentist,
    )
    assert refused.codes == ["FORBIDDEN"]

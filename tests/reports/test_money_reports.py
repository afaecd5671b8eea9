"""The money reports against the hand-computed ledger of ``money_ledger`` (every expected figure
is worked out in its docstring): takings by method and practitioner with the average transaction
value, invoiced vs taken, aged debt, deposits, treatment-plan acceptance and memberships; the
payment at 00:30 local the day after the clocks went forward; the organisation roll-up (the sum
of its practices, never another organisation's); who may ask; one audit row per read; at most
three SQL statements per report."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from db.models import AuditEvent
from services import tenant_gate
from services.auth.principal_loader import principal_for_user
from services.billing import day_sheet
from services.policy import Role
from services.principal import RequestMeta
from services.reports import debt, deposits, invoiced, memberships, plan_acceptance, takings
from tests import factories
from tests.factories import gql
from tests.reports.money_ledger import ledger
from tests.reports.report_support import group, token_for
from tests.sql_counter import count_statements

WEEKS = {"from": "2026-03-23", "to": "2026-04-05", "grouping": "WEEK"}

LINES = "received { amount } refunded { amount } net { amount } payments refunds"
TAKINGS = f"""
fragment F on TakingsFigures {{ firstDay lastDay
  totals {{ currency {LINES} averageTransactionValue {{ amount currency }} }}
  byMethod {{ method currency {LINES} }}
  byPractitioner {{ practitionerId practitionerName currency {LINES} }} }}"""
INVOICED = """
fragment F on InvoicedVsTakenFigures { firstDay lastDay currencies { currency
  invoiced { amount } invoices credited { amount } creditNotes netInvoiced { amount }
  netTaken { amount } difference { amount } } }"""
DEPOSITS = """
fragment F on DepositFigures { firstDay lastDay currencies { currency
  taken takenAmount { amount } applied appliedAmount { amount } refunded refundedAmount { amount }
  forfeited forfeitedAmount { amount } held heldAmount { amount } } }"""
PLANS = """
fragment F on PlanAcceptanceFigures { firstDay lastDay proposed proposedValue { amount currency }
  accepted acceptedValue { amount } completed completedValue { amount } declined
  declinedValue { amount } acceptanceRate valueAcceptanceRate }"""
MEMBERS = """
fragment F on MembershipFigures { firstDay lastDay
  totals { currency joined left active monthlyRecurringRevenue { amount } }
  plans { planId planName currency monthlyFee { amount } joined left active
    monthlyRecurringRevenue { amount } } }"""
SERIES = "practice { id } buckets { ...F } total { ...F }"


def _doc(field: str, fragment: str) -> str:
    return f"""
query R($p: ID, $o: ID, $period: ReportPeriodInput!) {{
  {field}(practiceId: $p, organizationId: $o, period: $period) {{
    scope {{ name organizationId firstDay lastDay grouping }}
    practices {{ {SERIES} }} combined {{ {SERIES} }} }} }}
{fragment}"""


AGED = """
query R($p: ID, $o: ID, $period: ReportPeriodInput!) {
  agedDebtReport(practiceId: $p, organizationId: $o, period: $period) {
    scope { name organizationId }
    practices { practice { id } asOf currencies { ...A } }
    combined { practice { id } asOf currencies { ...A } } } }
fragment A on AgedDebtAmounts { currency days0To30 { amount } days31To60 { amount }
  days61To90 { amount } over90Days { amount } total { amount } openInvoices }"""

REPORTS = {
    "takingsReport": _doc("takingsReport", TAKINGS),
    "invoicedVsTakenReport": _doc("invoicedVsTakenReport", INVOICED),
    "agedDebtReport": AGED,
    "depositsReport": _doc("depositsReport", DEPOSITS),
    "treatmentPlanAcceptanceReport": _doc("treatmentPlanAcceptanceReport", PLANS),
    "membershipReport": _doc("membershipReport", MEMBERS),
}


def plain(value: Any) -> Any:
    """Money objects as their minor units (currencies are asserted where they are written)."""
    if isinstance(value, dict):
        if set(value) == {"amount"}:
            return value["amount"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


async def _read(
    client: httpx.AsyncClient,
    field: str,
    token: str,
    period: dict[str, str] = WEEKS,
    **where: str,
) -> dict[str, Any]:
    result = await gql(client, REPORTS[field], {**where, "period": period}, token=token)
    assert result.errors == [], result.errors
    found: dict[str, Any] = plain(result.data[field])
    return found


def _takings(received: int, refunded: int, payments: int, refunds: int) -> dict[str, int]:
    return {
        "received": received,
        "refunded": refunded,
        "net": received - refunded,
        "payments": payments,
        "refunds": refunds,
    }


async def test_takings_and_invoiced_by_the_practices_own_weeks_and_days(
    client: httpx.AsyncClient,
) -> None:
    money = await ledger()
    a = money.group.a
    token = await token_for(Role.PRACTICE_ADMIN, a)
    report = await _read(client, "takingsReport", token, p=str(a.practice.id))
    assert report["scope"] == {
        "name": "takings",
        "organizationId": None,
        "firstDay": "2026-03-23",
        "lastDay": "2026-04-05",
        "grouping": "WEEK",
    }
    (series,) = report["practices"]
    first, second = series["buckets"]
    dentist, hygienist = str(a.dentist.id), str(money.hygienist.id)
    assert (first["firstDay"], first["lastDay"]) == ("2026-03-23", "2026-03-29")
    assert first["totals"] == [
        {
            "currency": "GBP",
            **_takings(27000, 0, 3, 0),
            "averageTransactionValue": {"amount": 9000, "currency": "GBP"},
        }
    ]
    assert first["byMethod"] == [
        {"method": "CARD", "currency": "GBP", **_takings(17000, 0, 2, 0)},
        {"method": "CASH", "currency": "GBP", **_takings(10000, 0, 1, 0)},
    ]
    by_who = {x["practitionerId"]: x for x in first["byPractitioner"]}
    assert set(by_who) == {dentist, None}
    assert by_who[dentist] == {
        "practitionerId": dentist,
        "practitionerName": a.dentist.display_name,
        "currency": "GBP",
        **_takings(17000, 0, 2, 0),
    }
    assert first["byPractitioner"][-1] == {
        "practitionerId": None,
        "practitionerName": None,
        "currency": "GBP",
        **_takings(10000, 0, 1, 0),
    }
    # The payment at 00:30 BST on Monday 30 March (23:30 UTC on the Sunday) is the second
    # week's; 90.01 over 2 payments is 45.005, rounded half away from zero to 45.01.
    assert (second["firstDay"], second["lastDay"]) == ("2026-03-30", "2026-04-05")
    assert second["totals"] == [
        {
            "currency": "GBP",
            **_takings(11001, 2000, 2, 1),
            "averageTransactionValue": {"amount": 4501, "currency": "GBP"},
        }
    ]
    assert second["byMethod"] == [
        {"method": "CARD", "currency": "GBP", **_takings(8000, 2000, 1, 1)},
        {"method": "CASH", "currency": "GBP", **_takings(3001, 0, 1, 0)},
    ]
    by_who = {x["practitionerId"]: x for x in second["byPractitioner"]}
    assert set(by_who) == {dentist, hygienist}
    assert by_who[dentist]["received"] == 3001
    assert (by_who[dentist]["refunded"], by_who[dentist]["refunds"]) == (2000, 1)
    assert by_who[hygienist] == {
        "practitionerId": hygienist,
        "practitionerName": money.hygienist.display_name,
        "currency": "GBP",
        **_takings(8000, 0, 1, 0),
    }
    # The period: 360.01 over 5 payments is 72.002 → 72.00 (not the mean of 90.00 and 45.01).
    total = series["total"]
    assert total["totals"][0]["averageTransactionValue"]["amount"] == 7200
    assert {k: total["totals"][0][k] for k in ("received", "refunded", "net", "payments")} == {
        "received": 38001,
        "refunded": 2000,
        "net": 36001,
        "payments": 5,
    }
    assert [(x["method"], x["net"], x["payments"]) for x in total["byMethod"]] == [
        ("CARD", 23000, 3),
        ("CASH", 13001, 2),
    ]
    by_who = {x["practitionerId"]: (x["net"], x["payments"]) for x in total["byPractitioner"]}
    assert by_who == {dentist: (18001, 3), hygienist: (8000, 1), None: (10000, 1)}
    assert report["combined"]["total"] == total

    shown = await _read(client, "invoicedVsTakenReport", token, p=str(a.practice.id))
    weeks = [b["currencies"] for b in shown["practices"][0]["buckets"]]
    assert weeks == [
        [
            {
                "currency": "GBP",
                "invoiced": 35000,
                "invoices": 2,
                "credited": 0,
                "creditNotes": 0,
                "netInvoiced": 35000,
                "netTaken": 27000,
                "difference": 8000,
            }
        ],
        [
            {
                "currency": "GBP",
                "invoiced": 10000,  # I3 at 00:20 BST on Monday: the second week's too
                "invoices": 1,
                "credited": 5000,
                "creditNotes": 1,
                "netInvoiced": 5000,
                "netTaken": 9001,
                "difference": -4001,
            }
        ],
    ]
    assert shown["practices"][0]["total"]["currencies"] == [
        {
            "currency": "GBP",
            "invoiced": 45000,
            "invoices": 3,
            "credited": 5000,
            "creditNotes": 1,
            "netInvoiced": 40000,
            "netTaken": 36001,
            "difference": 3999,
        }
    ]

    # Local days around the change: Sunday 29th has nothing, Monday 30th the 00:20 invoice and
    # the 00:30 payment (both before midnight UTC).
    days = {"from": "2026-03-29", "to": "2026-03-30", "grouping": "DAY"}
    cut = await _read(client, "takingsReport", token, days, p=str(a.practice.id))
    assert [
        (b["firstDay"], [t["net"] for t in b["totals"]]) for b in cut["combined"]["buckets"]
    ] == [
        ("2026-03-29", []),
        ("2026-03-30", [8000]),
    ]
    cut = await _read(client, "invoicedVsTakenReport", token, days, p=str(a.practice.id))
    assert [[c["invoiced"] for c in b["currencies"]] for b in cut["combined"]["buckets"]] == [
        [],
        [10000],
    ]

    # One day is the day sheet's day, by the same rules: Wednesday 1 April (D2 taken, R1 paid).
    april = {"from": "2026-04-01", "to": "2026-04-01", "grouping": "DAY"}
    cut = await _read(client, "takingsReport", token, april, p=str(a.practice.id))
    sheet = await day_sheet.sheet_of(tenant_gate.operator_practice(a.practice.id), date(2026, 4, 1))
    (day,) = cut["combined"]["total"]["totals"]
    assert day["net"] == sheet.taken_minor == 1001
    assert {
        (x["practitionerId"] or "", x["received"], x["refunded"])
        for x in cut["combined"]["total"]["byPractitioner"]
    } == {(t.key, t.taken_minor, t.refunded_minor) for t in sheet.by_practitioner}
    assert {(x["method"], x["net"]) for x in cut["combined"]["total"]["byMethod"]} == {
        (t.key, t.net_minor) for t in sheet.by_method
    }


async def test_aged_debt_and_deposits(client: httpx.AsyncClient) -> None:
    money = await ledger()
    a = money.group.a
    token = await token_for(Role.PRACTICE_ADMIN, a)
    aged = await _read(client, "agedDebtReport", token, p=str(a.practice.id))
    (position,) = aged["practices"]
    assert position["asOf"] == "2026-04-05"
    assert position["currencies"] == [
        {
            "currency": "GBP",
            "days0To30": 16600,
            "days31To60": 3700,
            "days61To90": 7000,
            "over90Days": 1500,
            "total": 28800,
            "openInvoices": 8,
        }
    ]
    assert aged["combined"]["currencies"] == position["currencies"]

    held = await _read(client, "depositsReport", token, p=str(a.practice.id))
    series = held["practices"][0]
    zero = {"refunded": 0, "refundedAmount": 0}
    assert [b["currencies"] for b in series["buckets"]] == [
        [
            {
                "currency": "GBP",
                "taken": 1,
                "takenAmount": 5000,
                "applied": 1,
                "appliedAmount": 2500,
                **zero,
                "forfeited": 0,
                "forfeitedAmount": 0,
                "held": 1,
                "heldAmount": 5000,
            }
        ],
        [
            {
                "currency": "GBP",
                "taken": 1,
                "takenAmount": 3001,
                "applied": 0,
                "appliedAmount": 0,
                **zero,
                "forfeited": 1,
                "forfeitedAmount": 5000,
                "held": 1,
                "heldAmount": 3001,
            }
        ],
    ]
    assert series["total"]["currencies"] == [
        {
            "currency": "GBP",
            "taken": 2,
            "takenAmount": 8001,
            "applied": 1,
            "appliedAmount": 2500,
            **zero,
            "forfeited": 1,
            "forfeitedAmount": 5000,
            "held": 1,
            "heldAmount": 3001,
        }
    ]
    # A single day mid-period starts from the level held before it: on Tuesday 31 March D1
    # is forfeited, leaving nothing held (D0 applied on the 25th, D2 not yet taken).
    day = {"from": "2026-03-31", "to": "2026-03-31", "grouping": "DAY"}
    one = await _read(client, "depositsReport", token, day, p=str(a.practice.id))
    (only,) = one["combined"]["total"]["currencies"]
    assert (only["forfeited"], only["held"], only["heldAmount"]) == (1, 0, 0)


async def test_plan_acceptance_and_memberships(client: httpx.AsyncClient) -> None:
    money = await ledger()
    a = money.group.a
    token = await token_for(Role.PRACTICE_ADMIN, a)
    plans = await _read(client, "treatmentPlanAcceptanceReport", token, p=str(a.practice.id))
    series = plans["practices"][0]
    figures = [*series["buckets"], series["total"]]
    assert [{k: v for k, v in f.items() if k not in ("firstDay", "lastDay")} for f in figures] == [
        {
            "proposed": 2,
            "proposedValue": {"amount": 35000, "currency": "GBP"},
            "accepted": 1,
            "acceptedValue": 15000,
            "completed": 1,
            "completedValue": 15000,
            "declined": 1,
            "declinedValue": 20000,
            "acceptanceRate": 0.5,
            "valueAcceptanceRate": 0.4286,
        },
        {
            "proposed": 2,
            "proposedValue": {"amount": 22000, "currency": "GBP"},
            "accepted": 1,
            "acceptedValue": 12000,
            "completed": 0,
            "completedValue": 0,
            "declined": 0,
            "declinedValue": 0,
            "acceptanceRate": 0.5,
            "valueAcceptanceRate": 0.5455,
        },
        {
            "proposed": 4,
            "proposedValue": {"amount": 57000, "currency": "GBP"},
            "accepted": 2,
            "acceptedValue": 27000,
            "completed": 1,
            "completedValue": 15000,
            "declined": 1,
            "declinedValue": 20000,
            "acceptanceRate": 0.5,
            "valueAcceptanceRate": 0.4737,
        },
    ]

    members = await _read(client, "membershipReport", token, p=str(a.practice.id))
    series = members["practices"][0]
    essentials, family = str(money.essentials.id), str(money.family.id)

    def plan_rows(f: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
        return {
            p["planId"]: (p["joined"], p["left"], p["active"], p["monthlyRecurringRevenue"])
            for p in f["plans"]
        }

    first, second = series["buckets"]
    assert plan_rows(first) == {essentials: (0, 1, 1, 1500), family: (1, 0, 1, 2500)}
    assert plan_rows(second) == {essentials: (1, 1, 1, 1500), family: (0, 0, 1, 2500)}
    assert plan_rows(series["total"]) == {essentials: (1, 2, 1, 1500), family: (1, 0, 1, 2500)}
    assert [p["planName"] for p in first["plans"]] == ["Essentials", "Family"]
    assert [p["monthlyFee"] for p in first["plans"]] == [1500, 2500]
    for f, totals in (
        (first, (1, 1, 2, 4000)),
        (second, (1, 1, 2, 4000)),
        (series["total"], (2, 2, 2, 4000)),
    ):
        assert f["totals"] == [
            {
                "currency": "GBP",
                "joined": totals[0],
                "left": totals[1],
                "active": totals[2],
                "monthlyRecurringRevenue": totals[3],
            }
        ]


def _total(report: dict[str, Any], field: str) -> Any:
    if field == "agedDebtReport":
        return report["combined"]["currencies"]
    return report["combined"]["total"]


async def test_the_roll_up_is_the_sum_of_its_practices_and_never_another_organisation(
    client: httpx.AsyncClient,
) -> None:
    money = await ledger()
    g = money.group
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    org = str(g.organization.id)
    found = {field: await _read(client, field, token, o=org) for field in REPORTS}
    for field, report in found.items():
        assert report["scope"]["organizationId"] == org, field
        ids = {s["practice"]["id"] for s in report["practices"]}
        assert ids == {str(g.a.practice.id), str(g.b.practice.id)}, field
        assert report["combined"]["practice"] is None, field
    # Takings: A 380.01 + B 60.00 (a payment and a deposit) received; 20.00 refunded.
    (total,) = found["takingsReport"]["combined"]["total"]["totals"]
    assert (total["received"], total["net"], total["payments"]) == (44001, 42001, 7)
    assert total["averageTransactionValue"]["amount"] == 6000  # 420.01 ÷ 7 = 60.0014
    combined_weeks = found["takingsReport"]["combined"]["buckets"]
    assert [b["totals"][0]["net"] for b in combined_weeks] == [33000, 9001]
    assert [b["totals"][0]["averageTransactionValue"]["amount"] for b in combined_weeks] == [
        6600,  # 330.00 ÷ 5
        4501,
    ]
    b_dentist = str(g.b.dentist.id)
    by_who = {
        x["practitionerId"]: x["net"]
        for x in found["takingsReport"]["combined"]["total"]["byPractitioner"]
    }
    assert by_who == {
        str(g.a.dentist.id): 18001,
        str(money.hygienist.id): 8000,
        b_dentist: 5000,
        None: 11000,  # A's cash 100.00 and B's deposit 10.00
    }
    (issued,) = found["invoicedVsTakenReport"]["combined"]["total"]["currencies"]
    assert (issued["invoiced"], issued["invoices"], issued["credited"]) == (50000, 4, 5000)
    assert (issued["netInvoiced"], issued["netTaken"], issued["difference"]) == (
        45000,
        42001,
        2999,
    )
    assert found["agedDebtReport"]["combined"]["currencies"] == [
        {
            "currency": "GBP",
            "days0To30": 16600,
            "days31To60": 6200,
            "days61To90": 7000,
            "over90Days": 1500,
            "total": 31300,
            "openInvoices": 9,
        }
    ]
    assert found["agedDebtReport"]["combined"]["asOf"] == "2026-04-05"
    (held,) = found["depositsReport"]["combined"]["total"]["currencies"]
    assert (held["taken"], held["takenAmount"], held["held"], held["heldAmount"]) == (
        3,
        9001,
        2,
        4001,
    )
    assert [
        b["currencies"][0]["heldAmount"] for b in found["depositsReport"]["combined"]["buckets"]
    ] == [
        6000,
        4001,
    ]
    plans = found["treatmentPlanAcceptanceReport"]["combined"]["total"]
    assert (plans["proposed"], plans["accepted"], plans["acceptanceRate"]) == (5, 3, 0.6)
    assert (plans["proposedValue"]["amount"], plans["valueAcceptanceRate"]) == (60000, 0.5)
    members = found["membershipReport"]["combined"]["total"]
    assert members["totals"] == [
        {"currency": "GBP", "joined": 2, "left": 2, "active": 3, "monthlyRecurringRevenue": 5800}
    ]
    assert {p["planId"] for p in members["plans"]} == {
        str(money.essentials.id),
        str(money.family.id),
        str(money.b_essentials.id),
    }
    # Each combined figure is exactly the sum of the practice reports asked one by one.
    admin = await token_for(Role.ORG_ADMIN, org=g.organization)
    for field in REPORTS:
        a = await _read(client, field, admin, p=str(g.a.practice.id))
        b = await _read(client, field, admin, p=str(g.b.practice.id))
        assert _canon(_total(found[field], field)) == _summed(_total(a, field), _total(b, field)), (
            field
        )


RATES = ("acceptanceRate", "valueAcceptanceRate", "averageTransactionValue")
KEYS = ("currency", "method", "practitionerId", "planId")


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row.get(k)) for k in KEYS)


def _canon(value: Any) -> Any:
    """Rates dropped (they are checked from sums above), rows in one order."""
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items() if k not in RATES}
    if isinstance(value, list):
        return sorted((_canon(v) for v in value), key=_key)
    return value


def _summed(a: Any, b: Any) -> Any:
    """Two practices' figures added field by field, rows merged by what identifies them."""
    if isinstance(a, dict):
        return {
            k: a[k] if isinstance(a[k], str) or k == "monthlyFee" else _summed(a[k], b[k])
            for k in a
            if k not in RATES
        }
    if isinstance(a, list):
        merged = {_key(r): _canon(r) for r in a}
        for r in b:
            merged[_key(r)] = _summed(merged[_key(r)], r) if _key(r) in merged else _canon(r)
        return sorted(merged.values(), key=_key)
    return None if a is None else a + b  # no practitioner: null on both sides


async def test_who_may_ask_and_each_read_is_one_audit_row(client: httpx.AsyncClient) -> None:
    g = await group()
    admin = await token_for(Role.PRACTICE_ADMIN, g.a)
    org_admin = await token_for(Role.ORG_ADMIN, org=g.organization)
    receptionist = await token_for(Role.RECEPTIONIST, g.a)
    practice, period = str(g.a.practice.id), {"period": WEEKS}
    for field, doc in REPORTS.items():
        mine = await gql(client, doc, {"p": practice, **period}, token=admin)
        assert mine.errors == [], (field, mine.errors)
        rows = await AuditEvent.filter(entity_type=f"Report:{mine.data[field]['scope']['name']}")
        assert len(rows) == 1, field
        assert str(rows[0].practice_id) == practice
        assert f"practiceId={practice}" in rows[0].fields_read
        assert "from=2026-03-23" in rows[0].fields_read
        rollup = {"o": str(g.organization.id), **period}
        assert (await gql(client, doc, rollup, token=admin)).codes == ["FORBIDDEN"], field
        foreign = await gql(client, doc, {"p": str(g.other.practice.id), **period}, token=admin)
        random = await gql(
            client, doc, {"p": "6f1c7a38-0000-4000-8000-000000000001", **period}, token=admin
        )
        assert foreign.codes == random.codes == ["NOT_FOUND"], field
        assert foreign.errors[0]["message"] == random.errors[0]["message"]
        other_org = {"o": str(g.other.practice.organization_id), **period}
        assert (await gql(client, doc, other_org, token=org_admin)).codes == ["NOT_FOUND"]
        refused = await gql(client, doc, {"p": practice, **period}, token=receptionist)
        assert refused.codes == ["FORBIDDEN"], field
        assert refused.data[field] is None
        too_long = {"from": "2024-01-01", "to": "2026-01-02", "grouping": "DAY"}
        bad = await gql(client, doc, {"p": practice, "period": too_long}, token=admin)
        assert bad.codes == ["BAD_USER_INPUT"], field


SERVICES = (takings, invoiced, debt, deposits, plan_acceptance, memberships)


async def test_each_report_is_at_most_three_statements(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reach (one) and the report's own aggregate, whatever the ledger holds: a roll-up over
    the organisation, by day over the two weeks."""
    money = await ledger()
    g = money.group
    user = await factories.user(Role.ORG_ADMIN, None, org=g.organization)
    principal = await principal_for_user(user, mfa_passed=True, claims={}, meta=RequestMeta())
    period = {"first_day": date(2026, 3, 23), "last_day": date(2026, 4, 5), "grouping": "DAY"}
    for service in SERVICES:
        with count_statements(monkeypatch) as statements:
            found = await service.report(
                principal, practice_id=None, organization_id=g.organization.id, **period
            )
        assert len(found.practices) == 2
        assert len(statements) <= 3, (service.__name__, statements)
        assert len(statements.matching("WITH ")) == 1, service.__name__  # one aggregate

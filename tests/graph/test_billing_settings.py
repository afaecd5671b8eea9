"""Billing settings through GraphQL, on both backends: read with billing:read, changed by a
practice admin only (billing:write and practice:write in that practice), each value checked,
the currency frozen once money is on the books, and every change audited with its old and new
value in the same unit of work as its ``billing`` event. The refund approval limit set here is
the one ``refundPayment`` applies."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from db.models import AuditEvent, BillingSettings, DomainEvent, Membership, Practice
from services.billing.money import MAX_MINOR
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.graph.billing_support import REFUND, TAKE, gbp, issued_invoice, ok, run

FIELDS = """practiceId currency depositForfeitPolicy updatedAt
  refundApprovalLimit { amount currency formatted }"""
READ = f"query S($p: ID!) {{ billingSettings(practiceId: $p) {{ {FIELDS} }} }}"
UPDATE = (
    "mutation U($input: UpdateBillingSettingsInput!) { updateBillingSettings(input: $input) "
    f"{{ settings {{ {FIELDS} }} }} }}"
)


async def _update(
    client: httpx.AsyncClient, token: str, practice: Practice | str, **values: Any
) -> GraphQLResult:
    pid = practice if isinstance(practice, str) else str(practice.id)
    return await gql(client, UPDATE, {"input": {"practiceId": pid, **values}}, token=token)


async def _read(client: httpx.AsyncClient, token: str, practice: Practice) -> dict[str, Any]:
    result = await gql(client, READ, {"p": str(practice.id)}, token=token)
    assert result.errors == [], result.errors
    found: dict[str, Any] = result.data["billingSettings"]
    return found


async def _nothing_changed(practice: Practice) -> tuple[Any, ...]:
    rows = await BillingSettings.filter(practice_id=practice.id).values_list(
        "currency", "refund_approval_limit_minor", "deposit_forfeit_policy"
    )
    return (
        rows,
        await AuditEvent.filter(action="UPDATE billing_settings", outcome="OK").count(),
        await DomainEvent.filter(type="BILLING_SETTINGS_CHANGED").count(),
    )


async def _staff(practice: Practice, role: Role) -> str:
    return factories.access_token(await factories.user(role, practice))


async def test_admin_lowers_the_limit_and_refunds_above_it_then_need_approval(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    desk = await _staff(practice, Role.RECEPTIONIST)
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    admin_token = factories.access_token(admin)
    assert await _read(client, desk, practice) == {
        "practiceId": str(practice.id),
        "currency": "GBP",
        "depositForfeitPolicy": "FORFEIT_LATE_OR_DNA",
        "updatedAt": None,
        "refundApprovalLimit": {"amount": 10_000, "currency": "GBP", "formatted": "£100.00"},
    }
    await issued_invoice(practice, patient, 6_000)
    paid = await ok(client, TAKE, desk, patientId=str(patient.id), amount=gbp(6_000), method="CASH")
    refund = {"paymentId": paid["id"], "amount": gbp(1_500), "reason": "Overcharged"}
    await ok(client, REFUND, desk, **refund)  # under the default £100: no approval needed

    changed = await _update(
        client, admin_token, practice, refundApprovalLimit=gbp(1_000), currency="GBP"
    )
    assert changed.errors == [], changed.errors
    settings = changed.data["updateBillingSettings"]["settings"]
    assert settings["refundApprovalLimit"]["amount"] == 1_000
    assert settings["updatedAt"] is not None

    needs_approval = await run(client, REFUND, desk, **refund)
    assert needs_approval.codes == ["FORBIDDEN"]
    assert "1000" in needs_approval.errors[0]["message"]
    await ok(client, REFUND, desk, **{**refund, "amount": gbp(1_000)})  # at the limit: fine

    audited = await AuditEvent.get(action="UPDATE billing_settings", outcome="OK")
    assert audited.actor_user_id == admin.id
    assert str(audited.practice_id) == str(practice.id)
    assert audited.entity_type == "BillingSettings"
    assert audited.fields_read == ["refundApprovalLimit: 10000 -> 1000"]  # currency unchanged
    event = await DomainEvent.get(type="BILLING_SETTINGS_CHANGED")
    assert (event.topic, str(event.practice_id), event.patient_id) == (
        "billing",
        str(practice.id),
        None,
    )
    assert event.payload["changed"] == {"refundApprovalLimit": {"from": "10000", "to": "1000"}}
    assert event.payload["actor"]["user_id"] == str(admin.id)
    assert (await _read(client, desk, practice))["refundApprovalLimit"]["amount"] == 1_000

    # The same values again change nothing and write nothing.
    before = await _nothing_changed(practice)
    again = await _update(client, admin_token, practice, refundApprovalLimit=gbp(1_000))
    assert again.errors == []
    assert await _nothing_changed(practice) == before


async def test_reception_cannot_raise_its_own_limit(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    elsewhere = await factories.practice()
    desk_user = await factories.user(Role.RECEPTIONIST, practice)
    # Admin of another practice: that does not make them an admin here.
    await Membership.create(user=desk_user, role=Role.PRACTICE_ADMIN.value, practice=elsewhere)
    before = await _nothing_changed(practice)
    raise_it = {"refundApprovalLimit": gbp(MAX_MINOR)}
    for token in (
        factories.access_token(desk_user),
        await _staff(practice, Role.RECEPTIONIST),
        await _staff(practice, Role.DENTIST),
        factories.access_token(
            await factories.user(Role.ORG_ADMIN, org=await practice.organization)
        ),
    ):
        refused = await _update(client, token, practice, **raise_it)
        assert refused.codes == ["FORBIDDEN"], refused.errors
        assert refused.data == {"updateBillingSettings": None}
    assert await _nothing_changed(practice) == before
    denied = await AuditEvent.filter(actor_user_id=desk_user.id, outcome="DENIED")
    assert [d.action for d in denied] == ["UPDATE billing_settings"]
    # Reading is billing:read: reception may look.
    assert (await _read(client, factories.access_token(desk_user), practice))["currency"] == "GBP"


async def test_bad_values_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    admin = await _staff(practice, Role.PRACTICE_ADMIN)
    before = await _nothing_changed(practice)
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        ({"refundApprovalLimit": gbp(-1)}, "BAD_USER_INPUT", "refundApprovalLimit"),
        ({"refundApprovalLimit": gbp(MAX_MINOR + 1)}, "BAD_USER_INPUT", "refundApprovalLimit"),
        (
            {"refundApprovalLimit": {"amount": 500, "currency": "EUR"}},
            "BAD_USER_INPUT",
            "refundApprovalLimit",
        ),
        ({"refundApprovalLimit": {"amount": 500, "currency": "XYZ"}}, "BAD_USER_INPUT", "currency"),
        ({"currency": "XYZ"}, "BAD_USER_INPUT", "currency"),
        ({"currency": "gbp"}, "BAD_USER_INPUT", "currency"),
        (
            {"currency": "EUR", "refundApprovalLimit": gbp(500)},
            "BAD_USER_INPUT",
            "refundApprovalLimit",
        ),
        ({"depositForfeitPolicy": "KEEP_EVERYTHING"}, "BAD_USER_INPUT", "depositForfeitPolicy"),
        ({"practiceId": "nope"}, "BAD_USER_INPUT", "practiceId"),
    ]
    for values, code, field in cases:
        result = await _update(client, admin, practice, **values)
        assert result.codes == [code], (values, result.errors)
        assert result.errors[0]["extensions"].get("field") == field, values
    assert await _nothing_changed(practice) == before
    # Zero is a limit too: every refund then needs approval.
    zero = await _update(client, admin, practice, refundApprovalLimit=gbp(0))
    assert zero.data["updateBillingSettings"]["settings"]["refundApprovalLimit"]["amount"] == 0


async def test_currency_changes_until_money_is_on_the_books(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    admin = await _staff(practice, Role.PRACTICE_ADMIN)
    await issued_invoice(practice, patient, 1_000, status="DRAFT")  # a draft is not on the books
    changed = await _update(
        client,
        admin,
        practice,
        currency="EUR",
        refundApprovalLimit={"amount": 20_000, "currency": "EUR"},
        depositForfeitPolicy="ALWAYS_REFUND",
    )
    assert changed.errors == [], changed.errors
    assert changed.data["updateBillingSettings"]["settings"]["refundApprovalLimit"] == {
        "amount": 20_000,
        "currency": "EUR",
        "formatted": "€200.00",
    }
    audited = await AuditEvent.get(action="UPDATE billing_settings", outcome="OK")
    assert sorted(audited.fields_read) == [
        "currency: GBP -> EUR",
        "depositForfeitPolicy: FORFEIT_LATE_OR_DNA -> ALWAYS_REFUND",
        "refundApprovalLimit: 10000 -> 20000",
    ]
    await issued_invoice(practice, patient, 1_000, currency="EUR")
    before = await _nothing_changed(practice)
    frozen = await _update(client, admin, practice, currency="GBP")
    assert frozen.codes == ["CONFLICT"]
    assert frozen.errors[0]["extensions"]["field"] == "currency"
    assert await _nothing_changed(practice) == before
    same = await _update(
        client, admin, practice, currency="EUR", depositForfeitPolicy="ALWAYS_REFUND"
    )
    assert same.errors == []  # naming the currency it already has is no change


async def test_another_practice_answers_like_a_random_id(client: httpx.AsyncClient) -> None:
    mine = await factories.practice()
    theirs = await factories.practice()
    admin = await _staff(mine, Role.PRACTICE_ADMIN)
    values = {"refundApprovalLimit": gbp(1)}
    foreign = await _update(client, admin, theirs, **values)
    random = await _update(client, admin, str(uuid4()), **values)
    assert foreign.codes == ["NOT_FOUND"]
    assert foreign.body == random.body
    read_foreign = await gql(client, READ, {"p": str(theirs.id)}, token=admin)
    read_random = await gql(client, READ, {"p": str(uuid4())}, token=admin)
    assert read_foreign.codes == ["NOT_FOUND"]
    assert read_foreign.body == read_random.body
    assert await BillingSettings.all().count() == 0

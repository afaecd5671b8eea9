"""Payments through GraphQL: part payments, oldest-first and explicit allocation, credit on
account applied later, refunds to the original method (limits, approver, un-allocation), the
balance and statement, card numbers refused anywhere, and refusals that change nothing."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pyotp

from db.models import (
    AuditEvent,
    BillingSettings,
    DomainEvent,
    Invoice,
    LedgerEntry,
    Patient,
    Payment,
    Practice,
    User,
)
from services.auth import mfa
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.billing_support import (
    ACCOUNT,
    ALLOCATE,
    REFUND,
    TAKE,
    gbp,
    issued_invoice,
    ok,
    run,
)

CARD = "4242 4242 4242 4242"


async def _world() -> tuple[Practice, Patient, str]:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    desk = await factories.user(Role.RECEPTIONIST, practice)
    return practice, patient, factories.access_token(desk)


async def _state(patient: Patient) -> tuple[Any, ...]:
    invoices = await Invoice.filter(patient_id=patient.id).order_by("id")
    return (
        [(str(i.id), i.paid_minor, i.status) for i in invoices],
        await Payment.filter(patient_id=patient.id).count(),
        await LedgerEntry.all().count(),
        await DomainEvent.filter(topic="billing").count(),
    )


async def _account(client: httpx.AsyncClient, patient: Patient, token: str, **dates: str) -> Any:
    result = await gql(client, ACCOUNT, {"p": str(patient.id), **dates}, token=token)
    assert result.errors == [], result.errors
    return result.data["patient"]["account"]


async def test_part_payment_oldest_first_then_credit_on_account(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token = await _world()
    older = await issued_invoice(practice, patient, 5000)
    newer = await issued_invoice(practice, patient, 3000)
    part = await ok(client, TAKE, token, patientId=str(patient.id), amount=gbp(6000), method="CASH")
    assert part["kind"] == "PAYMENT"
    assert part["amount"] == {"amount": 6000, "currency": "GBP", "formatted": "£60.00"}
    assert [(a["invoiceId"], a["amount"]["amount"]) for a in part["allocations"]] == [
        (str(older.id), 5000),
        (str(newer.id), 1000),
    ]
    assert part["unallocated"]["amount"] == 0
    await older.refresh_from_db()
    await newer.refresh_from_db()
    assert (older.status, older.paid_minor) == ("PAID", 5000)
    assert (newer.status, newer.paid_minor) == ("PARTIALLY_PAID", 1000)

    over = await ok(
        client, TAKE, token, patientId=str(patient.id), amount=gbp(2500), method="BANK_TRANSFER"
    )
    assert over["unallocated"]["amount"] == 500  # 2,000 settled the rest; 500 credit
    await newer.refresh_from_db()
    assert newer.status == "PAID"
    account = await _account(client, patient, token)
    assert account["balance"]["amount"] == 8000 - 8500
    assert account["creditOnAccount"]["amount"] == 500
    ledger = await LedgerEntry.filter(practice_id=practice.id).order_by("seq")
    assert [e.kind for e in ledger] == ["PAYMENT", "PAYMENT"]
    events = await DomainEvent.filter(topic="billing").order_by("sequence")
    assert [e.type for e in events] == ["PAYMENT_TAKEN", "PAYMENT_TAKEN"]
    assert all(str(e.patient_id) == str(patient.id) for e in events)
    audited = await AuditEvent.filter(action="TAKE_PAYMENT", entity_type="Payment")
    assert {str(a.entity_id) for a in audited} == {part["id"], over["id"]}

    # Credit on account applied later to a new invoice.
    third = await issued_invoice(practice, patient, 400)
    applied = await ok(
        client,
        ALLOCATE,
        token,
        paymentId=over["id"],
        invoiceId=str(third.id),
        amount=gbp(400),
    )
    assert applied["unallocated"]["amount"] == 100
    await third.refresh_from_db()
    assert third.status == "PAID"


async def test_explicit_allocation_and_refusals_change_nothing(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    first = await issued_invoice(practice, patient, 5000)
    second = await issued_invoice(practice, patient, 3000)
    void = await issued_invoice(practice, patient, 1000, status="VOID")
    draft = await issued_invoice(practice, patient, 1000, status="DRAFT")
    euro = await issued_invoice(practice, patient, 1000, currency="EUR")
    other_practice = await factories.practice()
    stranger = await factories.patient(other_practice)
    foreign = await issued_invoice(other_practice, stranger, 1000)
    someone = await factories.patient(practice)
    theirs = await issued_invoice(practice, someone, 1000)
    before = await _state(patient)

    def take(**changes: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "patientId": str(patient.id),
            "amount": gbp(3000),
            "method": "CASH",
            "allocations": [{"invoiceId": str(second.id), "amount": gbp(3000)}],
        }
        values.update(changes)
        return values

    cases: list[tuple[dict[str, Any], str, str]] = [
        (take(amount=gbp(-5)), "BAD_USER_INPUT", "amount"),
        (take(amount=gbp(0)), "BAD_USER_INPUT", "amount"),
        (take(amount={"amount": 3000, "currency": "XXX"}), "BAD_USER_INPUT", "currency"),
        (
            take(allocations=[{"invoiceId": str(void.id), "amount": gbp(1000)}]),
            "CONFLICT",
            "invoiceId",
        ),
        (
            take(allocations=[{"invoiceId": str(draft.id), "amount": gbp(1000)}]),
            "CONFLICT",
            "invoiceId",
        ),
        (
            take(allocations=[{"invoiceId": str(euro.id), "amount": gbp(1000)}]),
            "BAD_USER_INPUT",
            "currency",
        ),
        (
            take(allocations=[{"invoiceId": str(first.id), "amount": gbp(3000)}], amount=gbp(9000))
            | {"allocations": [{"invoiceId": str(first.id), "amount": gbp(6000)}]},
            "CONFLICT",
            "amount",
        ),
        (
            take(allocations=[{"invoiceId": str(foreign.id), "amount": gbp(1000)}]),
            "NOT_FOUND",
            "",
        ),
        (
            take(allocations=[{"invoiceId": str(theirs.id), "amount": gbp(1000)}]),
            "NOT_FOUND",
            "",
        ),
        (
            take(allocations=[{"invoiceId": str(second.id), "amount": gbp(4000)}]),
            "BAD_USER_INPUT",
            "amount",
        ),
        (take(method="CARD"), "BAD_USER_INPUT", "cardToken"),
        (take(method="CARD", cardToken=CARD), "BAD_USER_INPUT", "cardToken"),
        (take(method="CARD", cardToken="pi_4242424242424242"), "BAD_USER_INPUT", "cardToken"),
        (take(method="CASH", cardToken="pi_3Nabc"), "BAD_USER_INPUT", "cardToken"),
        (take(note=f"card {CARD} paid"), "BAD_USER_INPUT", "note"),
        (take(patientId=str(stranger.id)), "NOT_FOUND", ""),
        (take(patientId=str(uuid4())), "NOT_FOUND", ""),
        (take(patientId="not-an-id"), "BAD_USER_INPUT", "patientId"),
    ]
    for values, code, field in cases:
        result = await run(client, TAKE, token, **values)
        assert result.codes == [code], (values, result.errors)
        if field:
            assert result.errors[0]["extensions"].get("field") == field, (values, result.errors)
        assert await _state(patient) == before, values

    card = await ok(
        client, TAKE, token, **take(method="CARD", cardToken="pi_3Nabc123", note="thanks")
    )
    assert (card["processor"], card["processorReference"], card["reason"]) == (
        "STRIPE",
        "pi_3Nabc123",
        "thanks",
    )
    await second.refresh_from_db()
    assert second.status == "PAID"
    replayed = await run(
        client, TAKE, token, **take(method="CARD", cardToken="pi_3Nabc123", allocations=[])
    )
    assert replayed.codes == ["CONFLICT"]  # one processor reference, one payment
    assert replayed.errors[0]["extensions"]["field"] == "cardToken"

    # Credit allocation refusals: another practice's payment, a void invoice, more than owed.
    credit = await ok(
        client,
        TAKE,
        token,
        patientId=str(patient.id),
        amount=gbp(500),
        method="CASH",
        allocations=[],
    )
    assert credit["unallocated"]["amount"] == 500
    foreign_desk = factories.access_token(await factories.user(Role.RECEPTIONIST, other_practice))
    before = await _state(patient)
    refused = [
        (foreign_desk, credit["id"], str(first.id), 100, "NOT_FOUND"),
        (token, credit["id"], str(void.id), 100, "CONFLICT"),
        (token, credit["id"], str(first.id), 600, "CONFLICT"),
        (token, credit["id"], str(foreign.id), 100, "NOT_FOUND"),
        (token, str(uuid4()), str(first.id), 100, "NOT_FOUND"),
    ]
    for who, payment_id, invoice_id, amount, code in refused:
        result = await run(
            client, ALLOCATE, who, paymentId=payment_id, invoiceId=invoice_id, amount=gbp(amount)
        )
        assert result.codes == [code], result.errors
        assert await _state(patient) == before


async def _with_authenticator(admin: User) -> pyotp.TOTP:
    """The admin enrols an authenticator (as in the app) and gets its generator."""
    uri = await mfa.begin_enrolment(admin)
    await User.filter(id=admin.id).update(mfa_enabled=True)
    return pyotp.parse_uri(uri)  # type: ignore[return-value]


async def _code(admin: User, totp: pyotp.TOTP) -> str:
    """The approver's code now; each code works once, so earlier approvals in this test are
    forgotten first (in life the next one comes 30 seconds later)."""
    await User.filter(id=admin.id).update(mfa_last_step=0)
    return str(totp.now())


async def test_refunds_to_the_original_method_with_limit_and_approver(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token = await _world()
    await BillingSettings.create(practice_id=practice.id, refund_approval_limit_minor=2000)
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    totp = await _with_authenticator(admin)
    colleague = await factories.user(Role.RECEPTIONIST, practice)
    first = await issued_invoice(practice, patient, 3000)
    second = await issued_invoice(practice, patient, 2000)
    paid = await ok(
        client,
        TAKE,
        token,
        patientId=str(patient.id),
        amount=gbp(6000),
        method="CARD",
        cardToken="ch_1abc",
    )
    assert paid["unallocated"]["amount"] == 1000

    small = await ok(
        client, REFUND, token, paymentId=paid["id"], amount=gbp(1500), reason="Overpaid"
    )
    assert (small["kind"], small["method"], small["refundsPaymentId"]) == (
        "REFUND",
        "CARD",
        paid["id"],
    )
    # 1,000 of credit first, then 500 taken back from the most recently allocated invoice.
    assert [(a["invoiceId"], a["amount"]["amount"]) for a in small["allocations"]] == []
    await second.refresh_from_db()
    assert (second.paid_minor, second.status) == (1500, "PARTIALLY_PAID")

    before = await _state(patient)
    big = {"paymentId": paid["id"], "amount": gbp(2500), "reason": "Treatment not done"}
    assert (await run(client, REFUND, token, **big)).codes == ["FORBIDDEN"]
    self_approved = await run(
        client, REFUND, factories.access_token(admin), approverUserId=str(admin.id), **big
    )
    assert self_approved.codes == ["BAD_USER_INPUT"]
    not_admin = await run(client, REFUND, token, approverUserId=str(colleague.id), **big)
    assert not_admin.codes == ["BAD_USER_INPUT"]
    assert not_admin.errors[0]["extensions"]["field"] == "approverUserId"
    # Naming the admin is not enough: their own code, typed on this screen, is the approval.
    unproven = await run(client, REFUND, token, approverUserId=str(admin.id), **big)
    assert unproven.codes == ["FORBIDDEN"]
    wrong = "000000" if totp.now() != "000000" else "111111"
    guessed = await run(
        client, REFUND, token, approverUserId=str(admin.id), approverCode=wrong, **big
    )
    assert guessed.codes == ["FORBIDDEN"]
    too_much = await run(
        client,
        REFUND,
        token,
        paymentId=paid["id"],
        amount=gbp(4501),
        reason="x",
        approverUserId=str(admin.id),
        approverCode=await _code(admin, totp),
    )
    assert too_much.codes == ["CONFLICT"]
    no_reason = await run(client, REFUND, token, paymentId=paid["id"], amount=gbp(1), reason=" ")
    assert no_reason.codes == ["BAD_USER_INPUT"]
    card_reason = await run(client, REFUND, token, paymentId=paid["id"], amount=gbp(1), reason=CARD)
    assert card_reason.codes == ["BAD_USER_INPUT"]
    assert await _state(patient) == before

    code = await _code(admin, totp)
    approved = await ok(
        client, REFUND, token, approverUserId=str(admin.id), approverCode=code, **big
    )
    replayed = await run(
        client, REFUND, token, approverUserId=str(admin.id), approverCode=code, **big
    )
    assert replayed.codes == ["FORBIDDEN"]  # the same code does not approve twice
    assert approved["approvedByUserId"] == str(admin.id)
    assert approved["reason"] == "Treatment not done"
    await first.refresh_from_db()
    await second.refresh_from_db()
    assert (second.paid_minor, second.status) == (0, "ISSUED")
    assert (first.paid_minor, first.status) == (2000, "PARTIALLY_PAID")
    rest = await run(
        client,
        REFUND,
        token,
        paymentId=paid["id"],
        amount=gbp(2001),
        reason="x",
        approverUserId=str(admin.id),
        approverCode=await _code(admin, totp),
    )
    assert rest.codes == ["CONFLICT"]
    account = await _account(client, patient, token)
    assert account["refunded"]["amount"] == 4000
    assert account["balance"]["amount"] == 5000 - 6000 + 4000
    kinds = [e.kind for e in await LedgerEntry.filter(practice_id=practice.id).order_by("seq")]
    assert kinds == ["PAYMENT", "REFUND", "REFUND"]


async def test_statement_running_balance_and_period(client: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime, timedelta

    practice, patient, token = await _world()
    long_ago = datetime.now(UTC) - timedelta(days=40)
    await issued_invoice(practice, patient, 10000, issued_at=long_ago)
    await issued_invoice(
        practice, patient, 2500, kind="CREDIT_NOTE", issued_at=long_ago + timedelta(days=1)
    )
    recent = await issued_invoice(practice, patient, 4000)
    await ok(client, TAKE, token, patientId=str(patient.id), amount=gbp(3000), method="CASH")
    account = await _account(client, patient, token)
    lines = account["statement"]["lines"]
    assert [line["kind"] for line in lines] == ["INVOICE", "CREDIT_NOTE", "INVOICE", "PAYMENT"]
    assert [line["balance"]["amount"] for line in lines] == [10000, 7500, 11500, 8500]
    assert account["balance"]["amount"] == 8500
    assert lines[2]["reference"] == recent.number
    since = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    period = await _account(client, patient, token, **{"from": since})
    assert period["statement"]["openingBalance"]["amount"] == 7500
    assert [line["kind"] for line in period["statement"]["lines"]] == ["INVOICE", "PAYMENT"]
    assert period["statement"]["closingBalance"]["amount"] == 8500
    reads = await AuditEvent.filter(entity_type="PatientAccount", action__startswith="READ")
    assert len(reads) >= 2
    assert all(str(r.patient_id) == str(patient.id) for r in reads)
    bad = await gql(
        client,
        ACCOUNT,
        {"p": str(patient.id), "from": "2030-01-02", "to": "2030-01-01"},
        token=token,
    )
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_who_may_take_and_read(client: httpx.AsyncClient) -> None:
    practice, patient, _ = await _world()
    await issued_invoice(practice, patient, 1000)
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    other = await factories.patient(practice)
    other_patient = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=other.id)
    )
    pay = {"patientId": str(patient.id), "amount": gbp(100), "method": "CASH"}
    assert (await run(client, TAKE, dentist, **pay)).codes == ["FORBIDDEN"]
    assert (await run(client, TAKE, own, **pay)).codes == ["FORBIDDEN"]
    assert (await run(client, TAKE, admin, **pay)).errors == []
    assert (await _account(client, patient, dentist))["balance"]["amount"] == 900
    assert (await _account(client, patient, own))["balance"]["amount"] == 900
    hidden = await gql(client, ACCOUNT, {"p": str(patient.id)}, token=other_patient)
    assert hidden.data["patient"] is None


async def test_demo_payments_pay_some_leave_debts_and_credit(client: httpx.AsyncClient) -> None:
    import random

    from services.billing.demo_payments import seed_payments

    practice = await factories.practice()
    patients = [await factories.patient(practice) for _ in range(5)]
    for patient in patients[:4]:
        await issued_invoice(practice, patient, 10000)
    desk = await factories.user(Role.RECEPTIONIST, practice)
    made = await seed_payments(practice, patients, desk, random.Random(1))
    assert made == 3  # full, part, (a debt: nothing), overpaid
    invoices = await Invoice.filter(practice_id=practice.id)
    assert sorted(i.status for i in invoices) == ["ISSUED", "PAID", "PAID", "PARTIALLY_PAID"]
    payments = await Payment.filter(practice_id=practice.id)
    assert sum(p.unallocated_minor for p in payments) == 1500
    assert await LedgerEntry.filter(practice_id=practice.id).count() == 3

"""The deposit lifecycle through GraphQL: taken at booking and held as credit, applied to the
appointment's invoice, refunded when cancelled in good time, forfeited by policy on a late
cancellation or a missed appointment — each move in the same unit of work as the diary change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from db.models import Appointment, BillingSettings, DomainEvent, LedgerEntry, Payment
from services.scheduling.diary_access import settings_for
from tests import factories
from tests.factories import gql
from tests.graph.billing_support import (
    ACCOUNT,
    APPLY,
    DEPOSIT,
    REFUND,
    gbp,
    issued_invoice,
    ok,
    run,
)
from tests.graph.test_schedule_booking import BOOK, booking
from tests.scheduling_fixtures import Diary, diary, iso

CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status lateCancellation } }
}"""
STATUS = """
mutation S($input: SetAppointmentStatusInput!) {
  setAppointmentStatus(input: $input) { appointment { status } }
}"""


async def _booked(client: httpx.AsyncClient, d: Diary, days: int, hour: int) -> str:
    made = await gql(client, BOOK, booking(d, iso(d.at(days, hour, 0))), token=d.token)
    assert made.errors == [], made.errors
    return str(made.data["bookAppointment"]["appointment"]["id"])


async def _deposit(client: httpx.AsyncClient, d: Diary, appointment_id: str, amount: int) -> Any:
    return await ok(
        client,
        DEPOSIT,
        d.token,
        appointmentId=appointment_id,
        amount=gbp(amount),
        method="CARD",
        cardToken=f"pi_{uuid4().hex[:12]}",
    )


async def _account(client: httpx.AsyncClient, d: Diary) -> Any:
    result = await gql(client, ACCOUNT, {"p": str(d.patient.id)}, token=d.token)
    assert result.errors == [], result.errors
    return result.data["patient"]["account"]


async def _cancel(client: httpx.AsyncClient, d: Diary, appointment_id: str) -> Any:
    done = await gql(
        client,
        CANCEL,
        {"input": {"appointmentId": appointment_id, "reason": "Unwell"}},
        token=d.token,
    )
    assert done.errors == [], done.errors
    return done.data["cancelAppointment"]["appointment"]


async def test_held_then_refunded_when_cancelled_in_good_time(client: httpx.AsyncClient) -> None:
    d = await diary()
    appointment_id = await _booked(client, d, 10, 10)
    deposit = await _deposit(client, d, appointment_id, 2500)
    assert (deposit["kind"], deposit["depositState"], deposit["appointmentId"]) == (
        "DEPOSIT",
        "HELD",
        appointment_id,
    )
    held = await _account(client, d)
    assert held["depositsHeld"]["amount"] == 2500
    assert held["balance"]["amount"] == -2500
    assert (await _cancel(client, d, appointment_id))["lateCancellation"] is False
    row = await Payment.get(id=deposit["id"])
    assert (row.deposit_state, row.unallocated_minor) == ("REFUNDED", 0)
    refund = await Payment.get(refunds_payment_id=deposit["id"])
    assert (refund.kind, refund.method, refund.amount_minor) == ("REFUND", "CARD", 2500)
    after = await _account(client, d)
    assert (after["balance"]["amount"], after["depositsHeld"]["amount"]) == (0, 0)
    kinds = [e.kind for e in await LedgerEntry.filter(practice_id=d.practice.id).order_by("seq")]
    assert kinds == ["DEPOSIT", "REFUND"]
    types = [
        e.type
        for e in await DomainEvent.filter(practice_id=d.practice.id, topic="billing").order_by(
            "sequence"
        )
    ]
    assert types == ["DEPOSIT_TAKEN", "PAYMENT_REFUNDED", "DEPOSIT_REFUNDED"]


async def test_forfeited_on_a_late_cancellation_and_on_a_missed_appointment(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    settings = await settings_for(d.practice.id)
    settings.late_cancel_hours = 48
    await settings.save()
    late = await _booked(client, d, 1, 8)
    deposit = await _deposit(client, d, late, 3000)
    assert (await _cancel(client, d, late))["lateCancellation"] is True
    row = await Payment.get(id=deposit["id"])
    assert (row.deposit_state, row.unallocated_minor) == ("FORFEITED", 0)
    assert await Payment.filter(refunds_payment_id=deposit["id"]).count() == 0
    account = await _account(client, d)
    assert account["balance"]["amount"] == 0
    assert [line["kind"] for line in account["statement"]["lines"]] == [
        "DEPOSIT",
        "DEPOSIT_FORFEITED",
    ]

    missed = await _booked(client, d, 3, 10)
    second = await _deposit(client, d, missed, 1000)
    moved = await Appointment.get(id=missed)
    shift = moved.starts_at - (datetime.now(UTC) - timedelta(hours=2))
    await Appointment.filter(id=missed).update(
        starts_at=moved.starts_at - shift, ends_at=moved.ends_at - shift
    )
    dna = await gql(
        client,
        STATUS,
        {"input": {"appointmentId": missed, "status": "DID_NOT_ATTEND"}},
        token=d.token,
    )
    assert dna.errors == [], dna.errors
    assert (await Payment.get(id=second["id"])).deposit_state == "FORFEITED"
    kinds = [e.kind for e in await LedgerEntry.filter(practice_id=d.practice.id).order_by("seq")]
    assert kinds == ["DEPOSIT", "DEPOSIT_FORFEITED", "DEPOSIT", "DEPOSIT_FORFEITED"]


async def test_a_practice_that_always_refunds(client: httpx.AsyncClient) -> None:
    d = await diary()
    await BillingSettings.create(practice_id=d.practice.id, deposit_forfeit_policy="ALWAYS_REFUND")
    settings = await settings_for(d.practice.id)
    settings.late_cancel_hours = 48
    await settings.save()
    late = await _booked(client, d, 1, 9)
    deposit = await _deposit(client, d, late, 1500)
    assert (await _cancel(client, d, late))["lateCancellation"] is True
    assert (await Payment.get(id=deposit["id"])).deposit_state == "REFUNDED"


async def test_applied_to_the_appointments_invoice(client: httpx.AsyncClient) -> None:
    d = await diary()
    appointment_id = await _booked(client, d, 5, 11)
    deposit = await _deposit(client, d, appointment_id, 2000)
    other = await issued_invoice(d.practice, d.patient, 900, appointment_id=None)
    other_booking = await issued_invoice(
        d.practice, d.patient, 900, appointment_id=await _booked(client, d, 6, 11)
    )
    invoice = await issued_invoice(d.practice, d.patient, 5000, appointment_id=appointment_id)
    wrong = await run(
        client, APPLY, d.token, paymentId=deposit["id"], invoiceId=str(other_booking.id)
    )
    assert wrong.codes == ["CONFLICT"]
    applied = await ok(client, APPLY, d.token, paymentId=deposit["id"], invoiceId=str(invoice.id))
    assert applied["depositState"] == "APPLIED"
    assert [(a["invoiceId"], a["amount"]["amount"]) for a in applied["allocations"]] == [
        (str(invoice.id), 2000)
    ]
    await invoice.refresh_from_db()
    assert (invoice.paid_minor, invoice.status) == (2000, "PARTIALLY_PAID")
    again = await run(client, APPLY, d.token, paymentId=deposit["id"], invoiceId=str(other.id))
    assert again.codes == ["CONFLICT"]
    # Cancelling afterwards leaves an applied deposit alone.
    await _cancel(client, d, appointment_id)
    assert (await Payment.get(id=deposit["id"])).deposit_state == "APPLIED"
    account = await _account(client, d)
    assert account["balance"]["amount"] == 900 + 900 + 5000 - 2000


async def test_refusals_change_nothing(client: httpx.AsyncClient) -> None:
    d = await diary()
    appointment_id = await _booked(client, d, 4, 10)
    elsewhere = await diary()
    foreign = await _booked(client, elsewhere, 4, 10)
    dentist = factories.access_token(d.dentist_user)
    base = {"appointmentId": appointment_id, "amount": gbp(1000), "method": "CASH"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        (d.token, {**base, "amount": gbp(-1)}, "BAD_USER_INPUT"),
        (d.token, {**base, "method": "CARD", "cardToken": "4242424242424242"}, "BAD_USER_INPUT"),
        (d.token, {**base, "appointmentId": foreign}, "NOT_FOUND"),
        (dentist, base, "FORBIDDEN"),
    ]
    for token, values, code in cases:
        assert (await run(client, DEPOSIT, token, **values)).codes == [code], values
    assert await Payment.all().count() == 0
    deposit = await ok(client, DEPOSIT, d.token, **base)
    refund = await run(
        client, REFUND, d.token, paymentId=deposit["id"], amount=gbp(100), reason="x"
    )
    assert refund.codes == ["CONFLICT"]
    await _cancel(client, d, appointment_id)
    cancelled = await run(client, DEPOSIT, d.token, **base)
    assert cancelled.codes == ["CONFLICT"]

"""Shared set-up for the payment tests: ISSUED invoices made directly with the model (the
invoices work raises them through its own service), and the payment mutations' documents."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from db.models import Invoice, Patient, Practice
from tests.factories import GraphQLResult, gql

_numbers = itertools.count(1)

PAYMENT_FIELDS = """
  id patientId kind method status amount { amount currency formatted }
  unallocated { amount } receivedAt refundsPaymentId appointmentId depositState
  processor processorReference approvedByUserId reason
  allocations { invoiceId amount { amount } }
"""


def _mutation(name: str, input_type: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ payment {{ {PAYMENT_FIELDS} }} }} }}"
    )


TAKE = _mutation("takePayment", "TakePaymentInput")
ALLOCATE = _mutation("allocateCredit", "AllocateCreditInput")
REFUND = _mutation("refundPayment", "RefundPaymentInput")
DEPOSIT = _mutation("takeDeposit", "TakeDepositInput")
APPLY = _mutation("applyDeposit", "ApplyDepositInput")
ACCOUNT = """
query A($p: ID!, $from: Date, $to: Date) { patient(id: $p) { account {
  patientId balance { amount currency formatted } creditOnAccount { amount }
  depositsHeld { amount } invoiced { amount } paid { amount } refunded { amount }
  statement(from: $from, to: $to) { openingBalance { amount } closingBalance { amount }
    lines { kind reference amount { amount } balance { amount } } }
} } }"""


async def issued_invoice(
    practice: Practice,
    patient: Patient,
    total: int,
    *,
    due: date | None = None,
    issued_at: datetime | None = None,
    currency: str = "GBP",
    status: str = "ISSUED",
    kind: str = "INVOICE",
    appointment_id: Any = None,
) -> Invoice:
    n = next(_numbers)
    at = issued_at or datetime.now(UTC) - timedelta(hours=1) + timedelta(milliseconds=n)
    return await Invoice.create(
        id=uuid4(),
        practice_id=practice.id,
        patient_id=patient.id,
        kind=kind,
        status=status,
        number=None if status == "DRAFT" else f"T-{n}",
        sequence_number=None if status == "DRAFT" else n,
        currency=currency,
        net_minor=total,
        vat_minor=0,
        total_minor=total,
        paid_minor=0,
        tax_point=at.date(),
        due_on=due,
        issued_at=None if status == "DRAFT" else at,
        appointment_id=appointment_id,
    )


async def run(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await run(client, doc, token, **values)
    assert result.errors == [], result.errors
    payment: dict[str, Any] = next(iter(result.data.values()))["payment"]
    return payment


def gbp(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}

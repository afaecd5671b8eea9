"""Financial records past retention can go, on both engines, without breaking the ledger: the
purge chains a RECORDS_PURGED entry naming what went, and only that makes the PostgreSQL
triggers let issued rows be deleted; any other missing row is still reported."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.exceptions import BaseORMException

from db.models import Invoice, InvoiceLine, LedgerEntry, Payment, PaymentAllocation
from db.uow import unit_of_work
from services.auth.principal_loader import principal_for_user
from services.billing import invoices, ledger_integrity, payments
from services.billing.money import Money
from services.billing.vat import VatCategory
from services.consent import anonymise
from services.policy import Role
from services.principal import RequestMeta
from tests import factories


async def _billed_patient(practice: Any, desk: Any) -> Any:
    principal = await principal_for_user(desk, mfa_passed=True, claims={}, meta=RequestMeta())
    patient = await factories.patient(practice)
    view = await invoices.create(
        principal,
        patient_id=patient.id,
        lines=[invoices.NewLine("Crown", Money(45_000), VatCategory.EXEMPT)],
    )
    await invoices.issue(principal, invoice_id=view.invoice.id)
    await payments.take(
        principal, patient_id=patient.id, amount=Money(20_000), method=payments.Method.CASH
    )
    return patient


async def test_a_retention_purge_leaves_a_verifiable_ledger(db: str) -> None:
    practice = await factories.practice()
    desk = await factories.user(Role.RECEPTIONIST, practice)
    gone, kept = await _billed_patient(practice, desk), await _billed_patient(practice, desk)
    assert (await ledger_integrity.verify()).ok

    async with unit_of_work() as uow:
        await anonymise.erase_financial(gone, uow.connection)

    for model in (Invoice, Payment):
        assert await model.filter(patient_id=gone.id).count() == 0
        assert await model.filter(patient_id=kept.id).count() == 1
    purge = await LedgerEntry.get(kind="RECORDS_PURGED")
    assert purge.content["patient"] == str(gone.id)
    assert len(purge.content["invoices"]) == 1
    assert len(purge.content["payments"]) == 1
    report = await ledger_integrity.verify()
    assert report.ok, report.lines


async def test_a_row_missing_without_a_purge_entry_is_still_reported(db: str) -> None:
    practice = await factories.practice()
    desk = await factories.user(Role.RECEPTIONIST, practice)
    patient = await _billed_patient(practice, desk)
    payment = await Payment.get(patient_id=patient.id)
    await PaymentAllocation.filter(payment_id=payment.id).delete()
    await payment.delete()  # payments carry no trigger: the ledger is what notices
    report = await ledger_integrity.verify()
    assert not report.ok
    assert "missing" in report.lines[0]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_outside_a_purge_postgres_still_refuses_deleting_issued_rows(db: str) -> None:
    practice = await factories.practice()
    desk = await factories.user(Role.RECEPTIONIST, practice)
    patient = await _billed_patient(practice, desk)
    invoice = await Invoice.get(patient_id=patient.id)
    with pytest.raises(BaseORMException):
        await InvoiceLine.filter(invoice_id=invoice.id).delete()
    with pytest.raises(BaseORMException):
        await Invoice.filter(id=invoice.id).delete()
    assert await Invoice.filter(id=invoice.id).count() == 1

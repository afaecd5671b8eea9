"""Removing financial records once their retention period is over, without breaking the
practice's ledger.

Issued invoices, their lines and payments are otherwise never deleted (PostgreSQL triggers
refuse it). When retention (``services/consent/retention.py``) or an erasure whose financial
period has passed removes a patient's financial records, this first chains a RECORDS_PURGED
entry naming every invoice and payment that goes, then allows the deletes for this transaction
only (``SET LOCAL aescrm.retention_purge``). ``aescrm verify-ledger`` accepts a missing row that
a RECORDS_PURGED entry names, and still reports any other.
"""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Patient
from db.queries import invoices as queries
from db.uow import UnitOfWork
from services import tenant_gate
from services.billing import ledger

KIND = "RECORDS_PURGED"


async def before_purge(patient: Patient, connection: BaseDBAsyncClient) -> None:
    """In the purging transaction, before the patient's financial rows are deleted."""
    pid = tenant_gate.practice_of(patient)
    invoices, payments = await queries.financial_ids_of_patient(
        pid, UUID(str(patient.id)), connection
    )
    if not invoices and not payments:
        return
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SET LOCAL aescrm.retention_purge = 'on'")
    await ledger.append(
        UnitOfWork(connection),
        pid,
        kind=KIND,
        entity_id=UUID(str(patient.id)),
        content={"patient": str(patient.id), "invoices": invoices, "payments": payments},
    )

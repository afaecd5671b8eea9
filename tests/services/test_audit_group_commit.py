"""Audit batches of concurrent requests commit together; each caller still waits for its rows."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from tortoise.transactions import in_transaction

from db import audit_chain
from db.audit_chain import AuditRecord
from db.models.audit import AuditEvent
from services import audit
from services.principal import Principal
from tests.sql_counter import count_statements

ORG = uuid4()


def record(n: int) -> AuditRecord:
    return AuditRecord(action=f"READ query Q{n}", organization_id=ORG, entity_id=str(n))


async def test_concurrent_batches_share_one_commit_and_are_written_on_return(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def writer(n: int) -> int:
        await audit.write([record(n), record(n + 100)])
        # Written, and committed, by the time the caller goes on.
        return await AuditEvent.filter(chain=str(ORG), entity_id=str(n)).count()

    with count_statements(monkeypatch) as statements:
        seen = await asyncio.gather(*(writer(n) for n in range(10)))
    assert seen == [1] * 10
    assert len(statements.matching('INSERT INTO "audit_event"')) == 1
    report = await audit_chain.verify(str(ORG))
    assert report.ok
    assert report.rows == 20


async def _write_then_fail() -> None:
    async with in_transaction():
        await audit.write([record(1)])
        raise RuntimeError("rolled back")


async def test_inside_a_transaction_the_rows_share_its_fate(db: str) -> None:
    with pytest.raises(RuntimeError):
        await _write_then_fail()
    assert await AuditEvent.filter(chain=str(ORG)).count() == 0
    await audit.write([record(2)])
    assert await AuditEvent.filter(chain=str(ORG)).count() == 1


async def test_a_failed_batch_fails_every_caller_in_it(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(records: object, connection: object, heads: object = None) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(audit_chain, "append", broken)
    results = await asyncio.gather(
        *(audit.write([record(n)]) for n in range(3)), return_exceptions=True
    )
    assert [type(r) for r in results] == [OSError] * 3


def test_denials_merge_per_field_and_practice_naming_a_single_patient() -> None:
    trail = audit.ReadTrail()
    practice, other, patient = uuid4(), uuid4(), uuid4()
    for _ in range(3):
        trail.denied(
            field="Appointment.clinicalNote",
            scopes=["clinical:read"],
            patient_id=patient,
            practice_id=practice,
        )
    trail.denied(field="Appointment.clinicalNote", scopes=["clinical:read"], practice_id=other)
    first, second = trail.drain(Principal(user_id=uuid4()), "query Q")
    assert (first.patient_id, first.practice_id, first.entity_id) == (
        patient,
        practice,
        "3 attempts",
    )
    assert first.fields_read == ["Appointment.clinicalNote", "clinical:read"]
    assert (first.outcome, first.action, first.entity_type) == (
        "DENIED",
        "DENIED query Q",
        "Appointment",
    )
    assert (second.patient_id, second.practice_id, second.entity_id) == (None, other, None)
    assert trail.drain(Principal(), "query Q") == []

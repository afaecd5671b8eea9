"""The read trail's audit batch as one statement (db/audit_append.py): still one linear chain
when other writers move the head in between, and nothing written when the compare fails."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from db import audit_append, audit_chain
from db.audit_chain import AuditRecord
from db.models.audit import AuditEvent, AuditHead, AuditReadPatient
from db.uow import unit_of_work
from services import audit
from tests.pg_round_trips import count_round_trips

ORG = uuid4()


def record(n: int, *patients: object) -> AuditRecord:
    return AuditRecord(
        action=f"READ query Q{n}",
        organization_id=ORG,
        entity_id=str(n),
        patient_ids=tuple(uuid4() for _ in patients),
    )


async def _open_chain() -> None:
    async with unit_of_work() as uow:
        uow.audit(record(0))


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_batch_is_one_statement_once_the_tip_is_known(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _open_chain()
    tips: audit_append.Tips = {}
    connection = AuditEvent._meta.db
    assert await audit_append.append_in_one_statement([record(1)], connection, tips) == 1
    with count_round_trips(monkeypatch) as trips:
        written = await audit_append.append_in_one_statement(
            [record(2, "a", "b"), record(3)], connection, tips
        )
    assert written == 2
    assert [kind for kind, _ in trips if kind != "PREPARE"] == ["EXECUTE"]
    report = await audit_chain.verify(str(ORG))
    assert (report.ok, report.rows) == (True, 4)
    row = await AuditEvent.get(chain=str(ORG), entity_id="2")
    assert await AuditReadPatient.filter(audit_id=row.id).count() == 2


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_stale_tip_writes_nothing_then_chains_from_the_real_one(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _open_chain()
    tips: audit_append.Tips = {}
    connection = AuditEvent._meta.db
    await audit_append.append_in_one_statement([record(1)], connection, tips)
    async with unit_of_work() as uow:  # another writer (a change, another worker) moves the head
        uow.audit(record(2))
    with count_round_trips(monkeypatch) as trips:
        assert await audit_append.append_in_one_statement([record(3)], connection, tips) == 1
    assert len([kind for kind, _ in trips if kind == "EXECUTE"]) == 2  # lost once, then won
    head = await AuditHead.get(chain=str(ORG))
    assert tips[str(ORG)] == (head.seq, head.hash) == (4, head.hash)
    assert await AuditEvent.filter(chain=str(ORG)).count() == 4  # the lost try wrote nothing
    assert (await audit_chain.verify(str(ORG))).ok


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_new_chain_is_left_to_the_lock_path(db: str) -> None:
    connection = AuditEvent._meta.db
    assert await audit_append.append_in_one_statement([record(1)], connection, {}) is None
    assert await AuditEvent.filter(chain=str(ORG)).count() == 0


async def test_two_workers_writing_one_chain_keep_it_linear(db: str) -> None:
    """Two group committers (as two worker processes: each its own idea of the tip) racing."""
    await _open_chain()
    workers = [audit._GroupCommit(), audit._GroupCommit()]

    async def requests(worker: audit._GroupCommit, first: int) -> None:
        for n in range(first, first + 15):
            await worker.write([record(n, "p")])

    await asyncio.gather(requests(workers[0], 100), requests(workers[1], 200))
    report = await audit_chain.verify(str(ORG))
    assert (report.ok, report.rows) == (True, 31)

"""The audit log is a hash chain: any edit, deletion, reorder or truncation is reported."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from tortoise import connections

from db import audit_chain
from db.audit_chain import AuditRecord
from db.config import connection_name
from db.models.audit import AuditEvent, AuditHead, AuditReadPatient
from services import audit, audit_integrity

ORG = uuid4()


def record(n: int) -> AuditRecord:
    return AuditRecord(action=f"READ query Q{n}", organization_id=ORG, entity_id=str(n))


async def write_chain(count: int) -> None:
    await audit.write([record(n) for n in range(count)])


async def sql(database_url: str, statement: str) -> None:
    client = connections.get(connection_name(database_url))
    if not database_url.startswith("postgres"):
        await client.execute_script(statement)
        return
    # A superuser rewriting history has to switch the guards off first (and back on after,
    # since the test database is shared by the run).
    guards = [("audit_event", "audit_event_no_update_or_delete")]
    guards.append(("audit_read_patient", "audit_read_patient_no_update_or_delete"))
    for table, trigger in guards:
        await client.execute_script(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    try:
        await client.execute_script(statement)
    finally:
        for table, trigger in guards:
            await client.execute_script(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


async def verify() -> audit_chain.ChainReport:
    return await audit_chain.verify(str(ORG))


async def test_intact_chain_verifies(db: str) -> None:
    await write_chain(5)
    await write_chain(3)
    report = await verify()
    assert report.ok
    assert report.rows == 8
    seqs = await AuditEvent.filter(chain=str(ORG)).order_by("seq").values_list("seq", flat=True)
    assert list(seqs) == list(range(1, 9))


async def test_edited_row_is_reported_at_its_sequence(db: str) -> None:
    await write_chain(5)
    await sql(db, f"UPDATE audit_event SET action = 'nothing' WHERE chain = '{ORG}' AND seq = 3")
    report = await verify()
    assert not report.ok
    assert (report.first_bad_seq, report.problem) == (3, "row content altered")


async def test_deleted_row_is_reported(db: str) -> None:
    await write_chain(5)
    await sql(db, f"DELETE FROM audit_event WHERE chain = '{ORG}' AND seq = 2")
    report = await verify()
    assert not report.ok
    assert report.first_bad_seq == 2


async def test_reordered_rows_are_reported(db: str) -> None:
    await write_chain(4)
    await sql(db, f"UPDATE audit_event SET seq = 100 WHERE chain = '{ORG}' AND seq = 2")
    await sql(db, f"UPDATE audit_event SET seq = 2 WHERE chain = '{ORG}' AND seq = 3")
    await sql(db, f"UPDATE audit_event SET seq = 3 WHERE chain = '{ORG}' AND seq = 100")
    report = await verify()
    assert not report.ok
    assert report.first_bad_seq == 2


async def test_truncated_tail_is_reported(db: str) -> None:
    await write_chain(5)
    await sql(db, f"DELETE FROM audit_event WHERE chain = '{ORG}' AND seq >= 4")
    report = await verify()
    assert not report.ok
    assert report.problem == "chain truncated below its head"


async def test_edit_hidden_by_deleting_the_head_is_reported_without_a_checkpoint(
    db: str,
) -> None:
    await write_chain(5)
    await sql(db, f"UPDATE audit_event SET action = 'nothing' WHERE chain = '{ORG}' AND seq = 3")
    await sql(db, f"DELETE FROM audit_head WHERE chain = '{ORG}'")

    report = await audit_integrity.verify()

    assert not report.ok
    assert f"chain {ORG}: BROKEN at seq 3: row content altered" in report.lines


async def test_missing_head_is_a_failure(db: str) -> None:
    await write_chain(5)
    # Tail truncated and head deleted: the rows left are a perfect chain on their own.
    await sql(db, f"DELETE FROM audit_event WHERE chain = '{ORG}' AND seq >= 4")
    await sql(db, f"DELETE FROM audit_head WHERE chain = '{ORG}'")

    report = await audit_integrity.verify()

    assert not report.ok
    assert f"chain {ORG}: BROKEN at seq 4: head row missing" in report.lines


async def test_a_chain_deleted_with_its_head_is_reported_from_the_registry(db: str) -> None:
    await write_chain(3)
    opened = await AuditEvent.filter(chain="system", entity_id=str(ORG)).values_list(
        "action", flat=True
    )
    assert opened == [audit_chain.CHAIN_OPENED]  # registered once, in the system chain
    await write_chain(2)
    assert await AuditEvent.filter(chain="system").count() == 1
    await sql(db, f"DELETE FROM audit_event WHERE chain = '{ORG}'")
    await sql(db, f"DELETE FROM audit_head WHERE chain = '{ORG}'")

    report = await audit_integrity.verify()

    assert not report.ok
    assert f"chain {ORG}: BROKEN at seq 1: chain missing (no rows and no head)" in report.lines
    assert "chain system: ok (1 rows)" in report.lines


async def test_rewritten_chain_is_caught_by_an_earlier_checkpoint(db: str) -> None:
    await write_chain(4)
    document = await audit_integrity.checkpoint()
    assert (await audit_integrity.verify(document)).ok
    # An attacker rewrites row 2 and re-hashes everything after it, head included.
    await sql(db, f"UPDATE audit_event SET action = 'forged' WHERE chain = '{ORG}' AND seq = 2")
    rows = await AuditEvent.filter(chain=str(ORG)).order_by("seq")
    prev = audit_chain.GENESIS
    for row in rows:
        row.prev_hash = prev
        row.hash = audit_chain.link_hash(row)
        prev = row.hash
        await sql(
            db,
            f"UPDATE audit_event SET prev_hash = '{row.prev_hash}', hash = '{row.hash}' "
            f"WHERE id = '{row.id}'",
        )
    await AuditHead.filter(chain=str(ORG)).update(hash=prev)
    assert (await verify()).ok  # the chain alone looks fine now
    report = await audit_integrity.verify(document)
    assert not report.ok
    assert any("differs from the signed checkpoint" in line for line in report.lines)


async def test_forged_checkpoint_signature_is_reported(db: str) -> None:
    await write_chain(2)
    document = (await audit_integrity.checkpoint()).replace('"seq": 2', '"seq": 1')
    report = await audit_integrity.verify(document)
    assert not report.ok
    assert any("signature invalid" in line for line in report.lines)


async def test_concurrent_writers_keep_one_linear_chain(db: str) -> None:
    async def writer(n: int) -> None:
        await audit.write([record(n), record(n + 1000)])

    await asyncio.gather(*(writer(n) for n in range(20)))
    report = await verify()
    assert report.ok
    assert report.rows == 40


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_postgres_refuses_update_and_delete(db: str) -> None:
    await write_chain(2)
    client = connections.get(connection_name(db))
    for statement in (
        f"UPDATE audit_event SET action = 'x' WHERE chain = '{ORG}'",
        f"DELETE FROM audit_event WHERE chain = '{ORG}'",
    ):
        with pytest.raises(Exception, match="append-only"):
            await client.execute_script(statement)
    assert (await verify()).ok


SHOWN = sorted(uuid4() for _ in range(3))


async def write_board_reads() -> None:
    """Rows 1-3: a plain read, a read that showed three patients, another plain read."""
    board = AuditRecord(
        action="READ query Board",
        organization_id=ORG,
        entity_type="Schedule",
        patient_ids=(SHOWN[2], SHOWN[0], SHOWN[1], SHOWN[0]),  # any order, repeats merged
    )
    await audit.write([record(1), board, record(3)])


async def test_a_read_naming_patients_is_one_row_with_its_links_and_verifies(db: str) -> None:
    await write_board_reads()
    report = await verify()
    assert (report.ok, report.rows) == (True, 3)
    board = await AuditEvent.get(chain=str(ORG), seq=2)
    assert board.patient_id is None
    links = await AuditReadPatient.filter(audit_id=board.id).values_list("patient_id", flat=True)
    assert sorted(links) == SHOWN  # type: ignore[type-var]
    assert await AuditReadPatient.all().count() == 3  # plain reads have none


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param("DELETE FROM audit_read_patient WHERE patient_id = '{p0}'", id="link-removed"),
        pytest.param(
            "UPDATE audit_read_patient SET patient_id = '{other}' WHERE patient_id = '{p1}'",
            id="link-changed",
        ),
        pytest.param(
            "INSERT INTO audit_read_patient (audit_id, patient_id) VALUES ('{board}', '{other}')",
            id="link-added",
        ),
    ],
)
async def test_tampering_with_a_reads_patients_is_reported_at_its_row(db: str, tamper: str) -> None:
    await write_board_reads()
    board = await AuditEvent.get(chain=str(ORG), seq=2)
    await sql(db, tamper.format(p0=SHOWN[0], p1=SHOWN[1], other=uuid4(), board=board.id))
    report = await verify()
    assert not report.ok
    assert (report.first_bad_seq, report.problem) == (2, "row content altered")


async def test_patients_linked_to_a_row_that_named_none_are_reported(db: str) -> None:
    await write_board_reads()
    plain = await AuditEvent.get(chain=str(ORG), seq=3)
    await sql(
        db,
        f"INSERT INTO audit_read_patient (audit_id, patient_id) VALUES ('{plain.id}', '{uuid4()}')",
    )
    report = await verify()
    assert not report.ok
    assert (report.first_bad_seq, report.problem) == (3, "row content altered")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_postgres_refuses_update_and_delete_of_links(db: str) -> None:
    await write_board_reads()
    client = connections.get(connection_name(db))
    for statement in (
        f"UPDATE audit_read_patient SET patient_id = '{uuid4()}'",
        "DELETE FROM audit_read_patient",
    ):
        with pytest.raises(Exception, match="append-only"):
            await client.execute_script(statement)
    assert (await verify()).ok

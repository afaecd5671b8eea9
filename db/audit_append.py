"""Appending a batch of audit rows to one chain in one PostgreSQL statement, no transaction.

The transactional append (``db.audit_chain.append``) costs six exchanges with the server:
``BEGIN``, lock the head, insert the rows, insert the patient links, move the head, ``COMMIT``.
For a batch of reads that belongs to no caller's transaction (the per-request read trail) that is
most of a board request's round trips. Here the batch is one statement, atomic on its own:

- the rows are hashed in Python from the chain's tip as this process last saw it (read once);
- the statement moves the head to the batch's last (seq, hash) **only if** the head is still at
  that tip, and inserts the rows and their patient links only if it moved it (data-modifying
  CTEs: all of it commits or none of it does);
- it returns the head: the batch's last row when it moved it; otherwise (another worker or a
  change's unit of work got there first) nothing was written, nothing was updated (no WAL for a
  lost race), and the head as the statement saw it comes back: the batch is hashed again from
  it and sent again (a head that moved during the statement comes back stale once more, and the
  next statement's fresh snapshot sees it).

The compare runs on the row as it is when the UPDATE has its lock (PostgreSQL re-reads a row a
concurrent transaction changed), so the chain stays linear exactly as with the lock-then-append
path, which still serves any batch this cannot: a chain seen for the first time (it is registered
in the system chain, as ever), several chains in one batch (one transaction for all of them), and
SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from db.audit_chain import AuditRecord, audit_row
from db.models.audit import SYSTEM_CHAIN

__all__ = ["ATTEMPTS", "Tips", "append_in_one_statement"]

ATTEMPTS = 8  # each lost race costs one statement; past this the caller takes the lock path
Tips = dict[str, tuple[int, str]]  # chain -> (seq, hash) this process last saw at its head

_COLUMNS = (
    "id, chain, seq, prev_hash, hash, occurred_at, actor_user_id, actor_role, client_id, "
    "practice_id, action, entity_type, entity_id, patient_id, fields_read, outcome, request_id, "
    "ip, user_agent"
)
READ_TIP = "SELECT seq, hash FROM audit_head WHERE chain = $1"
# $1 chain, $2/$3 the tip the rows were hashed from, $4/$5 the batch's last (seq, hash), $6 the
# rows: a JSON array of objects named like the columns, each with its linked ``patients`` (one
# text parameter: asyncpg checks every element of an array parameter in Python, which for a
# board's 300 links cost more than the rest of the statement).
APPEND_IF_AT_TIP = f"""
WITH moved AS (
  UPDATE audit_head SET seq = $4, hash = $5 WHERE chain = $1 AND seq = $2 AND hash = $3
  RETURNING seq, hash
), written AS (
  INSERT INTO "audit_event" ({_COLUMNS})
  SELECT {_COLUMNS} FROM jsonb_populate_recordset(NULL::audit_event, $6::jsonb)
  WHERE EXISTS (SELECT 1 FROM moved WHERE moved.hash = $5)
), linked AS (
  INSERT INTO audit_read_patient (audit_id, patient_id)
  SELECT (row_->>'id')::uuid, patient::uuid
  FROM jsonb_array_elements($6::jsonb) AS row_,
       jsonb_array_elements_text(row_->'patients') AS patient
  WHERE EXISTS (SELECT 1 FROM moved WHERE moved.hash = $5)
)
SELECT seq, hash FROM moved
UNION ALL
SELECT seq, hash FROM audit_head WHERE chain = $1 AND NOT EXISTS (SELECT 1 FROM moved)
"""  # noqa: S608 - the column list is our own constant, values are parameters


def _json_default(value: object) -> str:
    return str(value)  # UUIDs; datetimes are native to orjson (ISO 8601, microseconds)


async def append_in_one_statement(
    records: Sequence[AuditRecord], connection: BaseDBAsyncClient, tips: Tips
) -> int | None:
    """Appends ``records`` (all of one chain) and returns how many rows were written, or
    ``None`` when this path cannot take them (the caller appends under the lock instead).
    ``tips`` is updated with every head seen."""
    chains = {record.chain for record in records}
    if len(chains) != 1 or not records:
        return None
    (chain,) = chains
    tip = tips.get(chain)
    if tip is None:
        _, found = await connection.execute_query(READ_TIP, [chain])
        if not found:
            return None  # a new chain: registered by the lock path
        tip = tips[chain] = (int(found[0][0]), str(found[0][1]))
    for _ in range(ATTEMPTS):
        seq, prev = tip
        if seq == 0 and chain != SYSTEM_CHAIN:
            return None  # opened but never written: the lock path registers it
        rows = _batch(records, chain, seq, prev)
        last_seq, last_hash = rows[-1]["seq"], rows[-1]["hash"]
        batch = orjson.dumps(rows, default=_json_default).decode()
        values: list[Any] = [chain, seq, prev, last_seq, last_hash, batch]
        _, found = await connection.execute_query(APPEND_IF_AT_TIP, values)
        if not found:  # the head is gone (a wiped database): start over under the lock
            tips.pop(chain, None)
            return None
        tip = tips[chain] = (int(found[0][0]), str(found[0][1]))
        if tip == (last_seq, last_hash):
            return len(rows)
    return None


def _batch(records: Sequence[AuditRecord], chain: str, seq: int, prev: str) -> list[dict[str, Any]]:
    """The rows of ``records`` chained from (seq, prev), each with its sorted ``patients``."""
    rows: list[dict[str, Any]] = []
    for record in records:
        seq += 1
        patients = sorted({str(p) for p in record.patient_ids})
        row = audit_row(record, chain, seq, prev, patients)
        row["patients"] = patients  # not a column: the statement makes them link rows
        prev = row["hash"]
        rows.append(row)
    return rows

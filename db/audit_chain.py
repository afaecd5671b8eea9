"""Appending to and verifying the per-organization audit hash chain.

Each row's hash covers its own canonical content and the previous row's hash. The chain head
row is locked while a batch is appended (an ``INSERT … ON CONFLICT DO UPDATE`` takes the row
lock on PostgreSQL; SQLite serialises writers), so concurrent writers produce one linear chain.

A read that showed many patients (the board) is one row whose patients are link rows
(``audit_read_patient``), written in the same batch; the row's canonical content includes the
sorted patient ids, so adding, removing or changing a link breaks verification at that row.
Rows without links hash exactly as before the links existed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from db.models.audit import SYSTEM_CHAIN, AuditEvent, AuditHead, AuditReadPatient

GENESIS = "0" * 64
# A patient a read showed: the id, or its text as the read already had it (a board's rows carry
# it, so 300 UUIDs are not formatted again for their link rows).
PatientRef = UUID | str


@dataclass(slots=True)
class AuditRecord:
    action: str
    outcome: str = "OK"
    organization_id: UUID | None = None
    practice_id: UUID | None = None
    actor_user_id: UUID | None = None
    actor_role: str | None = None
    client_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    patient_id: UUID | None = None
    fields_read: list[str] = field(default_factory=list)
    # Every patient a read showed (written as link rows; covered by the row's hash).
    patient_ids: tuple[PatientRef, ...] = ()
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def chain(self) -> str:
        return str(self.organization_id) if self.organization_id else SYSTEM_CHAIN


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def canonical(row: AuditEvent | dict[str, Any], patients: Sequence[str] = ()) -> bytes:
    """The hashed form of a row; ``patients``: its linked patient ids, sorted, as text."""

    def get(name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    occurred: datetime = get("occurred_at")
    body = {
        "chain": get("chain"),
        "seq": int(get("seq")),
        "prev": get("prev_hash"),
        "at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": _text(get("actor_user_id")),
        "role": get("actor_role"),
        "client": get("client_id"),
        "practice": _text(get("practice_id")),
        "action": get("action"),
        "etype": get("entity_type"),
        "eid": get("entity_id"),
        "patient": _text(get("patient_id")),
        "fields": list(get("fields_read") or []),
        "outcome": get("outcome"),
        "rid": get("request_id"),
        "ip": get("ip"),
        "ua": get("user_agent"),
    }
    if patients:  # absent when empty: rows without links hash as they always did
        body["patients"] = list(patients)
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def link_hash(row: AuditEvent | dict[str, Any], patients: Sequence[str] = ()) -> str:
    return hashlib.sha256(canonical(row, patients)).hexdigest()


# Creates the chain's head if it is new and locks it (the upsert takes the row lock), returning
# the tip: one statement where a create-if-missing and a SELECT ... FOR UPDATE were two.
LOCK_HEAD = (
    "INSERT INTO audit_head (chain, seq, hash) VALUES ($1, 0, $2) "
    "ON CONFLICT (chain) DO UPDATE SET chain = excluded.chain RETURNING seq, hash"
)
MOVE_HEAD = "UPDATE audit_head SET seq = $1, hash = $2 WHERE chain = $3"
SQLITE_LOCK_HEAD = LOCK_HEAD.replace("$1", "?").replace("$2", "?")
SQLITE_MOVE_HEAD = MOVE_HEAD.replace("$1", "?").replace("$2", "?").replace("$3", "?")
# Every link of the batch in one statement (two arrays: audit ids and patient ids).
LINK_PATIENTS = (
    "INSERT INTO audit_read_patient (audit_id, patient_id) "
    "SELECT * FROM unnest($1::uuid[], $2::uuid[])"
)
SQLITE_LINK_PATIENTS = "INSERT INTO audit_read_patient (audit_id, patient_id) VALUES (?, ?)"


def _sqlite(connection: BaseDBAsyncClient) -> bool:
    return connection.capabilities.dialect == "sqlite"


async def _lock_head(chain: str, connection: BaseDBAsyncClient) -> tuple[int, str]:
    """The chain's (seq, hash), locked until the caller's transaction ends."""
    sql = SQLITE_LOCK_HEAD if _sqlite(connection) else LOCK_HEAD
    (row,) = await connection.execute_query_dict(sql, [chain, GENESIS])  # dict: RETURNING rows
    return int(row["seq"]), str(row["hash"])


CHAIN_OPENED = "AUDIT_CHAIN_OPENED"


def _opening(chain: str) -> AuditRecord:
    """The system chain's note that an organization's chain began: a registry of chains."""
    return AuditRecord(action=CHAIN_OPENED, entity_type="AuditChain", entity_id=chain)


async def append(
    records: Iterable[AuditRecord],
    connection: BaseDBAsyncClient,
    heads: dict[str, tuple[int, str]] | None = None,
) -> int:
    """Append inside the caller's transaction; returns how many rows were written. ``heads``
    (chain -> (seq, hash)) is told where each chain's head was left (``db.audit_append``).

    Rows go in as one parametrised ``executemany`` of plain values: building a Tortoise model
    per row cost more than the rest of a 100-row read batch together. A chain seen for the
    first time is also registered in the system chain (locked last: "system" sorts after every
    organization id), so deleting a whole chain, head included, still leaves a trace that
    ``verify`` reports. The patients of each record go in as link rows, one statement for the
    whole batch, after the rows they point to.
    """
    by_chain: dict[str, list[AuditRecord]] = {}
    for record in records:
        by_chain.setdefault(record.chain, []).append(record)
    executor = connection.executor_class(model=AuditEvent, db=connection)
    columns = executor.regular_columns
    fields_map = AuditEvent._meta.fields_map
    values: list[list[Any]] = []
    links: list[tuple[str, str]] = []  # (audit row id, patient id)
    tips: list[tuple[int, str, str]] = []
    opened: list[AuditRecord] = []
    chains = sorted(set(by_chain) | {SYSTEM_CHAIN})  # a fixed lock order: no deadlock
    for chain in chains:
        batch = by_chain.get(chain, [])
        if chain == SYSTEM_CHAIN:
            batch = opened + batch
        if not batch:
            continue
        seq, prev = await _lock_head(chain, connection)
        if seq == 0 and chain != SYSTEM_CHAIN:
            opened.append(_opening(chain))
        for record in batch:
            seq += 1
            patients = sorted({str(p) for p in record.patient_ids})
            row = audit_row(record, chain, seq, prev, patients)
            prev = row["hash"]
            values.append([fields_map[c].to_db_value(row[c], AuditEvent) for c in columns])
            if patients:
                audit_id = str(row["id"])
                links.extend((audit_id, patient) for patient in patients)
        tips.append((seq, prev, chain))
    if not values:
        return 0
    await connection.execute_many(executor.insert_query, values)
    if links:
        await _link(links, connection)
    move = SQLITE_MOVE_HEAD if _sqlite(connection) else MOVE_HEAD
    for tip in tips:
        await connection.execute_query(move, list(tip))
    if heads is not None:
        heads.update({chain: (seq, last) for seq, last, chain in tips})
    return len(values)


async def _link(links: list[tuple[str, str]], connection: BaseDBAsyncClient) -> None:
    if _sqlite(connection):
        await connection.execute_many(SQLITE_LINK_PATIENTS, [list(link) for link in links])
        return
    audit_ids, patient_ids = zip(*links, strict=True)
    await connection.execute_query(LINK_PATIENTS, [list(audit_ids), list(patient_ids)])


def audit_row(
    record: AuditRecord, chain: str, seq: int, prev: str, patients: Sequence[str]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid4(),
        "chain": chain,
        "seq": seq,
        "prev_hash": prev,
        "occurred_at": record.occurred_at,
        "actor_user_id": record.actor_user_id,
        "actor_role": record.actor_role,
        "client_id": record.client_id,
        "practice_id": record.practice_id,
        "action": record.action,
        "entity_type": record.entity_type,
        "entity_id": record.entity_id,
        "patient_id": record.patient_id,
        "fields_read": sorted(set(record.fields_read)),
        "outcome": record.outcome,
        "request_id": record.request_id,
        "ip": record.ip,
        "user_agent": (record.user_agent or "")[:300] or None,
    }
    row["hash"] = link_hash(row, patients)
    return row


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain: str
    rows: int
    ok: bool
    problem: str | None = None
    first_bad_seq: int | None = None


async def verify(chain: str) -> ChainReport:
    """Walk one chain in order and report the first broken link, then check its head.

    A chain with rows but no head row is broken (deleting the head would otherwise hide a
    truncated tail), and so is a registered chain with neither. A row's patient links are part
    of its content.
    """
    expected_prev, expected_seq, count = GENESIS, 1, 0
    rows = AuditEvent.filter(chain=chain).order_by("seq").values()
    patients = await _patients_of(chain)
    for row in await rows:
        count += 1
        if row["seq"] != expected_seq:
            return ChainReport(chain, count, False, "sequence gap or reorder", expected_seq)
        if row["prev_hash"] != expected_prev:
            return ChainReport(chain, count, False, "previous-hash mismatch", row["seq"])
        if link_hash(row, sorted(patients.get(str(row["id"]), ()))) != row["hash"]:
            return ChainReport(chain, count, False, "row content altered", row["seq"])
        expected_prev, expected_seq = row["hash"], expected_seq + 1
    head = await AuditHead.get_or_none(chain=chain)
    if head is None:
        problem = "head row missing" if count else "chain missing (no rows and no head)"
        return ChainReport(chain, count, False, problem, expected_seq)
    if head.seq != expected_seq - 1 or head.hash != expected_prev:
        return ChainReport(chain, count, False, "chain truncated below its head", expected_seq)
    return ChainReport(chain, count, True)


async def _patients_of(chain: str) -> dict[str, list[str]]:
    """The linked patients of every row of the chain, by audit row id (one statement)."""
    links = AuditReadPatient.filter(audit__chain=chain).values_list("audit_id", "patient_id")
    found: dict[str, list[str]] = {}
    for audit_id, patient_id in await links:
        found.setdefault(str(audit_id), []).append(str(patient_id))
    return found


async def chains() -> list[str]:
    """Every chain that exists or should: heads, chains found in the rows, registered chains."""
    heads = await AuditHead.all().values_list("chain", flat=True)
    found = await AuditEvent.all().order_by("chain").distinct().values_list("chain", flat=True)
    registered = await AuditEvent.filter(chain=SYSTEM_CHAIN, action=CHAIN_OPENED).values_list(
        "entity_id", flat=True
    )
    return sorted({str(name) for name in [*heads, *found, *registered] if name})


def sign_checkpoint(chain: str, seq: int, head_hash: str, key: bytes) -> str:
    message = f"{chain}:{seq}:{head_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def row_hash_at(chain: str, seq: int) -> str | None:
    row = await AuditEvent.filter(chain=chain, seq=seq).first().values("hash")
    return None if row is None else str(row["hash"])

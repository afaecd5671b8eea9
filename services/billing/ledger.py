"""The practice's hash-chained financial ledger: each issued invoice, credit note, payment and
refund appends an entry whose hash covers its frozen content and the previous entry's hash, in
the same unit of work as the record itself. Editing or deleting a record, or an entry, breaks the
chain at that point (``aescrm verify-ledger``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

from db.models import LedgerEntry
from db.queries import billing_ledger as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork


def canonical(seq: int, kind: str, entity_id: str, content: dict[str, Any], at: datetime) -> bytes:
    body = {
        "seq": seq,
        "kind": kind,
        "entity": entity_id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "content": content,
    }
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def link_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


async def append(
    uow: UnitOfWork,
    practice_id: PracticeId,
    *,
    kind: str,
    entity_id: UUID,
    content: dict[str, Any],
    at: datetime | None = None,
) -> LedgerEntry:
    """Chain one financial record in the caller's transaction. ``content``: JSON-safe values
    only (ids and dates as text, amounts as integers): what a later edit must not change."""
    moment = at or datetime.now(UTC)
    head = await queries.locked_head(practice_id, uow.connection)
    seq = head.seq + 1
    digest = link_hash(head.hash, canonical(seq, kind, str(entity_id), content, moment))
    entry = LedgerEntry(
        id=uuid4(),
        practice_id=practice_id,
        seq=seq,
        kind=kind,
        entity_id=entity_id,
        content=content,
        prev_hash=head.hash,
        hash=digest,
        occurred_at=moment,
    )
    await entry.save(using_db=uow.connection)
    head.seq, head.hash = seq, digest
    await head.save(using_db=uow.connection, update_fields=["seq", "hash"])
    return entry

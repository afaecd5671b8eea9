"""``enqueue``: write a job on the current connection, inside the caller's transaction.

Inside ``db.uow.unit_of_work()`` (or any ``in_transaction()``) the job row joins that
transaction: a rollback enqueues nothing, a commit makes the job visible to workers together
with the change that caused it (the job table is the transactional outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

from db.queries import jobs as job_rows
from services.jobs import registry

MAX_KEY_LENGTH = 200
MAX_PAYLOAD_BYTES = 16 * 1024


async def enqueue(
    kind: str,
    payload: Mapping[str, Any],
    *,
    key: str | None = None,
    run_at: datetime | None = None,
    practice_id: UUID | None = None,
) -> bool:
    """Queue one ``kind`` job; False (a no-op) when ``key`` was already used for this kind.

    ``payload`` must be JSON with ids as strings and never patient names or other personal
    data: handlers load what they need. ``run_at`` defaults to now (naive times are UTC).
    """
    if not registry.KIND_PATTERN.match(kind) or len(kind) > 64:
        raise ValueError(f"job kind {kind!r} must be dotted lower_snake_case")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ValueError(f"job key must be 1-{MAX_KEY_LENGTH} characters")
    body = dict(payload)
    try:
        encoded = orjson.dumps(body)
    except TypeError as error:
        raise ValueError(f"job payload must be JSON (ids as strings): {error}") from None
    if len(encoded) > MAX_PAYLOAD_BYTES:
        raise ValueError("job payload too large: carry ids, not data")
    now = datetime.now(UTC)
    due = now if run_at is None else run_at
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    spec = registry.spec_for(kind)
    return await job_rows.insert(
        kind=kind,
        payload=body,
        key=key,
        run_at=due.astimezone(UTC),
        practice_id=practice_id,
        max_attempts=spec.max_attempts if spec else registry.DEFAULT_MAX_ATTEMPTS,
        now=now,
    )

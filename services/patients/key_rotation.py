"""Re-encrypting stored values under the newest key while the service keeps serving.

Rotation has three steps, because every server must be able to read the new key before anything
is written with it:

1. stage a key (``staged_ring``): known to every server, current for none (servers reload the
   development key file on a timer; settings in the environment take a rolling restart).
2. promote it (``promoted_ring``) once every server knows it: servers write new values with it.
3. ``rotate``: walk every encrypted column in id order, in small batches, and rewrite values that
   are not under the current key. Each row is updated only if it still holds the token we read
   (compare-and-set), so a concurrent edit by the running server is never overwritten. Re-running
   after an interruption skips what is already done: the walk is resumable by construction.

Blind indexes use a separate key that does not rotate (rotating it would orphan every index).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from db.crypto import FieldContext, KeyRing, serialise_keys
from db.models import PartnerWebhookEndpoint, User
from db.queries import encrypted_rows
from db.transient import is_transient
from services import runtime
from services.patients.sealing import ENCRYPTED_COLUMNS, context
from services.webhooks import secrets as webhook_secrets

log = logging.getLogger("aescrm.rotation")
BUSY_BACKOFF_SECONDS = (0.05, 0.2, 0.8, 2.0)


def _user_context(row: Any, column: str) -> FieldContext:
    # Owned by services.auth.mfa: user secrets are bound to the pseudo-tenant "user".
    return FieldContext(tenant="user", table="app_user", column=column, row_id=str(row.id))


@dataclass(frozen=True, slots=True)
class Target:
    model: type[Any]
    columns: tuple[str, ...]
    context: Callable[[Any, str], FieldContext]


def targets() -> list[Target]:
    found = [Target(model, cols, context) for model, cols in ENCRYPTED_COLUMNS.items()]
    found.append(Target(User, ("mfa_secret",), _user_context))
    # Owned by services.webhooks.secrets: signing secrets bound to their organisation.
    found.append(Target(PartnerWebhookEndpoint, ("secret",), webhook_secrets.context))
    return found


@dataclass(slots=True)
class Report:
    key_id: str
    rewritten: dict[str, int] = field(default_factory=dict)
    skipped_busy: int = 0  # rows changed under us; a later pass or run picks them up

    @property
    def total(self) -> int:
        return sum(self.rewritten.values())


async def rotate(
    *, batch_size: int = 500, passes: int = 3, on_batch: Callable[[str, int], None] | None = None
) -> Report:
    """Rewrite every value not under the current key; repeats until a pass finds nothing."""
    ring = runtime.keyring()
    report = Report(key_id=ring.current_key_id)
    for _ in range(passes):
        before = report.total
        report.skipped_busy = 0
        for target in targets():
            await _rotate_table(ring, target, report, batch_size, on_batch)
        if report.total == before and report.skipped_busy == 0:
            break
    return report


async def _rotate_table(
    ring: KeyRing,
    target: Target,
    report: Report,
    batch_size: int,
    on_batch: Callable[[str, int], None] | None,
) -> None:
    table = str(target.model._meta.db_table)
    last_id: Any = None
    while True:
        rows = await encrypted_rows.batch(target.model, after=last_id, limit=batch_size)
        if not rows:
            return
        last_id = rows[-1].id
        done = 0
        for row in rows:
            done += await _rotate_row(ring, target, row, report)
        report.rewritten[table] = report.rewritten.get(table, 0) + done
        if on_batch is not None:
            on_batch(table, done)


async def _rotate_row(ring: KeyRing, target: Target, row: Any, report: Report) -> int:
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for column in target.columns:
        token = getattr(row, column)
        if token and ring.needs_rotation(token):
            old[column] = token
            new[column] = ring.reencrypt(token, target.context(row, column))
    if not new:
        return 0
    updated = await _compare_and_set(target, row.id, old, new)
    if not updated:
        report.skipped_busy += 1
        return 0
    return 1


async def _compare_and_set(
    target: Target, row_id: Any, old: dict[str, str], new: dict[str, str]
) -> int:
    """One row's update, retried with backoff while the database is busy (bounded: a row
    still busy after the last try is left for the next pass, never an error)."""
    for delay in (*BUSY_BACKOFF_SECONDS, None):
        try:
            return await encrypted_rows.compare_and_set(target.model, row_id, old, new)
        except Exception as error:
            if not is_transient(error):
                raise
            if delay is None:
                return 0  # counted as busy: the next pass or run takes it
            log.info("database busy; retrying a re-encrypted row", extra={"delay": delay})
            await asyncio.sleep(delay)
    return 0


async def pending() -> int:
    """How many rows still hold a value under an older key (0 means old keys can go)."""
    ring = runtime.keyring()
    count = 0
    for target in targets():
        async for row in _all(target):
            if any(
                getattr(row, c) and ring.needs_rotation(getattr(row, c)) for c in target.columns
            ):
                count += 1
    return count


async def _all(target: Target, batch_size: int = 1000) -> Any:
    last_id: Any = None
    while True:
        rows = await encrypted_rows.batch(target.model, after=last_id, limit=batch_size)
        if not rows:
            return
        last_id = rows[-1].id
        for row in rows:
            yield row


def staged_ring() -> tuple[KeyRing, str]:
    """The current ring plus a fresh key, known but not yet current (nothing persisted)."""
    return runtime.keyring().with_staged_key()


def promoted_ring(key_id: str) -> KeyRing:
    """The current ring with a key it already knows made current (nothing persisted)."""
    return runtime.keyring().promoted(key_id)


def stage_dev_key(path: Path) -> tuple[KeyRing, str]:
    """Add a new key, known but not current, to the development key file."""
    ring, key_id = staged_ring()
    _write_dev_file(path, ring, stamp=("staged", key_id))
    return ring, key_id


def promote_dev_key(path: Path, key_id: str) -> KeyRing:
    """Make a key the development key file already holds the current one."""
    ring = promoted_ring(key_id)
    _write_dev_file(path, ring, stamp=("promoted", key_id))
    return ring


def seconds_since(path: Path, event: str, key_id: str) -> float | None:
    """How long ago the key file recorded ``event`` ("staged"/"promoted") for ``key_id``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    at = (data.get(event) or {}).get(key_id)
    if not isinstance(at, str):
        return None
    return (datetime.now(UTC) - datetime.fromisoformat(at)).total_seconds()


def _write_dev_file(path: Path, ring: KeyRing, *, stamp: tuple[str, str]) -> None:
    """Rewrite the key file atomically (mode 0600), noting when a key was staged or promoted."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["encryption_keys"] = serialise_keys(ring)
    event, key_id = stamp
    data[event] = {**(data.get(event) or {}), key_id: datetime.now(UTC).isoformat()}
    spare = path.with_suffix(".tmp")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(spare, path)

"""Unit of work: one transaction in which a change, its outbox events and its audit rows commit
together — or none of them do. Events are announced only after the commit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from db import audit_chain, outbox
from db.audit_chain import AuditRecord
from db.models.outbox import DomainEvent
from db.outbox import PendingEvent

log = logging.getLogger(__name__)

AfterCommit = Callable[[list[DomainEvent]], Awaitable[None]]
_after_commit: list[AfterCommit] = []


def on_commit(hook: AfterCommit) -> Callable[[], None]:
    """Register a coroutine told about committed events (the relay wakes on it)."""
    _after_commit.append(hook)
    return lambda: _after_commit.remove(hook)


class UnitOfWork:
    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.connection = connection
        self._events: list[PendingEvent] = []
        self._audit: list[AuditRecord] = []
        self.committed_events: list[DomainEvent] = []

    def emit(self, event: PendingEvent) -> None:
        self._events.append(event)

    def audit(self, record: AuditRecord) -> None:
        self._audit.append(record)

    async def flush(self) -> None:
        if self._events:
            self.committed_events = await outbox.append(self._events, self.connection)
            self._events = []
        if self._audit:
            await audit_chain.append(self._audit, self.connection)
            self._audit = []


# Any write statement takes SQLite's write lock; this one changes nothing. See write_transaction.
_SQLITE_TAKE_WRITE_LOCK = "UPDATE audit_head SET seq = seq WHERE 0"


@asynccontextmanager
async def write_transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction that will write: on SQLite it takes the write lock before reading anything.

    SQLite's ``BEGIN`` is deferred: a transaction that reads first and writes later fails at
    once with "database is locked" when another process (``aescrm rotate-keys``, a second
    server) committed in between, because its snapshot is stale; the busy timeout does not
    help there. Taking the lock first makes it wait instead (SQLite retries with backoff for
    up to the connection's busy timeout, 5 s), and then read current data. PostgreSQL needs
    nothing: row locks and MVCC already do this.
    """
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "sqlite":
            await connection.execute_query(_SQLITE_TAKE_WRITE_LOCK)
        yield connection


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[UnitOfWork]:
    async with write_transaction() as connection:
        uow = UnitOfWork(connection)
        yield uow
        await uow.flush()
    if uow.committed_events:
        for hook in list(_after_commit):
            try:
                await hook(uow.committed_events)
            except Exception:  # the relay's own poll still delivers; never fail a commit here
                log.exception("after-commit hook failed")

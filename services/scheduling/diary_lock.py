"""The per-practice diary lock, taken first in every scheduling write transaction.

Bookings, reschedules and holds check bookable time (sessions, opening hours, absences,
closures) and that what they use is active inside their transaction, so a set-up change that
takes time away or archives must not commit between that check and their insert. On PostgreSQL
writers of the diary take a transaction-scoped advisory lock on the practice in SHARED mode
(bookings still run in parallel; the exclusion constraint settles their clashes) and such set-up
changes take it EXCLUSIVE, so each waits for the other's commit and then sees it. On SQLite
every writer updates the practice's settings row first, which takes the database write lock:
writers of a practice run one at a time.
"""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.queries import diary_settings
from db.tenancy import PracticeId

# First half of the two-integer advisory key: "diary" (other advisory locks pick other values).
NAMESPACE = 0x44494152


class Mode(Enum):
    SHARED = "SELECT pg_advisory_xact_lock_shared($1, $2)"
    EXCLUSIVE = "SELECT pg_advisory_xact_lock($1, $2)"


def key(practice_id: UUID) -> int:
    """The practice's half of the key: 32 bits of its id (a collision only serialises more)."""
    return int.from_bytes(practice_id.bytes[:4], "big", signed=True)


async def take(connection: BaseDBAsyncClient, practice_id: PracticeId, mode: Mode) -> None:
    """Held until the transaction on ``connection`` ends; call before reading what you check."""
    if connection.capabilities.dialect == "sqlite":
        await diary_settings.bump_version(practice_id, connection)
        return
    await connection.execute_query(mode.value, [NAMESPACE, key(practice_id)])


async def for_booking(connection: BaseDBAsyncClient, practice_id: PracticeId) -> None:
    """Bookings, reschedules, holds: parallel with each other, never with a set-up change."""
    await take(connection, practice_id, Mode.SHARED)


async def for_setup(connection: BaseDBAsyncClient, practice_id: PracticeId) -> None:
    """A set-up change that can take bookable time away, or an archive: alone in the diary."""
    await take(connection, practice_id, Mode.EXCLUSIVE)

"""Gap-free invoice numbers per practice: ``<prefix><number>``, e.g. ``LWD-000042``.

The counter row (``InvoiceSequence``) is created on first use and locked inside the issuing
unit of work; the number is written to the invoice in that same transaction. A failed or rolled
back issue therefore leaves the counter where it was: numbers are taken only by invoices (and
credit notes, which share the sequence) that were actually issued. SQLite serialises writers at
``BEGIN`` (see ``db.uow.write_transaction``), PostgreSQL at the row lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from db.queries import invoices as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork

WIDTH = 6


@dataclass(frozen=True, slots=True)
class Number:
    sequence: int
    text: str


def default_prefix(practice_name: str) -> str:
    """Initials of the practice's name (at most four letters) and a dash: ``LWD-``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", practice_name) if w and w[0].isalnum()]
    initials = "".join(w[0] for w in words if w[0].isalpha()).upper()[:4]
    return f"{initials or 'INV'}-"


def formatted(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:0{WIDTH}d}"


async def take(uow: UnitOfWork, practice_id: PracticeId, practice_name: str) -> Number:
    """The practice's next number, taken in ``uow`` (given back if ``uow`` rolls back)."""
    counter = await queries.locked_sequence(
        practice_id, default_prefix(practice_name), uow.connection
    )
    counter.last_number += 1
    await counter.save(using_db=uow.connection, update_fields=["last_number"])
    return Number(counter.last_number, formatted(counter.prefix, counter.last_number))

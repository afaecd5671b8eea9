"""The one error this package adds: stored ciphertext that fails authentication."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.errors import DomainError


@dataclass(frozen=True, slots=True)
class SealedValue:
    """Where a value that failed its check lives (ids and names only, never the value)."""

    practice_id: UUID
    table: str
    column: str
    row_id: str
    patient_id: UUID | None


class DataIntegrityError(DomainError):
    """A stored value failed its integrity check: we refuse to show it rather than guess.

    The message names no value; the server log carries table, column and row id, and
    ``where`` lets the request's audit trail record the failure against the record.
    """

    code = "DATA_INTEGRITY_ERROR"

    def __init__(self, where: SealedValue | None = None) -> None:
        super().__init__(
            "Part of this record failed an integrity check and cannot be shown. "
            "The incident has been logged."
        )
        self.where = where

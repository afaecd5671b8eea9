"""The one error this package adds: stored ciphertext that fails authentication."""

from __future__ import annotations

from services.errors import DomainError


class DataIntegrityError(DomainError):
    """A stored value failed its integrity check: we refuse to show it rather than guess.

    The message names no value; the server log carries table, column and row id.
    """

    code = "DATA_INTEGRITY_ERROR"

    def __init__(self) -> None:
        super().__init__(
            "Part of this record failed an integrity check and cannot be shown. "
            "The incident has been logged."
        )

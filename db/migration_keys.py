"""The key ring a data migration may use to encrypt existing rows.

Migrations live in ``db`` and cannot reach ``services.runtime``; ``aescrm migrate`` hands the
configured ring to :func:`db.config.apply_migrations`, which exposes it here for the duration of
the run. A migration that finds rows to encrypt and no ring refuses, rather than guessing keys.
"""

from __future__ import annotations

from contextvars import ContextVar

from db.crypto import KeyRing

MIGRATION_KEYRING: ContextVar[KeyRing | None] = ContextVar("aescrm_migration_keyring", default=None)


def required(purpose: str) -> KeyRing:
    ring = MIGRATION_KEYRING.get()
    if ring is None:
        raise RuntimeError(
            f"{purpose} needs the encryption keys: run it with `aescrm migrate` "
            "(AESCRM_ENCRYPTION_KEYS or the development key file)"
        )
    return ring

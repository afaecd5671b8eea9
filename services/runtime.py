"""Process-wide service configuration, set once at start-up from the validated settings.

Services read keys and limits from here rather than from GraphQL or environment variables, so
they work the same under the server, the CLI and the tests.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from db.crypto import KeyConfigurationError, KeyRing, load_keyring, read_dev_keyring

log = logging.getLogger("aescrm.keys")


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    production: bool = False
    secret_key: str = "dev-insecure-secret-key-change-me-0123456789"  # noqa: S105 - dev default
    jwt_keys: str | None = None
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=14)
    idle_timeout: timedelta = timedelta(minutes=60)
    login_max_failures: int = 5
    login_lock: timedelta = timedelta(minutes=15)
    # Single-use links sent by email: invitations; password resets and email changes.
    invitation_ttl: timedelta = timedelta(hours=72)
    password_reset_ttl: timedelta = timedelta(minutes=30)
    encryption_keys: str | None = None
    blind_index_key: str | None = None
    dev_key_file: Path | None = Path("var/dev-keys.json")
    # Outbound partner webhooks (services/webhooks/config.py)
    webhook_allow_loopback: bool = False  # tests only; graph/settings.py refuses it in production
    webhook_timeout_seconds: float = 10.0
    webhook_disable_after: int = 15


@dataclass(slots=True)
class _Runtime:
    config: ServiceConfig
    keyring: KeyRing
    jwt_keys: dict[str, bytes]
    jwt_current: str
    key_file_stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the key file last read


_runtime: _Runtime | None = None


def _parse_jwt_keys(config: ServiceConfig) -> tuple[dict[str, bytes], str]:
    if not config.jwt_keys:
        # Development: one key derived from the secret key, stable across restarts.
        derived = hashlib.sha256(b"aescrm-jwt:" + config.secret_key.encode()).digest()
        return {"dev": derived}, "dev"
    keys: dict[str, bytes] = {}
    current = ""
    for entry in config.jwt_keys.split(","):
        kid, _, secret = entry.strip().partition(":")
        if not kid or len(secret) < 32:
            raise ValueError("AESCRM_JWT_KEYS entries must be 'kid:secret' with 32+ char secrets")
        keys[kid] = secret.encode()
        current = kid
    return keys, current


def configure(config: ServiceConfig) -> None:
    global _runtime
    keyring = load_keyring(
        encryption_keys=config.encryption_keys,
        blind_index_key=config.blind_index_key,
        dev_key_file=config.dev_key_file,
        production=config.production,
    )
    jwt_keys, current = _parse_jwt_keys(config)
    _runtime = _Runtime(config, keyring, jwt_keys, current, _stamp(config.dev_key_file))


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        info = path.stat() if path is not None else None
    except FileNotFoundError:
        return None
    return None if info is None else (info.st_mtime_ns, info.st_size)


def _get() -> _Runtime:
    if _runtime is None:
        raise RuntimeError("services.runtime.configure() has not been called")
    return _runtime


def config() -> ServiceConfig:
    return _get().config


def keyring() -> KeyRing:
    return _get().keyring


def replace_keyring(ring: KeyRing) -> None:
    """Used by key rotation once the new key has been persisted."""
    _get().keyring = ring


def reload_keyring() -> bool:
    """Re-read the key store and adopt its ring if it changed; True when it did.

    A running server calls this on a timer, so a key added (known, not yet current) or
    promoted with ``aescrm rotate-keys`` reaches it without a restart. Only the development key
    file can change under a running process; keys given in the environment change with a
    (rolling) restart. A ring whose blind-index key differs is refused: it would orphan every
    search index.
    """
    runtime = _get()
    path = runtime.config.dev_key_file
    if runtime.config.encryption_keys or path is None:
        return False
    stamp = _stamp(path)
    if stamp is None or stamp == runtime.key_file_stamp:
        return False  # unchanged since last read: nothing to learn
    runtime.key_file_stamp = stamp
    try:
        ring = read_dev_keyring(path)
    except KeyConfigurationError as error:
        log.error("encryption keys not reloaded", extra={"reason": str(error)})
        return False
    if ring is None or ring.same_keys(runtime.keyring):
        return False
    if not ring.same_blind_index_key(runtime.keyring):
        log.error("encryption keys not reloaded", extra={"reason": "blind-index key changed"})
        return False
    runtime.keyring = ring
    log.info(
        "encryption keys reloaded",
        extra={"key_ids": list(ring.key_ids), "current_key_id": ring.current_key_id},
    )
    return True


def jwt_keys() -> tuple[dict[str, bytes], str]:
    runtime = _get()
    return runtime.jwt_keys, runtime.jwt_current

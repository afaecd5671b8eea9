"""Field-level encryption at rest, blind indexes and the key ring.

One module owns the token format, the associated data and key rotation, so no column can drift
to a weaker scheme. Tokens look like ``v1.<key_id>.<urlsafe-b64(nonce || ciphertext+tag)>``:
ASCII, so they fit a TEXT column on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Container, Mapping
from dataclasses import astuple, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "CiphertextError",
    "FieldContext",
    "KeyConfigurationError",
    "KeyRing",
    "generate_key_material",
    "load_keyring",
    "read_dev_keyring",
    "serialise_keys",
]

logger = logging.getLogger(__name__)

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96 bits: the GCM nonce size that needs no extra hashing
_TAG_BYTES = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # no '.', ',' or ':' so tokens and settings parse
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
ENCRYPTION_KEYS_SETTING = "AESCRM_ENCRYPTION_KEYS"
BLIND_INDEX_KEY_SETTING = "AESCRM_BLIND_INDEX_KEY"


class CiphertextError(Exception):
    """A token could not be authenticated; never carries plaintext or key material."""


class KeyConfigurationError(ValueError):
    """Key settings are missing or malformed; names the setting, never the key."""


@dataclass(frozen=True, slots=True)
class FieldContext:
    """Where a value lives; bound into the tag so a token cannot be moved elsewhere."""

    tenant: str
    table: str
    column: str
    row_id: str

    def __post_init__(self) -> None:
        # An empty part would silently weaken the binding (e.g. encrypting before the id exists).
        if not all(astuple(self)):
            raise ValueError("FieldContext needs a non-empty tenant, table, column and row_id")

    def aad(self, key_id: str) -> bytes:
        """Canonical associated data: JSON with sorted keys cannot be read two ways."""
        parts = {"v": VERSION, "kid": key_id, "tenant": self.tenant, "table": self.table}
        parts |= {"column": self.column, "row_id": self.row_id}
        return json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()


def _normalise_phone(value: str) -> str:
    """UK numbers to E.164 so the same phone written three ways finds one patient."""
    digits = re.sub(r"[\s\-()]", "", value.replace("(0)", ""))
    if digits.startswith("0044"):
        return "+44" + digits[4:]
    if digits.startswith("0"):
        return "+44" + digits[1:]
    return digits


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "email": lambda v: v.strip().casefold(),
    "phone": _normalise_phone,
    "nhs_number": lambda v: re.sub(r"\D", "", v),
}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _check_key(key_id: str, key: bytes, what: str) -> None:
    if not _KEY_ID.fullmatch(key_id):
        raise KeyConfigurationError(f"{what}: key id must match {_KEY_ID.pattern}")
    if len(key) != KEY_BYTES:
        raise KeyConfigurationError(f"{what}: key must be {KEY_BYTES} bytes, got {len(key)}")


class KeyRing:
    """Data keys by id (one current) plus a blind-index key that never rotates with them.

    The blind-index key stays fixed because rotating it would orphan every stored index.
    """

    __slots__ = ("_aead", "_blind_index_key", "_current_key_id", "_keys")

    def __init__(
        self, keys: Mapping[str, bytes], current_key_id: str, blind_index_key: bytes
    ) -> None:
        for key_id, key in keys.items():
            _check_key(key_id, key, f"encryption key {key_id!r}")
        _check_key("blind", blind_index_key, "blind index key")
        if current_key_id not in keys:
            raise KeyConfigurationError(f"current key id {current_key_id!r} is not in the ring")
        self._keys = dict(keys)
        self._aead = {key_id: AESGCM(key) for key_id, key in self._keys.items()}
        self._blind_index_key = blind_index_key
        self._current_key_id = current_key_id

    def __repr__(self) -> str:  # key ids only: reprs end up in logs and tracebacks
        return f"KeyRing(key_ids={list(self._keys)}, current_key_id={self.current_key_id!r})"

    @classmethod
    def generate(cls) -> KeyRing:
        """A fresh ring with one key, for development and tests."""
        key_id = _new_key_id(())
        return cls({key_id: secrets.token_bytes(KEY_BYTES)}, key_id, secrets.token_bytes(KEY_BYTES))

    @property
    def current_key_id(self) -> str:
        return self._current_key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def encrypt(self, plaintext: str, ctx: FieldContext) -> str:
        """Encrypt with the current key and a random nonce, bound to ``ctx``."""
        key_id = self.current_key_id
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead[key_id].encrypt(nonce, plaintext.encode(), ctx.aad(key_id))
        return f"{VERSION}.{key_id}.{_b64url(nonce + sealed)}"

    def decrypt(self, token: str, ctx: FieldContext) -> str:
        """Authenticate and decrypt; any doubt raises rather than returning garbage."""
        key_id, raw = self._parse(token)
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        try:
            return self._aead[key_id].decrypt(nonce, sealed, ctx.aad(key_id)).decode()
        except (InvalidTag, UnicodeDecodeError):
            raise CiphertextError(
                f"ciphertext for {ctx.table}.{ctx.column} failed authentication"
            ) from None

    def encrypt_optional(self, plaintext: str | None, ctx: FieldContext) -> str | None:
        return None if plaintext is None else self.encrypt(plaintext, ctx)

    def decrypt_optional(self, token: str | None, ctx: FieldContext) -> str | None:
        return None if token is None else self.decrypt(token, ctx)

    def needs_rotation(self, token: str) -> bool:
        """True when the token was not written with the current key."""
        return self._parse(token)[0] != self.current_key_id

    def reencrypt(self, token: str, ctx: FieldContext) -> str:
        """Decrypt and encrypt again under the current key (what rotate-keys does per value)."""
        return self.encrypt(self.decrypt(token, ctx), ctx)

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed hash for equality lookups on encrypted columns; the kind separates domains."""
        normalise = _NORMALISERS.get(kind)
        if normalise is None:
            raise ValueError(f"unknown blind index kind {kind!r}; known: {sorted(_NORMALISERS)}")
        normalised = normalise(value)
        if not normalised:  # an empty index would match every empty value
            raise ValueError(f"cannot build a blind index of an empty {kind}")
        message = kind.encode() + b"\x00" + normalised.encode()
        return hmac.new(self._blind_index_key, message, hashlib.sha256).hexdigest()

    def with_new_key(self) -> tuple[KeyRing, str]:
        """A ring whose new key is current; old keys stay so existing tokens still decrypt."""
        staged, key_id = self.with_staged_key()
        return staged.promoted(key_id), key_id

    def with_staged_key(self) -> tuple[KeyRing, str]:
        """A ring that knows a new key but still encrypts with the current one.

        Rotation step 1: every server must know a key before any server writes with it.
        """
        key_id = _new_key_id(self._keys)
        keys = {key_id: secrets.token_bytes(KEY_BYTES), **self._keys}
        return KeyRing(keys, self._current_key_id, self._blind_index_key), key_id

    def promoted(self, key_id: str) -> KeyRing:
        """The same keys with ``key_id`` (already known) as the current one."""
        if key_id not in self._keys:
            raise KeyConfigurationError(f"key {key_id!r} is not in the ring; add it first")
        return KeyRing(self._keys, key_id, self._blind_index_key)

    def same_keys(self, other: KeyRing) -> bool:
        """Equal key material, current key and blind-index key."""
        return (self._keys, self._current_key_id, self._blind_index_key) == (
            other._keys,
            other._current_key_id,
            other._blind_index_key,
        )

    def same_blind_index_key(self, other: KeyRing) -> bool:
        return hmac.compare_digest(self._blind_index_key, other._blind_index_key)

    def _parse(self, token: str) -> tuple[str, bytes]:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != VERSION or not _B64URL.fullmatch(parts[2]):
            raise CiphertextError("malformed ciphertext")
        key_id, payload = parts[1], parts[2]
        if not _KEY_ID.fullmatch(key_id):
            raise CiphertextError("malformed ciphertext")
        if key_id not in self._aead:
            raise CiphertextError(f"ciphertext uses unknown key id {key_id!r}")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except (binascii.Error, ValueError):
            raise CiphertextError("malformed ciphertext") from None
        # Re-encoding must give the same text: otherwise spare base64 bits make tokens malleable.
        if _b64url(raw) != payload or len(raw) < NONCE_BYTES + _TAG_BYTES:
            raise CiphertextError("malformed ciphertext")
        return key_id, raw


def _new_key_id(existing: Container[str]) -> str:
    key_id = "k" + secrets.token_hex(4)
    return _new_key_id(existing) if key_id in existing else key_id


def _decode_key(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(f"{what}: not valid base64") from None


def _parse_keyring(encryption_keys: str, blind_index_key: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    entries = [entry.strip() for entry in encryption_keys.split(",") if entry.strip()]
    for position, entry in enumerate(entries, start=1):
        what = f"{ENCRYPTION_KEYS_SETTING} entry {position}"
        key_id, sep, encoded = (part.strip() for part in entry.partition(":"))
        if not sep or key_id in keys:
            raise KeyConfigurationError(f"{what}: expected a new 'key_id:base64key'")
        keys[key_id] = _decode_key(encoded, what)
        _check_key(key_id, keys[key_id], what)
    if not keys:
        raise KeyConfigurationError(f"{ENCRYPTION_KEYS_SETTING} holds no keys")
    blind = _decode_key(blind_index_key, BLIND_INDEX_KEY_SETTING)
    _check_key("blind", blind, BLIND_INDEX_KEY_SETTING)
    return KeyRing(keys, next(reversed(keys)), blind)


def serialise_keys(ring: KeyRing) -> str:
    """The ``kid:base64,...`` setting for a ring, current key last as the loader expects."""
    order = [k for k in ring.key_ids if k != ring.current_key_id] + [ring.current_key_id]
    return ",".join(f"{k}:{base64.b64encode(ring._keys[k]).decode()}" for k in order)


def _settings(ring: KeyRing) -> tuple[str, str]:
    return serialise_keys(ring), base64.b64encode(ring._blind_index_key).decode()


def generate_key_material() -> dict[str, str]:
    """Fresh production settings, keyed by environment variable name, for a CLI to print."""
    keys, blind = _settings(KeyRing.generate())
    return {ENCRYPTION_KEYS_SETTING: keys, BLIND_INDEX_KEY_SETTING: blind}


def read_dev_keyring(path: Path) -> KeyRing | None:
    """The ring in the development key file as it is now; None if there is no file yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _parse_keyring(data["encryption_keys"], data["blind_index_key"])
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise KeyConfigurationError(f"development key file {path} is not valid") from None


def _dev_keyring(path: Path) -> KeyRing:
    """Read the development key file, creating it (0600) on first use."""
    existing = read_dev_keyring(path)
    if existing is not None:
        return existing
    ring = KeyRing.generate()
    keys, blind = _settings(ring)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a private name, then linked into place: a process starting at the same
    # moment sees no file or a complete one, never a half-written one.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"encryption_keys": keys, "blind_index_key": blind}, handle)
    try:
        os.link(draft, path)
    except FileExistsError:  # another process won the race: use its keys
        return _dev_keyring(path)
    finally:
        draft.unlink()
    logger.warning(
        "Generated development encryption keys in %s; they must never be used in production", path
    )
    return ring


def load_keyring(
    *,
    encryption_keys: str | None,
    blind_index_key: str | None,
    dev_key_file: Path | None,
    production: bool,
) -> KeyRing:
    """Build the ring from settings; only development may fall back to a generated key file."""
    given = {ENCRYPTION_KEYS_SETTING: encryption_keys, BLIND_INDEX_KEY_SETTING: blind_index_key}
    missing = [name for name, value in given.items() if not (value and value.strip())]
    if not missing:
        return _parse_keyring(encryption_keys or "", blind_index_key or "")
    if production or len(missing) == 1:  # half-configured keys are a mistake in any mode
        raise KeyConfigurationError(f"{' and '.join(missing)} must be set")
    if dev_key_file is None:
        raise KeyConfigurationError(
            f"{' and '.join(missing)} must be set, or a development key file given"
        )
    return _dev_keyring(dev_key_file)

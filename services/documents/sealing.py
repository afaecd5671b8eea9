"""Envelope encryption for files: a random key per document, wrapped by the service key ring.

Each document gets its own AES-256-GCM data key, so ``rotate-keys`` re-wraps a 32-byte key per
document (the ``wrapped_key`` column is an ordinary encrypted column) instead of re-encrypting
gigabytes of images. A file is sealed in 1 MiB chunks: every chunk's associated data names the
document, the part (original or thumbnail), the chunk's position and whether it is the last, so
chunks cannot be reordered, swapped between files or parts, or the file truncated, without the
read failing. Nonces are (part, chunk number): unique because the key is unique to the document.
"""

from __future__ import annotations

import base64
import secrets
import struct
from enum import IntEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from db.crypto import CiphertextError, FieldContext, KeyRing

MAGIC = b"AESDOC1\x00"
CHUNK = 1 << 20
TAG = 16
KEY_BYTES = 32
HEADER = struct.Struct(">8sI")  # magic, chunk size


class Part(IntEnum):
    ORIGINAL = 0
    THUMBNAIL = 1


def key_context(practice_id: object, document_id: object) -> FieldContext:
    """The same binding as any encrypted column (``document.wrapped_key`` of this row)."""
    return FieldContext(str(practice_id), "document", "wrapped_key", str(document_id))


def new_file_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def wrap(ring: KeyRing, practice_id: object, document_id: object, key: bytes) -> str:
    text = base64.urlsafe_b64encode(key).decode()
    return ring.encrypt(text, key_context(practice_id, document_id))


def unwrap(ring: KeyRing, practice_id: object, document_id: object, wrapped: str) -> bytes:
    key = base64.urlsafe_b64decode(ring.decrypt(wrapped, key_context(practice_id, document_id)))
    if len(key) != KEY_BYTES:
        raise CiphertextError("document key has the wrong length")
    return key


def _nonce(part: Part, index: int) -> bytes:
    return part.to_bytes(4, "big") + index.to_bytes(8, "big")


def _aad(document_id: str, part: Part, index: int, last: bool) -> bytes:
    return f"{document_id}:{part.name}:{index}:{int(last)}".encode()


def seal(key: bytes, document_id: object, part: Part, plaintext: bytes) -> bytes:
    if not plaintext:
        raise ValueError("an empty file cannot be sealed")
    aead = AESGCM(key)
    doc = str(document_id)
    parts = [HEADER.pack(MAGIC, CHUNK)]
    count = (len(plaintext) + CHUNK - 1) // CHUNK
    view = memoryview(plaintext)
    for index in range(count):
        chunk = view[index * CHUNK : (index + 1) * CHUNK]
        aad = _aad(doc, part, index, index == count - 1)
        parts.append(aead.encrypt(_nonce(part, index), chunk, aad))
    return b"".join(parts)


def open_sealed(key: bytes, document_id: object, part: Part, blob: bytes) -> bytes:
    """The plaintext, or ``CiphertextError`` for any tampering, truncation or wrong key."""
    if len(blob) < HEADER.size:
        raise CiphertextError("document blob is truncated")
    magic, chunk = HEADER.unpack_from(blob)
    if magic != MAGIC or chunk <= 0:
        raise CiphertextError("document blob has an unknown format")
    aead = AESGCM(key)
    doc = str(document_id)
    body = memoryview(blob)[HEADER.size :]
    step = chunk + TAG
    count = (len(body) + step - 1) // step
    if count == 0:
        raise CiphertextError("document blob is truncated")
    out = []
    try:
        for index in range(count):
            sealed = body[index * step : (index + 1) * step]
            aad = _aad(doc, part, index, index == count - 1)
            out.append(aead.decrypt(_nonce(part, index), sealed, aad))
    except InvalidTag:
        raise CiphertextError("document blob failed authentication") from None
    return b"".join(out)


__all__ = ["Part", "key_context", "new_file_key", "open_sealed", "seal", "unwrap", "wrap"]

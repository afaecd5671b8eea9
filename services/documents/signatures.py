"""A patient's drawn signature: a small PNG or JPEG, base64 on the wire, proven from its bytes.

Treatment-plan acceptance and consent-form signing both take one and keep it as a SIGNATURE
document staged before their unit of work (see :func:`services.documents.library.stage`), so the
checks and their stable error fields live here once.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from uuid import UUID

from db.models import Patient
from services.documents import library
from services.errors import ValidationFailed
from services.principal import Principal

MAX_SIGNATURE_BYTES = 64 * 1024  # a signature pad image is a few KiB; under the body limit
MAX_EDGE = 4000  # pixels; a signature pad is well under this
SIGNATURE_TYPES = frozenset({"image/png", "image/jpeg"})
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


@dataclass(frozen=True, slots=True)
class Signature:
    data: bytes
    content_type: str


def decode(
    base64_text: str,
    content_type: str | None = None,
    *,
    field: str = "signatureBase64",
    type_field: str = "signatureContentType",
) -> Signature:
    """The image's bytes and type. ``content_type`` None: the type the bytes start with (the
    document library proves it again from the whole file when staging)."""
    if content_type is not None:
        declared = content_type.split(";")[0].strip().lower()
        if declared not in SIGNATURE_TYPES:
            raise ValidationFailed("A signature is a PNG or JPEG image.", field=type_field)
    if len(base64_text) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise ValidationFailed("The signature image is larger than 64 KiB.", field=field)
    try:
        data = base64.b64decode(base64_text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("The signature is not base64.", field=field) from None
    if not data:
        raise ValidationFailed("The signature image is empty.", field=field)
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationFailed("The signature image is larger than 64 KiB.", field=field)
    if content_type is None:
        sniffed = next((t for magic, t in _MAGIC if data.startswith(magic)), None)
        if sniffed is None:
            raise ValidationFailed("A signature is a PNG or JPEG image.", field=field)
        return Signature(data, sniffed)
    return Signature(data, declared)


async def stage(
    principal: Principal, patient: Patient, signature: Signature, *, title: str, field: str
) -> library.Staged:
    """The signature checked as an image and sealed into the store; the SIGNATURE document row
    is saved by ``library.save_in`` in the caller's unit of work (``library.unstage`` if that
    does not commit). A file whose bytes are not the image it claims is refused on ``field``.
    The caller has proved ``principal`` may sign for ``patient``."""
    try:
        staged = await library.stage_for(
            principal,
            patient,
            library.Upload(
                patient_id=UUID(str(patient.id)),
                kind=library.DocumentKind.SIGNATURE.value,
                title=title,
                content_type=signature.content_type,
                data=signature.data,
            ),
            max_bytes=MAX_SIGNATURE_BYTES,
        )
    except ValidationFailed as error:
        if error.field in ("contentType", "file"):
            raise ValidationFailed(error.message, field=field) from None
        raise
    width, height = staged.document.width or 0, staged.document.height or 0
    if width > MAX_EDGE or height > MAX_EDGE:
        await library.unstage(staged)
        raise ValidationFailed(
            f"A signature image is at most {MAX_EDGE} pixels on a side.", field=field
        )
    return staged

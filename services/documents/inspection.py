"""What an uploaded file really is, judged from its bytes, never from its name or header.

A declared ``image/jpeg`` whose bytes are a Windows executable, a PDF or nothing recognisable is
refused: the type a browser later receives is the one the bytes prove. Images are opened with
Pillow (with its decompression-bomb limit) to read their dimensions and make a thumbnail.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import puremagic
from PIL import Image, UnidentifiedImageError

from services.errors import ValidationFailed

# Types a clinic stores, each with the puremagic extensions that prove it.
ACCEPTED: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jfif", ".jpe"}),
    "image/png": frozenset({".png"}),
    "image/tiff": frozenset({".tif", ".tiff"}),
    "image/webp": frozenset({".webp"}),
    "application/pdf": frozenset({".pdf"}),
}
IMAGES = frozenset({"image/jpeg", "image/png", "image/tiff", "image/webp"})
THUMBNAIL_EDGE = 320
MAX_PIXELS = 80_000_000  # a 16-bit panoramic X-ray is ~10 Mpx; more is a decompression bomb


@dataclass(frozen=True, slots=True)
class Inspected:
    content_type: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None  # JPEG


def _sniffed_extensions(data: bytes) -> set[str]:
    try:
        matches = puremagic.magic_string(data[:8192])
    except puremagic.PureError:
        return set()
    return {m.extension.lower() for m in matches if m.extension}


def inspect(data: bytes, declared: str) -> Inspected:
    content_type = declared.split(";")[0].strip().lower()
    if content_type not in ACCEPTED:
        raise ValidationFailed(
            f"Files of type '{content_type or 'none'}' are not accepted; use one of "
            + ", ".join(sorted(ACCEPTED))
            + ".",
            field="contentType",
        )
    if not ACCEPTED[content_type] & _sniffed_extensions(data):
        raise ValidationFailed(f"The file's contents are not {content_type}.", field="contentType")
    if content_type not in IMAGES:
        return Inspected(content_type)
    return _image(data, content_type)


def _image(data: bytes, content_type: str) -> Inspected:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationFailed("The image is too large to process.", field="file")
            image.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))  # JPEG: decode at reduced size
            image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            thumb = image.convert("RGB") if image.mode not in ("RGB", "L") else image
            out = io.BytesIO()
            thumb.save(out, "JPEG", quality=80)
    except (
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
        ValueError,
        SyntaxError,  # Pillow's PNG reader raises these (and AttributeError) on broken chunks
        AttributeError,
        struct.error,
    ):
        raise ValidationFailed(
            f"The file's contents are not a readable {content_type} image.", field="contentType"
        ) from None
    return Inspected(content_type, width, height, out.getvalue())


__all__ = ["ACCEPTED", "IMAGES", "Inspected", "inspect"]

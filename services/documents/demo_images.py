"""Demo X-rays and photos for ``make run``: synthetic images, uploaded the way a clinician would.

They go through ``library.upload`` (sniffing, thumbnails, sealing, audit) in a dentist's name,
so a fresh demo shows documents exactly as production stores them. The pictures are drawn here
(a bitewing-like grey panel, an intraoral-like pink one); no real patient image ships.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFilter

from db.models import Patient, User
from services.auth.principal_loader import principal_for_user
from services.documents import library
from services.principal import RequestMeta

MAX_BYTES = 25 * 1024 * 1024


def _bitewing(rng: random.Random) -> bytes:
    image = Image.new("L", (960, 640), 25)
    draw = ImageDraw.Draw(image)
    for n in range(4):  # four crowns over two arches
        x = 90 + n * 210
        draw.rounded_rectangle((x, 120, x + 170, 300), radius=40, fill=170 + rng.randint(0, 40))
        draw.rounded_rectangle((x, 340, x + 170, 520), radius=40, fill=160 + rng.randint(0, 40))
        if rng.random() < 0.4:  # a restoration shows white
            draw.ellipse((x + 50, 150, x + 120, 210), fill=250)
    image = image.filter(ImageFilter.GaussianBlur(3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _intraoral(rng: random.Random) -> bytes:
    image = Image.new("RGB", (800, 600), (150, 40, 50))
    draw = ImageDraw.Draw(image)
    for n in range(6):
        x = 60 + n * 120
        shade = 225 + rng.randint(0, 25)
        draw.rounded_rectangle((x, 200, x + 100, 380), radius=30, fill=(shade, shade, shade - 15))
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(2)).save(out, "PNG")
    return out.getvalue()


async def seed(dentist: User, patients: Sequence[Patient], rng: random.Random) -> int:
    """A bitewing and an intraoral photo for each of ``patients``; returns how many stored."""
    principal = await principal_for_user(dentist, mfa_passed=True, claims={}, meta=RequestMeta())
    stored = 0
    for patient in patients:
        for kind, title, content_type, data in (
            ("XRAY", "Bitewings", "image/jpeg", _bitewing(rng)),
            ("INTRAORAL_PHOTO", "Upper anterior", "image/png", _intraoral(rng)),
        ):
            await library.upload(
                principal,
                library.Upload(
                    patient_id=patient.id,
                    kind=kind,
                    title=title,
                    content_type=content_type,
                    data=data,
                    filename=f"{title.lower().replace(' ', '-')}.{content_type.split('/')[1]}",
                ),
                max_bytes=MAX_BYTES,
            )
            stored += 1
    return stored


__all__ = ["seed"]

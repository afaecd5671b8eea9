"""Demo before/after photo series for ``make run``: synthetic faces, stored the way a clinician
would store them.

Like ``services.documents.demo_images`` the pictures are drawn here (no real face ships) and
go through ``library.upload`` (sniffing, thumbnails, sealing, audit) in the clinician's name;
the series, the PHOTOS_IN_MARKETING consent and the marketing mark go through their services
too, so the demo's gallery is exactly what production would show. Each call runs its own units
of work: call it after the demo's seeding transaction has committed, as ``demo_images.seed``.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from PIL import Image, ImageDraw, ImageFilter

from db.models import Patient, Practice, User
from db.models.consent import CaptureMethod, ConsentPurpose
from services.aesthetics import photo_series
from services.aesthetics.photo_series import Angle, Area, Stage
from services.auth.principal_loader import principal_for_user
from services.consent import ledger
from services.documents import library
from services.documents.demo_images import MAX_BYTES
from services.principal import Principal, RequestMeta

AREAS = (Area.LIPS, Area.GLABELLA, Area.NASOLABIAL)
ANGLES = (Angle.FRONT, Angle.LEFT_45)
STAGES = ((Stage.BEFORE, 21), (Stage.AFTER, 7))  # days before today


def skin_tone(rng: random.Random) -> tuple[int, int, int]:
    return (224 + rng.randint(-40, 10), 180 + rng.randint(-40, 10), 150 + rng.randint(-40, 10))


def face(skin: tuple[int, int, int], *, angle: Angle, after: bool) -> bytes:
    """A stylised face: skin oval, eyes, brows, nose and lips (fuller after treatment)."""
    image = Image.new("RGB", (600, 800), (210, 215, 222))
    draw = ImageDraw.Draw(image)
    shift = 0 if angle is Angle.FRONT else -60  # a 45-degree view turns the features aside
    draw.ellipse((120, 120, 480, 680), fill=skin)
    for x in (220 + shift, 380 + shift):
        draw.ellipse((x - 35, 330, x + 35, 365), fill=(250, 250, 250))
        draw.ellipse((x - 12, 335, x + 12, 360), fill=(70, 50, 40))
        frown = 0 if after else 12  # glabellar lines soften after toxin
        draw.line((x - 40, 300 + frown, x + 40, 295), fill=(90, 60, 40), width=8)
    draw.line((300 + shift, 360, 290 + shift, 470), fill=(190, 140, 115), width=6)
    lip = 30 if after else 18
    draw.ellipse((240 + shift, 540 - lip, 360 + shift, 540 + lip), fill=(190, 90, 100))
    if not after:
        draw.line((225 + shift, 470, 250 + shift, 560), fill=(200, 150, 125), width=4)
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(2)).save(out, "JPEG", quality=85)
    return out.getvalue()


async def _photo(principal: Principal, patient: Patient, data: bytes, title: str) -> UUID:
    document = await library.upload(
        principal,
        library.Upload(
            patient_id=patient.id,
            kind="EXTRAORAL_PHOTO",
            title=title,
            content_type="image/jpeg",
            data=data,
            filename=f"{title.lower().replace(' ', '-')}.jpg",
        ),
        max_bytes=MAX_BYTES,
    )
    return UUID(str(document.id))


async def seed_photos(
    practice: Practice, patients: Sequence[Patient], clinician_user: User, rng: random.Random
) -> int:
    """A before/after series (front and 45 degrees) for up to three of ``patients``; the first
    patient grants PHOTOS_IN_MARKETING and their front AFTER photo is marked for marketing.
    Returns how many photos were stored."""
    principal = await principal_for_user(
        clinician_user, mfa_passed=True, claims={}, meta=RequestMeta()
    )
    ours = [p for p in patients if str(p.practice_id) == str(practice.id)][: len(AREAS)]
    now = datetime.now(UTC)
    stored = 0
    for n, (patient, area) in enumerate(zip(ours, AREAS, strict=False)):
        view = await photo_series.create(principal, patient_id=patient.id, area=area.value)
        skin = skin_tone(rng)  # one person: the same skin before and after
        for stage, days in STAGES:
            for angle in ANGLES:
                label = f"{area.value.title().replace('_', ' ')} {stage.value.lower()} {angle}"
                data = face(skin, angle=angle, after=stage is Stage.AFTER)
                document_id = await _photo(principal, patient, data, label)
                view = await photo_series.add_photo(
                    principal,
                    series_id=UUID(str(view.series.id)),
                    photo=photo_series.NewPhoto(
                        document_id=document_id,
                        stage=stage.value,
                        angle=angle.value,
                        taken_at=now - timedelta(days=days, minutes=rng.randint(0, 90)),
                    ),
                )
                stored += 1
        if n == 0:
            await ledger.record(
                principal,
                patient_id=patient.id,
                decision=ledger.Decision(
                    purpose=ConsentPurpose.PHOTOS_IN_MARKETING,
                    granted=True,
                    policy_version="photos-2026-01",
                    method=CaptureMethod.PAPER,
                    evidence_ref="Signed photography consent form",
                ),
            )
            chosen = next(
                i for i in view.items if i.stage == Stage.AFTER and i.angle == Angle.FRONT
            )
            await photo_series.mark_for_marketing(principal, item_id=UUID(str(chosen.id)))
    return stored


__all__ = ["face", "seed_photos", "skin_tone"]

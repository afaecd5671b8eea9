"""Face and body map templates: versioned data in code.

A template is a picture (front of the face, left or right profile, front or back of the body)
with named zones. An injection point names its template by key and version, one of the
template's zone codes, and where it sits on the picture as fractions of the image's width and
height (0 at the left/top edge, 1 at the right/bottom), so a point drawn on one screen lands on
the same spot on any other. A template is never edited in place: a change is a new version, and
points recorded on an old version keep meaning what they meant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Zone:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class MapTemplate:
    key: str
    version: int
    label: str
    zones: tuple[Zone, ...]

    def zone_codes(self) -> frozenset[str]:
        return frozenset(z.code for z in self.zones)


def _zones(*pairs: tuple[str, str]) -> tuple[Zone, ...]:
    return tuple(Zone(code, label) for code, label in pairs)


_FACE_UPPER = (
    ("FOREHEAD", "Forehead (frontalis)"),
    ("GLABELLA", "Glabella (frown lines)"),
    ("BROW_L", "Left brow"),
    ("BROW_R", "Right brow"),
    ("CROWS_FEET_L", "Left crow's feet (lateral canthus)"),
    ("CROWS_FEET_R", "Right crow's feet (lateral canthus)"),
    ("BUNNY_LINES", "Bunny lines (nasalis)"),
    ("TEAR_TROUGH_L", "Left tear trough"),
    ("TEAR_TROUGH_R", "Right tear trough"),
)
_FACE_MID_LOWER = (
    ("TEMPLE_L", "Left temple"),
    ("TEMPLE_R", "Right temple"),
    ("CHEEK_L", "Left cheek (malar)"),
    ("CHEEK_R", "Right cheek (malar)"),
    ("NOSE", "Nose"),
    ("NASOLABIAL_L", "Left nasolabial fold"),
    ("NASOLABIAL_R", "Right nasolabial fold"),
    ("LIPS_UPPER", "Upper lip"),
    ("LIPS_LOWER", "Lower lip"),
    ("LIP_LINES", "Perioral lines"),
    ("MARIONETTE_L", "Left marionette line"),
    ("MARIONETTE_R", "Right marionette line"),
    ("DAO_L", "Left depressor anguli oris"),
    ("DAO_R", "Right depressor anguli oris"),
    ("CHIN", "Chin (mentalis)"),
    ("JAWLINE_L", "Left jawline"),
    ("JAWLINE_R", "Right jawline"),
    ("MASSETER_L", "Left masseter"),
    ("MASSETER_R", "Right masseter"),
    ("NECK_PLATYSMA", "Neck (platysmal bands)"),
)

TEMPLATES: tuple[MapTemplate, ...] = (
    MapTemplate("FACE_FRONT", 1, "Face, front", _zones(*_FACE_UPPER, *_FACE_MID_LOWER)),
    MapTemplate(
        "FACE_LEFT",
        1,
        "Face, left profile",
        _zones(
            ("FOREHEAD", "Forehead"),
            ("TEMPLE_L", "Left temple"),
            ("CROWS_FEET_L", "Left crow's feet"),
            ("CHEEK_L", "Left cheek"),
            ("NASOLABIAL_L", "Left nasolabial fold"),
            ("LIPS_UPPER", "Upper lip"),
            ("LIPS_LOWER", "Lower lip"),
            ("CHIN", "Chin"),
            ("JAWLINE_L", "Left jawline"),
            ("MASSETER_L", "Left masseter"),
        ),
    ),
    MapTemplate(
        "FACE_RIGHT",
        1,
        "Face, right profile",
        _zones(
            ("FOREHEAD", "Forehead"),
            ("TEMPLE_R", "Right temple"),
            ("CROWS_FEET_R", "Right crow's feet"),
            ("CHEEK_R", "Right cheek"),
            ("NASOLABIAL_R", "Right nasolabial fold"),
            ("LIPS_UPPER", "Upper lip"),
            ("LIPS_LOWER", "Lower lip"),
            ("CHIN", "Chin"),
            ("JAWLINE_R", "Right jawline"),
            ("MASSETER_R", "Right masseter"),
        ),
    ),
    MapTemplate(
        "BODY_FRONT",
        1,
        "Body, front",
        _zones(
            ("NECK", "Neck"),
            ("DECOLLETAGE", "Décolletage"),
            ("AXILLA_L", "Left axilla"),
            ("AXILLA_R", "Right axilla"),
            ("HAND_L", "Back of the left hand"),
            ("HAND_R", "Back of the right hand"),
            ("ABDOMEN", "Abdomen"),
        ),
    ),
    MapTemplate(
        "BODY_BACK",
        1,
        "Body, back",
        _zones(
            ("NECK_BACK", "Back of the neck"),
            ("UPPER_BACK", "Upper back"),
            ("BUTTOCK_L", "Left buttock"),
            ("BUTTOCK_R", "Right buttock"),
        ),
    ),
)

_BY_KEY: dict[tuple[str, int], MapTemplate] = {(t.key, t.version): t for t in TEMPLATES}


def templates() -> tuple[MapTemplate, ...]:
    return TEMPLATES


def latest(key: str) -> MapTemplate | None:
    found = [t for t in TEMPLATES if t.key == key]
    return max(found, key=lambda t: t.version) if found else None


def template(key: str, version: int) -> MapTemplate | None:
    return _BY_KEY.get((key, version))


def check_site(key: str, version: int, zone: str, x: float, y: float) -> tuple[str, int, str]:
    """A site on a known template: BAD_USER_INPUT naming the field at fault otherwise."""
    found = template(key.strip().upper(), version)
    if found is None:
        if latest(key.strip().upper()) is None:
            raise ValidationFailed("Unknown map template.", field="mapKey")
        raise ValidationFailed("Unknown version of this map template.", field="mapVersion")
    code = zone.strip().upper()
    if code not in found.zone_codes():
        raise ValidationFailed(f"Zone is not on {found.key} version {found.version}.", field="zone")
    for name, value in (("x", x), ("y", y)):
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValidationFailed(f"'{name}' is a fraction of the image, 0 to 1.", field=name)
    return found.key, found.version, code

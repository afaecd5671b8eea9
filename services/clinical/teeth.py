"""Teeth and surfaces: the one place that knows dental numbering, so storage never depends on how
a clinician prefers to read a chart.

Teeth are stored as FDI / ISO 3950 two-digit numbers (permanent 11-48, primary 51-85) and shown
in FDI, Palmer or Universal at the edge. Surfaces are validated against the tooth's type (an
incisor or canine has an incisal edge, never an occlusal surface; a premolar or molar the reverse)
and stored as one canonical string, so "DOM" and "MOD" are the same filling. Buccal/facial and
lingual/palatal are the same surfaces named for the tooth's position: they are accepted either
way and stored as the name that fits the tooth (F on anterior teeth, B on posterior ones; P on
the upper arch, L on the lower).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.errors import ValidationFailed


class Notation(StrEnum):
    FDI = "FDI"
    PALMER = "PALMER"
    UNIVERSAL = "UNIVERSAL"


class ToothType(StrEnum):
    INCISOR = "INCISOR"
    CANINE = "CANINE"
    PREMOLAR = "PREMOLAR"
    MOLAR = "MOLAR"


class Dentition(StrEnum):
    PERMANENT = "PERMANENT"
    PRIMARY = "PRIMARY"


PERMANENT_TEETH: tuple[int, ...] = tuple(q * 10 + p for q in (1, 2, 3, 4) for p in range(1, 9))
PRIMARY_TEETH: tuple[int, ...] = tuple(q * 10 + p for q in (5, 6, 7, 8) for p in range(1, 6))
ALL_TEETH: frozenset[int] = frozenset(PERMANENT_TEETH + PRIMARY_TEETH)

# Canonical order: mesial, occlusal/incisal, distal, buccal/facial, lingual/palatal.
SURFACE_ORDER = "MOIDBFLP"
_POSITION = {"M": 0, "O": 1, "I": 1, "D": 2, "B": 3, "F": 3, "L": 4, "P": 4}
SURFACE_NAMES = {
    "M": "mesial",
    "O": "occlusal",
    "I": "incisal",
    "D": "distal",
    "B": "buccal",
    "F": "facial",
    "L": "lingual",
    "P": "palatal",
}

# Palmer quadrant prefixes in the order of FDI quadrants 1-4 (5-8 for primary teeth).
_PALMER_QUADRANTS = ("UR", "UL", "LL", "LR")
_PRIMARY_LETTERS = "ABCDE"
_UNIVERSAL_PRIMARY = "ABCDEFGHIJKLMNOPQRST"


@dataclass(frozen=True, slots=True)
class Tooth:
    fdi: int

    @property
    def quadrant(self) -> int:
        """1-4 for both dentitions (upper right, upper left, lower left, lower right)."""
        q = self.fdi // 10
        return q - 4 if q > 4 else q

    @property
    def position(self) -> int:
        """1 (central incisor) outwards."""
        return self.fdi % 10

    @property
    def dentition(self) -> Dentition:
        return Dentition.PRIMARY if self.fdi >= 51 else Dentition.PERMANENT

    @property
    def upper(self) -> bool:
        return self.quadrant in (1, 2)

    @property
    def type(self) -> ToothType:
        p = self.position
        if p <= 2:
            return ToothType.INCISOR
        if p == 3:
            return ToothType.CANINE
        if self.dentition is Dentition.PRIMARY or p >= 6:
            return ToothType.MOLAR  # primary 4 and 5 are the primary molars
        return ToothType.PREMOLAR

    @property
    def anterior(self) -> bool:
        return self.type in (ToothType.INCISOR, ToothType.CANINE)


def tooth(fdi: int, *, field: str = "tooth") -> Tooth:
    if fdi not in ALL_TEETH:
        raise ValidationFailed("Not an FDI tooth number (11-48, 51-85).", field=field)
    return Tooth(fdi)


def allowed_surfaces(t: Tooth) -> str:
    """The surfaces this tooth can have, in canonical order and canonical names."""
    return (
        "M"
        + ("I" if t.anterior else "O")
        + "D"
        + ("F" if t.anterior else "B")
        + ("P" if t.upper else "L")
    )


def surfaces(t: Tooth, given: str, *, field: str = "surfaces") -> str:
    """The canonical surface string for ``given`` on tooth ``t`` (``""`` for none).

    Letters may come in any order, any case, with spaces or commas. B/F and L/P are accepted as
    synonyms and stored as the one that fits the tooth; O on an anterior tooth, I on a posterior
    one, an unknown letter or a surface given twice are refused.
    """
    letters = [c for c in given.upper() if c not in " ,"]
    seen: dict[int, str] = {}
    for letter in letters:
        if letter not in _POSITION:
            raise ValidationFailed(f"'{letter}' is not a tooth surface.", field=field)
        if letter == "O" and t.anterior:
            raise ValidationFailed(
                "An incisor or canine has no occlusal surface (use I, incisal).", field=field
            )
        if letter == "I" and not t.anterior:
            raise ValidationFailed(
                "A premolar or molar has no incisal edge (use O, occlusal).", field=field
            )
        position = _POSITION[letter]
        if position in seen:
            raise ValidationFailed("A surface is given twice.", field=field)
        seen[position] = letter
    canonical = allowed_surfaces(t)
    return "".join(canonical[p] for p in sorted(seen))


def to_notation(t: Tooth, notation: Notation) -> str:
    if notation is Notation.FDI:
        return str(t.fdi)
    if notation is Notation.PALMER:
        prefix = _PALMER_QUADRANTS[t.quadrant - 1]
        if t.dentition is Dentition.PRIMARY:
            return prefix + _PRIMARY_LETTERS[t.position - 1]
        return f"{prefix}{t.position}"
    if t.dentition is Dentition.PRIMARY:
        return _UNIVERSAL_PRIMARY[_universal_index(t, 5)]
    return str(_universal_index(t, 8) + 1)


def _universal_index(t: Tooth, per_quadrant: int) -> int:
    """0-based index going round the mouth from the upper right back tooth, as Universal does."""
    q, p = t.quadrant, t.position
    if q in (1, 3):  # counted from the back towards the midline
        return (q - 1) * per_quadrant + (per_quadrant - p)
    return (q - 1) * per_quadrant + (p - 1)


def _from_universal_index(index: int, per_quadrant: int, primary: bool) -> int:
    q0, offset = divmod(index, per_quadrant)
    q = q0 + 1
    p = per_quadrant - offset if q in (1, 3) else offset + 1
    return (q + 4 if primary else q) * 10 + p


def _ascii_digits(raw: str) -> bool:
    """0-9 only: ``str.isdigit`` also accepts "²" and other scripts' digits, which ``int``
    then refuses or reads as a different tooth."""
    return raw.isascii() and raw.isdigit()


def parse(text: str, notation: Notation, *, field: str = "tooth") -> Tooth:
    """A tooth written in ``notation``: ``"36"`` (FDI), ``"LL6"`` / ``"URE"`` (Palmer),
    ``"19"`` / ``"K"`` (Universal). Anything else is BAD_USER_INPUT on ``field``."""
    raw = text.strip().upper()
    bad = ValidationFailed(f"Not a tooth in {notation.value} notation.", field=field)
    if notation is Notation.FDI:
        if not (_ascii_digits(raw) and len(raw) == 2):
            raise bad
        if int(raw) not in ALL_TEETH:
            raise bad
        return Tooth(int(raw))
    if notation is Notation.PALMER:
        if len(raw) != 3 or raw[:2] not in _PALMER_QUADRANTS:
            raise bad
        q = _PALMER_QUADRANTS.index(raw[:2]) + 1
        if raw[2] in "12345678":
            return Tooth(q * 10 + int(raw[2]))
        if raw[2] in _PRIMARY_LETTERS:
            return Tooth((q + 4) * 10 + _PRIMARY_LETTERS.index(raw[2]) + 1)
        raise bad
    if _ascii_digits(raw) and 1 <= int(raw) <= 32 and raw == str(int(raw)):
        return Tooth(_from_universal_index(int(raw) - 1, 8, primary=False))
    if len(raw) == 1 and raw in _UNIVERSAL_PRIMARY:
        return Tooth(_from_universal_index(_UNIVERSAL_PRIMARY.index(raw), 5, primary=True))
    raise bad


__all__ = [
    "ALL_TEETH",
    "PERMANENT_TEETH",
    "PRIMARY_TEETH",
    "Dentition",
    "Notation",
    "Tooth",
    "ToothType",
    "allowed_surfaces",
    "parse",
    "surfaces",
    "to_notation",
    "tooth",
]

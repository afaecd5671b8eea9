"""Tooth numbering and surface rules, as properties over every tooth and every surface string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.clinical import teeth
from services.clinical.teeth import Notation, ToothType
from services.errors import ValidationFailed

TEETH = st.sampled_from(sorted(teeth.ALL_TEETH)).map(teeth.Tooth)
NOTATIONS = st.sampled_from(list(Notation))
LETTERS = st.text(alphabet="MOIDBFLPmoidbflp ,", max_size=8)


@given(TEETH, NOTATIONS)
def test_every_tooth_round_trips_through_every_notation(t: teeth.Tooth, n: Notation) -> None:
    assert teeth.parse(teeth.to_notation(t, n), n) == t


@given(NOTATIONS)
def test_notations_are_one_to_one(n: Notation) -> None:
    written = {teeth.to_notation(teeth.Tooth(f), n) for f in teeth.ALL_TEETH}
    assert len(written) == len(teeth.ALL_TEETH) == 52


def test_known_spellings() -> None:
    cases = {
        18: ("UR8", "1"),
        11: ("UR1", "8"),
        21: ("UL1", "9"),
        28: ("UL8", "16"),
        38: ("LL8", "17"),
        31: ("LL1", "24"),
        41: ("LR1", "25"),
        48: ("LR8", "32"),
        36: ("LL6", "19"),
        55: ("URE", "A"),
        61: ("ULA", "F"),
        75: ("LLE", "K"),
        85: ("LRE", "T"),
    }
    for fdi, (palmer, universal) in cases.items():
        t = teeth.Tooth(fdi)
        assert teeth.to_notation(t, Notation.PALMER) == palmer
        assert teeth.to_notation(t, Notation.UNIVERSAL) == universal
        assert teeth.to_notation(t, Notation.FDI) == str(fdi)


def test_tooth_types() -> None:
    assert teeth.Tooth(11).type is ToothType.INCISOR
    assert teeth.Tooth(13).type is ToothType.CANINE
    assert teeth.Tooth(14).type is ToothType.PREMOLAR
    assert teeth.Tooth(46).type is ToothType.MOLAR
    assert teeth.Tooth(53).type is ToothType.CANINE
    assert teeth.Tooth(54).type is ToothType.MOLAR  # primary first molar
    assert teeth.Tooth(85).type is ToothType.MOLAR


@given(st.integers(min_value=-5, max_value=120))
def test_only_fdi_numbers_are_teeth(n: int) -> None:
    valid = 1 <= n // 10 <= 8 and 1 <= n % 10 <= (8 if n < 50 else 5)
    if valid:
        assert teeth.tooth(n).fdi == n
    else:
        with pytest.raises(ValidationFailed) as raised:
            teeth.tooth(n)
        assert raised.value.field == "tooth"


@given(st.text(max_size=4), NOTATIONS)
def test_parse_accepts_only_teeth(text: str, n: Notation) -> None:
    failure: ValidationFailed | None = None
    try:
        t = teeth.parse(text, n)
    except ValidationFailed as error:
        failure = error
    if failure is not None:
        assert failure.field == "tooth"
    else:
        assert t.fdi in teeth.ALL_TEETH


@given(TEETH, LETTERS)
def test_surfaces_are_canonical_and_valid_for_the_tooth(t: teeth.Tooth, given_: str) -> None:
    letters = [c for c in given_.upper() if c not in " ,"]
    failure: ValidationFailed | None = None
    try:
        stored = teeth.surfaces(t, given_)
    except ValidationFailed as error:
        failure = error
    if failure is not None:
        assert failure.field == "surfaces"
        assert (
            ("O" in letters and t.anterior)
            or ("I" in letters and not t.anterior)
            or len({teeth._POSITION[c] for c in letters}) < len(letters)
        )
        return
    allowed = teeth.allowed_surfaces(t)
    assert set(stored) <= set(allowed)
    assert stored == "".join(sorted(stored, key=allowed.index))  # canonical order
    assert len(stored) == len(letters)
    assert teeth.surfaces(t, stored) == stored  # idempotent
    assert teeth.surfaces(t, stored[::-1]) == stored  # order does not matter
    assert ("O" in stored) == (not t.anterior and any(c in "O" for c in letters))
    assert "I" not in stored or t.anterior


def test_surface_examples() -> None:
    molar, incisor, lower_premolar = teeth.Tooth(26), teeth.Tooth(11), teeth.Tooth(44)
    assert teeth.surfaces(molar, "dom") == "MOD"
    assert teeth.surfaces(molar, "F, l") == "BP"  # facial/lingual named for an upper molar
    assert teeth.surfaces(incisor, "MIB") == "MIF"
    assert teeth.surfaces(lower_premolar, "OP") == "OL"
    for bad, tooth_ in (("O", incisor), ("I", molar), ("BF", molar), ("X", molar)):
        with pytest.raises(ValidationFailed):
            teeth.surfaces(tooth_, bad)


@pytest.mark.parametrize("text", ["1²", "²", "٣٣", "３６", "1١"])
def test_digits_of_other_scripts_are_not_teeth(text: str) -> None:
    for notation in Notation:
        with pytest.raises(ValidationFailed) as refused:
            teeth.parse(text, notation)
        assert refused.value.field == "tooth"

"""Perio and BPE rules on hand-computed exam data: CAL from depth and margin, the BPE a six-point
exam implies (sextants, third molars left out, fewer than two teeth, furcation ``*``), the
follow-up codes 3 and 4 ask for, and validation that names the exact path at fault."""

from __future__ import annotations

import pytest

from services.clinical import bpe, perio
from services.clinical.perio import ToothInput, ToothReading
from services.clinical.teeth import Notation, Tooth
from services.errors import ValidationFailed

NONE = frozenset[int]()


def _reading(
    fdi: int, depths: list[int], margins: list[int] | None = None, **kw: object
) -> ToothReading:
    given = ToothInput(
        tooth=str(fdi),
        probing_depths=depths,
        gingival_margins=margins,
        bleeding=kw.get("bleeding"),  # type: ignore[arg-type]
        furcation=kw.get("furcation", ()),  # type: ignore[arg-type]
    )
    return perio.validated([given], Notation.FDI, NONE)[fdi]


def test_attachment_level_is_depth_minus_margin() -> None:
    # 16: a 5 mm pocket mesio-buccally with 2 mm recession is 7 mm of attachment lost; a margin
    # 1 mm above the CEJ (swelling) takes 1 mm off the distal-palatal 3 mm pocket.
    r = _reading(16, [5, 3, 4, 3, 2, 3], [-2, 0, -1, 0, 0, 1])
    assert r.attachment == (7, 3, 5, 3, 2, 2)
    partial = _reading(26, [5, 3, 4, 3, 2, 3], None)
    assert partial.attachment == (None,) * 6  # no margin measured: no CAL, not a guess
    stored = ToothReading.load(16, r.stored())
    assert stored == r
    assert "cal" not in str(r.stored()).lower()  # derived, never stored


def test_bpe_from_a_real_exam() -> None:
    absent = [24, 25, 26]  # only 27 left in 24-27: fewer than two teeth
    bleeding_mb = [True, False, False, False, False, False]
    bleeding_b = [False, True, False, False, False, False]
    readings = {
        17: _reading(17, [3, 3, 3, 3, 3, 3], [0] * 6),  # healthy: 0
        16: _reading(16, [5, 3, 4, 3, 2, 3], [-2, 0, -1, 0, 0, 1], bleeding=bleeding_mb,
                     furcation=[("B", 1)]),  # 5 mm: 3, furcation: *
        11: _reading(11, [2] * 6, bleeding=bleeding_b),  # bleeding only: 1
        21: _reading(21, [3] * 6),
        27: _reading(27, [7, 3, 3, 3, 3, 3]),  # deep, but its sextant is X
        46: _reading(46, [6, 3, 3, 3, 3, 4], furcation=[("L", 0)]),  # 6 mm: 4; grade 0 is no *
        36: _reading(36, [2] * 6),
        48: _reading(48, [9, 9, 9, 9, 9, 9]),  # a third molar never counts
    }  # fmt: skip
    assert bpe.from_exam(readings, absent) == ["3*", "1", "X", "4", None, "0"]


def test_sextants_leave_out_third_molars_and_need_two_teeth() -> None:
    every = {f for s in bpe.SEXTANTS for f in s.teeth}
    assert not every & {18, 28, 38, 48}
    assert len(every) == 28
    assert [s.label for s in bpe.SEXTANTS] == ["17-14", "13-23", "24-27", "47-44", "43-33", "34-37"]
    one_left = frozenset({17, 16, 15})  # 14 alone in 17-14
    assert bpe.checked(["x", "2", "3*", "0", "1", "4"], one_left) == ["X", "2", "3*", "0", "1", "4"]
    two_left = frozenset({17, 16})
    assert bpe.checked(["1", "0", "0", "0", "0", "0"], two_left)[0] == "1"


@pytest.mark.parametrize(
    ("codes", "absent", "field"),
    [
        (["2", "2", "2", "2", "2"], NONE, "codes"),
        (["2", "2", "2", "2", "2", "5"], NONE, "codes[5]"),
        (["2", "2", "X*", "2", "2", "2"], frozenset({24, 25, 26}), "codes[2]"),
        (["2", "2", "*", "2", "2", "2"], NONE, "codes[2]"),
        (["2", "X", "2", "2", "2", "2"], NONE, "codes[1]"),  # six teeth there: score it
        (["2", "2", "3", "2", "2", "2"], frozenset({24, 25, 26}), "codes[2]"),  # one tooth: X
    ],
)
def test_bad_bpe_codes_name_the_sextant(
    codes: list[str], absent: frozenset[int], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        bpe.checked(codes, absent)
    assert refused.value.field == field


def test_codes_3_and_4_raise_the_follow_up_the_guidance_asks_for() -> None:
    assert bpe.follow_up(["2", "3", "0", "3*", "1", "X"]) == ("SEXTANTS", [2, 4])
    assert bpe.follow_up(["2", "3", "4*", "0", "1", "X"]) == ("FULL_MOUTH", [1, 2, 3, 4, 5, 6])
    assert bpe.follow_up(["2*", "1", "0", "2", "1", "X"]) is None
    assert bpe.follow_up(["X"] * 6) is None
    assert bpe.highest(["X"] * 6) is None
    assert bpe.highest(["2*", "1", "0", "3", "1", "X"]) == 3


def test_furcation_sites_follow_the_arch() -> None:
    assert perio.furcation_sites(Tooth(16)) == ("B", "MP", "DP")
    assert perio.furcation_sites(Tooth(37)) == ("B", "L")
    assert perio.furcation_sites(Tooth(15)) == ()
    assert perio.site_names(Tooth(26)) == ("MB", "B", "DB", "MP", "P", "DP")
    assert perio.site_names(Tooth(46)) == ("MB", "B", "DB", "ML", "L", "DL")


@pytest.mark.parametrize(
    ("teeth", "absent", "field"),
    [
        ([ToothInput("16", probing_depths=[3, 16, 3, 3, 3, 3])], NONE, "teeth[0].probingDepths[1]"),
        ([ToothInput("16", probing_depths=[3, -1, 3, 3, 3, 3])], NONE, "teeth[0].probingDepths[1]"),
        ([ToothInput("16", probing_depths=[3, 3, 3])], NONE, "teeth[0].probingDepths"),
        (
            [ToothInput("16"), ToothInput("17", gingival_margins=[0, 0, 0, 0, 0, -16])],
            NONE,
            "teeth[1].gingivalMargins[5]",
        ),
        ([ToothInput("16", mobility=4)], NONE, "teeth[0].mobility"),
        ([ToothInput("11", furcation=[("B", 1)])], NONE, "teeth[0].furcation[0].site"),
        ([ToothInput("36", furcation=[("MP", 1)])], NONE, "teeth[0].furcation[0].site"),
        ([ToothInput("36", furcation=[("B", 1), ("L", 4)])], NONE, "teeth[0].furcation[1].grade"),
        ([ToothInput("36"), ToothInput("46")], frozenset({46}), "teeth[1].tooth"),
        ([ToothInput("36"), ToothInput("36")], NONE, "teeth[1].tooth"),
        ([ToothInput("19")], NONE, "teeth[0].tooth"),
        ([ToothInput("55")], NONE, "teeth[0].tooth"),
    ],
)
def test_bad_exam_values_name_their_path(
    teeth: list[ToothInput], absent: frozenset[int], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        perio.validated(teeth, Notation.FDI, absent)
    assert refused.value.field == field


def test_deep_values_within_bounds_are_accepted() -> None:
    r = _reading(36, [12, 15, 10, 9, 0, 11], [-15, -8, 10, 0, 0, 0])
    assert r.attachment == (27, 23, 0, 9, 0, 11)


def test_comparison_per_site() -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    from db.models import PerioExam

    def exam(readings: dict[int, ToothReading], day: int) -> PerioExam:
        return PerioExam(
            id=uuid4(), status="FINAL", examined_at=datetime(2026, 1, day, tzinfo=UTC),
            readings={str(k): v.stored() for k, v in readings.items()},
        )  # fmt: skip

    before = exam({16: _reading(16, [5, 3, 4, 3, 2, 3], [-1, 0, 0, 0, 0, 0]),
                   11: _reading(11, [2] * 6, [0] * 6)}, 1)  # fmt: skip
    after = exam({16: _reading(16, [3, 3, 6, 3, 2, 3], [-1, 0, -1, 0, 0, 0])}, 20)
    changes = perio.compare([before, after])
    assert {c.fdi for c in changes} == {16}  # 11 was not charted the second time
    mb, db = changes[0], changes[2]
    assert (mb.depths, mb.attachment, mb.depth_change, mb.attachment_change) == (
        [5, 3], [6, 4], -2, -2,
    )  # fmt: skip
    assert (db.depths, db.attachment, db.depth_change, db.attachment_change) == (
        [4, 6], [4, 7], 2, 3,
    )  # fmt: skip

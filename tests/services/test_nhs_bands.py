"""NHS England band selection for real courses, and the dated charge tables."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from services.billing import nhs_bands
from services.billing.money import Money
from services.billing.nhs_bands import Band, CourseLine, Exemption
from services.clinical.catalogue import NhsBand
from services.errors import ValidationFailed


def course(*items: tuple[str, int | None]) -> list[CourseLine]:
    return [CourseLine(code, tooth, nhs_bands.CODE_BANDS[code]) for code, tooth in items]


COURSES: list[tuple[str, list[CourseLine], Band]] = [
    ("exam only", course(("EXAM", None)), Band.BAND_1),
    (
        "exam, bitewings, scale and polish",
        course(("EXAM", None), ("XR-BW", None), ("SP", None)),
        Band.BAND_1,
    ),
    ("exam and fluoride, sealant", course(("EXAM", None), ("FV", None), ("FS", 36)), Band.BAND_1),
    ("urgent alone", course(("URG", None)), Band.URGENT),
    ("urgent then an exam is a band 1 course", course(("URG", None), ("EXAM", None)), Band.BAND_1),
    ("urgent then an extraction", course(("URG", None), ("EXT", 48)), Band.BAND_2A),
    ("exam and one filling", course(("EXAM", None), ("AM2", 36)), Band.BAND_2A),
    (
        "two fillings on one tooth count once",
        course(("CO1", 11), ("CO2", 11), ("AM1", 46)),
        Band.BAND_2A,
    ),
    ("fillings on two teeth", course(("EXAM", None), ("AM1", 36), ("CO2", 21)), Band.BAND_2A),
    ("fillings on three teeth", course(("AM1", 36), ("AM2", 46), ("CO1", 21)), Band.BAND_2B),
    ("two fillings and an extraction", course(("AM1", 36), ("CO1", 21), ("EXT", 48)), Band.BAND_2B),
    (
        "incisor root canal and two fillings",
        course(("RCT-A", 11), ("AM1", 36), ("GI", 45)),
        Band.BAND_2B,
    ),
    ("incisor root canal alone", course(("EXAM", None), ("RCT-A", 21)), Band.BAND_2A),
    ("premolar root canal", course(("RCT-P", 24)), Band.BAND_2A),
    ("molar root canal", course(("EXAM", None), ("RCT-M", 36)), Band.BAND_2C),
    (
        "molar root canal and fillings on three teeth",
        course(("RCT-M", 46), ("AM1", 36), ("AM1", 37), ("CO1", 11)),
        Band.BAND_2C,
    ),
    ("crown", course(("EXAM", None), ("CR-PBM", 11)), Band.BAND_3),
    ("crown beats a molar root canal", course(("RCT-M", 36), ("CR-PBM", 36)), Band.BAND_3),
    ("denture", course(("EXT", 31), ("DEN-ACR", None)), Band.BAND_3),
    ("private items are ignored", course(("EXAM", None), ("VEN", 11), ("IMP", 36)), Band.BAND_1),
    ("primary tooth root canal is not a permanent molar", course(("RCT-M", 75)), Band.BAND_2A),
]


@pytest.mark.parametrize(("name", "lines", "band"), COURSES, ids=[c[0] for c in COURSES])
def test_band_of_a_course_is_its_most_complex_item(
    name: str, lines: list[CourseLine], band: Band
) -> None:
    assert nhs_bands.band_of(lines) is band


def test_a_course_without_nhs_items_has_no_band() -> None:
    with pytest.raises(ValidationFailed) as caught:
        nhs_bands.band_of(course(("VEN", 11)))
    assert caught.value.field == "items"


RATES = [
    (date(2025, 4, 1), Band.BAND_1, 2740, 100),
    (date(2025, 4, 1), Band.BAND_2A, 7530, 300),
    (date(2025, 4, 1), Band.BAND_2B, 7530, 500),
    (date(2025, 4, 1), Band.BAND_2C, 7530, 700),
    (date(2026, 1, 5), Band.BAND_3, 32670, 1200),
    (date(2025, 6, 1), Band.URGENT, 2740, 120),
    (date(2024, 4, 1), Band.BAND_1, 2680, 100),
    (date(2025, 3, 31), Band.BAND_2B, 7350, 500),
    (date(2024, 9, 9), Band.BAND_3, 31910, 1200),
    (date(2025, 3, 31), Band.URGENT, 2680, 120),
]


@pytest.mark.parametrize(("opened", "band", "pence", "udas"), RATES)
def test_the_table_in_force_on_the_opening_day_prices_the_course(
    opened: date, band: Band, pence: int, udas: int
) -> None:
    charge = nhs_bands.charge_of(band, opened)
    assert charge.patient_charge == Money(pence)
    assert charge.band_charge == Money(pence)
    assert charge.udas_hundredths == udas


def test_no_table_before_april_2024() -> None:
    with pytest.raises(LookupError):
        nhs_bands.table_on(date(2024, 3, 31))


def test_tables_do_not_overlap_and_leave_no_gap() -> None:
    tables = nhs_bands.TABLES
    for earlier, later in itertools.pairwise(tables):
        assert earlier.valid_to is not None
        assert (later.valid_from - earlier.valid_to).days == 1


@pytest.mark.parametrize("exemption", [e for e in Exemption if e is not Exemption.HC3_PARTIAL])
def test_an_exempt_patient_pays_nothing_but_the_udas_stay(exemption: Exemption) -> None:
    charge = nhs_bands.charge_of(Band.BAND_3, date(2025, 5, 1), exemption)
    assert charge.patient_charge == Money(0)
    assert charge.band_charge == Money(32670)
    assert charge.udas_hundredths == 1200


def test_hc3_pays_up_to_its_maximum() -> None:
    capped = nhs_bands.charge_of(Band.BAND_3, date(2025, 5, 1), Exemption.HC3_PARTIAL, Money(5000))
    assert capped.patient_charge == Money(5000)
    under = nhs_bands.charge_of(Band.BAND_1, date(2025, 5, 1), Exemption.HC3_PARTIAL, Money(5000))
    assert under.patient_charge == Money(2740)
    with pytest.raises(ValidationFailed):
        nhs_bands.charge_of(Band.BAND_1, date(2025, 5, 1), Exemption.HC3_PARTIAL)


def test_every_band_2_catalogue_code_has_a_kind_or_is_deliberately_other() -> None:
    band2 = {code for code, band in nhs_bands.CODE_BANDS.items() if band is NhsBand.BAND_2}
    assert band2 == set(nhs_bands.CODE_KINDS)

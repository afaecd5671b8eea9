"""NHS England dental charge bands as dated law, like ``vat``: a new table is a new row with its
start date, and a course takes the table in force on the day it was OPENED (the charge a patient
was quoted when the course started is the charge they pay).

One course of treatment, one patient charge: the band of its most complex item. Band 2 has paid
the same patient charge since 2006, but since 25 November 2022 it is claimed at three UDA levels
(NHS England's contract changes announced on 19 July 2022, in force from 25 November 2022; the
Dental Defence Society's summary, 3 May 2023, "Band 2a (3 UDA): all Band 2 treatments other than
Band 2b or 2c", enhanced UDAs "for higher needs patients requiring treatment of 3 or more teeth or
complex root canal treatment"):

- Band 2c (7 UDAs): the course includes molar endodontic (root canal) treatment on a permanent
  tooth;
- Band 2b (5 UDAs): otherwise, the course includes non-molar endodontic treatment on permanent
  teeth, permanent fillings and/or extractions on three or more teeth in all (any mix);
- Band 2a (3 UDAs): any other Band 2 course.

The exact 2b/2c wording of the amending regulations (SI 2022/1109) could not be retrieved with
the search tool here; the split above follows NHS England's published description as recalled
and should be checked against the FP17 guidance before claims are submitted.

Charges: from 1 April 2024 Band 1 £26.80, Band 2 £73.50, Band 3 £319.10 (nhs.uk, "What is
included in each NHS dental band charge?"); from 1 April 2025 £27.40 / £75.30 / £326.70. Urgent
treatment costs the Band 1 charge and is worth 1.2 UDAs. UDAs are integer hundredths.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.billing.money import Money
from services.clinical.catalogue import UK_CATALOGUE, NhsBand
from services.errors import ValidationFailed


class Band(StrEnum):
    """The band a completed course is claimed at (the catalogue's BAND_2 split in three)."""

    BAND_1 = "BAND_1"
    BAND_2A = "BAND_2A"
    BAND_2B = "BAND_2B"
    BAND_2C = "BAND_2C"
    BAND_3 = "BAND_3"
    URGENT = "URGENT"


class Exemption(StrEnum):
    """Why a patient pays nothing (or, HC3, only up to a limit), from the FP17 list."""

    UNDER_18 = "UNDER_18"
    UNDER_19_FULL_TIME_EDUCATION = "UNDER_19_FULL_TIME_EDUCATION"
    PREGNANT_OR_RECENT_BIRTH = "PREGNANT_OR_RECENT_BIRTH"
    UNIVERSAL_CREDIT = "UNIVERSAL_CREDIT"
    INCOME_SUPPORT = "INCOME_SUPPORT"
    HC2 = "HC2"
    HC3_PARTIAL = "HC3_PARTIAL"
    PENSION_CREDIT = "PENSION_CREDIT"
    JOBSEEKERS = "JOBSEEKERS"
    ESA = "ESA"
    TAX_CREDIT_EXEMPTION = "TAX_CREDIT_EXEMPTION"
    PRISONER = "PRISONER"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class BandRate:
    charge_minor: int  # the patient charge, pence
    udas_hundredths: int  # 1.2 UDAs = 120


@dataclass(frozen=True, slots=True)
class BandTable:
    valid_from: date
    valid_to: date | None  # inclusive last day; None while in force
    rates: dict[Band, BandRate]
    currency: str = "GBP"


def _table(start: date, end: date | None, b1: int, b2: int, b3: int) -> BandTable:
    return BandTable(
        start,
        end,
        {
            Band.BAND_1: BandRate(b1, 100),
            Band.BAND_2A: BandRate(b2, 300),
            Band.BAND_2B: BandRate(b2, 500),
            Band.BAND_2C: BandRate(b2, 700),
            Band.BAND_3: BandRate(b3, 1200),
            Band.URGENT: BandRate(b1, 120),
        },
    )


TABLES: tuple[BandTable, ...] = (
    _table(date(2024, 4, 1), date(2025, 3, 31), 2680, 7350, 31910),
    _table(date(2025, 4, 1), None, 2740, 7530, 32670),
)


def table_on(day: date, tables: tuple[BandTable, ...] = TABLES) -> BandTable:
    """The table in force on ``day``; LookupError before the first one we hold."""
    for table in tables:
        if table.valid_from <= day and (table.valid_to is None or day <= table.valid_to):
            return table
    raise LookupError(f"no NHS England band table on {day}")


class Kind(StrEnum):
    """What a Band 2 item counts as for the 2a/2b/2c split."""

    FILLING = "FILLING"
    EXTRACTION = "EXTRACTION"
    ENDODONTIC = "ENDODONTIC"
    OTHER = "OTHER"


# The catalogue's codes (services/clinical/catalogue.py UK_CATALOGUE) by what they count as.
CODE_KINDS: dict[str, Kind] = {
    "AM1": Kind.FILLING,
    "AM2": Kind.FILLING,
    "AM3": Kind.FILLING,
    "CO1": Kind.FILLING,
    "CO2": Kind.FILLING,
    "CO3": Kind.FILLING,
    "GI": Kind.FILLING,
    "RCT-A": Kind.ENDODONTIC,
    "RCT-P": Kind.ENDODONTIC,
    "RCT-M": Kind.ENDODONTIC,
    "EXT": Kind.EXTRACTION,
    "EXT-S": Kind.EXTRACTION,
}

# Each catalogue code's band (a practice's own codes carry theirs on the procedure item).
CODE_BANDS: dict[str, NhsBand | None] = {str(s.code): s.nhs_band for s in UK_CATALOGUE}


@dataclass(frozen=True, slots=True)
class CourseLine:
    code: str
    tooth: int | None  # FDI
    nhs_band: NhsBand | None


def _permanent(tooth: int | None) -> bool:
    return tooth is not None and 1 <= tooth // 10 <= 4


def _permanent_molar(tooth: int | None) -> bool:
    return _permanent(tooth) and tooth is not None and tooth % 10 >= 6


def band_of(lines: Iterable[CourseLine]) -> Band:
    """The band of a course: its most complex item; URGENT only when every item is urgent."""
    listed = list(lines)
    bands = [line.nhs_band for line in listed if line.nhs_band is not None]
    if not bands:
        raise ValidationFailed("A course needs at least one NHS item.", field="items")
    if NhsBand.BAND_3 in bands:
        return Band.BAND_3
    if NhsBand.BAND_2 in bands:
        band2 = [line for line in listed if line.nhs_band is NhsBand.BAND_2]
        kinds = [(CODE_KINDS.get(line.code.upper(), Kind.OTHER), line) for line in band2]
        if any(k is Kind.ENDODONTIC and _permanent_molar(line.tooth) for k, line in kinds):
            return Band.BAND_2C
        teeth = {
            line.tooth
            for k, line in kinds
            if line.tooth is not None
            and (
                k in (Kind.FILLING, Kind.EXTRACTION)
                or (k is Kind.ENDODONTIC and _permanent(line.tooth))
            )
        }
        return Band.BAND_2B if len(teeth) >= 3 else Band.BAND_2A
    if all(b is NhsBand.URGENT for b in bands):
        return Band.URGENT
    return Band.BAND_1


@dataclass(frozen=True, slots=True)
class Charge:
    band: Band
    band_charge: Money  # what the band costs
    patient_charge: Money  # what this patient pays (after any exemption)
    udas_hundredths: int


def charge_of(
    band: Band,
    opened_on: date,
    exemption: Exemption | None = None,
    max_contribution: Money | None = None,
) -> Charge:
    """The patient charge and UDAs of a course of ``band`` opened on ``opened_on``: nothing for
    an exemption, at most ``max_contribution`` for an HC3 certificate."""
    table = table_on(opened_on)
    rate = table.rates[band]
    full = Money(rate.charge_minor, table.currency)
    pays = full
    if exemption is Exemption.HC3_PARTIAL:
        if max_contribution is None:
            raise ValidationFailed(
                "An HC3 certificate names a maximum.", field="maximumContribution"
            )
        pays = min(full, Money(max(0, max_contribution.minor), table.currency))
    elif exemption is not None:
        pays = Money(0, table.currency)
    return Charge(band, full, pays, rate.udas_hundredths)

"""Retention policy rows and the dates they give one patient's records.

Defaults (inserted when missing, editable as data): account and non-clinical personal data 7
years after last activity (the privacy policy's promise), financial records 6 years, audit log
at least 6 years, clinical records per UK dental guidance: England, Wales and Northern Ireland
15 years after last treatment, Scotland 10 years, and for children until the 25th birthday
(26th if 17 when treatment ended) when that is later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from db.models import Patient, RetentionPolicy
from db.models.privacy import RecordClass
from db.queries import patient_appointments
from db.queries import retention as queries
from services import tenant_gate

_GUIDANCE = "UK dental record-keeping guidance"
_DEFAULT_CLINICAL = {"ENGLAND": 15, "WALES": 15, "NORTHERN_IRELAND": 15, "SCOTLAND": 10}
DEFAULTS: list[tuple[str, RecordClass, int, int | None, int | None, str]] = []
for _place, _years in _DEFAULT_CLINICAL.items():
    DEFAULTS += [
        (
            _place,
            RecordClass.ACCOUNT_CONTACT,
            7,
            None,
            None,
            "Privacy policy: 7 years after last activity",
        ),
        (_place, RecordClass.CLINICAL, _years, 25, 26, f"{_GUIDANCE} ({_place.title()})"),
        (_place, RecordClass.FINANCIAL, 6, None, None, "HMRC / Companies Act 2006: 6 years"),
        (_place, RecordClass.AUDIT, 6, None, None, "Security audit trail: at least 6 years"),
    ]


async def ensure_defaults() -> None:
    """Adds any missing default row; never overwrites a row someone has edited."""
    rows = [
        RetentionPolicy(
            jurisdiction=place,
            record_class=cls.value,
            years=years,
            minor_until_birthday=minor,
            minor_aged_17_until_birthday=minor17,
            basis=basis,
        )
        for place, cls, years, minor, minor17, basis in DEFAULTS
    ]
    await queries.add_missing_policies(rows)


async def table() -> dict[tuple[str, str], RetentionPolicy]:
    await ensure_defaults()
    return {(p.jurisdiction, p.record_class): p for p in await queries.policies()}


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def keep_until(policy: RetentionPolicy, born: date, anchor: date) -> date:
    """The last day the records of this class must be kept."""
    until = add_years(anchor, policy.years)
    if policy.minor_until_birthday is not None:
        age = age_on(born, anchor)
        if age < 18:
            birthday = policy.minor_until_birthday
            if age == 17 and policy.minor_aged_17_until_birthday is not None:
                birthday = policy.minor_aged_17_until_birthday
            until = max(until, add_years(born, birthday))
    return until


@dataclass(frozen=True, slots=True)
class Dates:
    """When each record class of one patient may go (None: no policy, keep)."""

    by_class: dict[RecordClass, tuple[date, str] | None]


async def last_treatment(patient: Patient) -> date:
    """Latest past, uncancelled appointment, or last activity, whichever is later."""
    latest = await patient_appointments.last_started(
        tenant_gate.practice_of(patient),
        patient.id,
        datetime.now(patient.last_activity_at.tzinfo),
    )
    activity = patient.last_activity_at.date()
    return max(activity, latest.date()) if isinstance(latest, datetime) else activity


async def dates_for(
    patient: Patient, jurisdiction: str, policies: dict[tuple[str, str], RetentionPolicy]
) -> Dates:
    activity = patient.last_activity_at.date()
    treatment = await last_treatment(patient)
    result: dict[RecordClass, tuple[date, str] | None] = {}
    for cls in RecordClass:
        policy = policies.get((jurisdiction, cls.value))
        if policy is None:
            result[cls] = None
            continue
        anchor = treatment if cls is RecordClass.CLINICAL else activity
        result[cls] = (keep_until(policy, patient.date_of_birth, anchor), policy.basis)
    return Dates(result)

"""The booking-time rule engine, table-driven: the age rule, the cooling-off boundary, missing,
voided or other consents, the practitioner's registration, and rules not applying to dental
work — each case against real rows on both backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from services import tenant_gate
from services.scheduling import booking_rules
from services.scheduling.booking_rules import CoolingOffConflict
from services.scheduling.diary_access import diary_of
from tests import factories
from tests.aesthetic_rules_support import Aesthetic, aesthetic, registration, signed_consultation
from tests.sql_counter import count_statements

pytestmark = pytest.mark.usefixtures("db")

Setup = Callable[[Aesthetic, datetime], Awaitable[object]]


async def _nothing(a: Aesthetic, start: datetime) -> None:
    return None


async def _ready(a: Aesthetic, start: datetime, hours_before: float = 48) -> None:
    await registration(a)
    await signed_consultation(a, start - timedelta(hours=hours_before))


def _consent(**values: object) -> Setup:
    async def setup(a: Aesthetic, start: datetime) -> None:
        await registration(a)
        await signed_consultation(a, start - timedelta(days=3), **values)  # type: ignore[arg-type]

    return setup


def _registered(days_from_start: int | None, revoked: bool = False) -> Setup:
    async def setup(a: Aesthetic, start: datetime) -> None:
        if days_from_start is not None:
            await registration(a, start.date() + timedelta(days=days_from_start), revoked=revoked)
        await signed_consultation(a, start - timedelta(days=3))

    return setup


async def _registered_only(a: Aesthetic, start: datetime) -> None:
    await registration(a)


async def _minor(a: Aesthetic, start: datetime) -> None:
    await _ready(a, start)
    a.d.patient.date_of_birth = date(date.today().year - 17, 1, 1)
    await a.d.patient.save()


async def _latest_counts(a: Aesthetic, start: datetime) -> None:
    await registration(a)
    await signed_consultation(a, start - timedelta(days=10))
    await signed_consultation(a, start - timedelta(hours=1))  # signed again: the clock restarts


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup
    code: str | None  # None: allowed
    field: str | None = None


def _at(hours: float) -> Setup:
    async def setup(a: Aesthetic, start: datetime) -> None:
        await _ready(a, start, hours)

    return setup


CASES = [
    Case("signed exactly 48 hours before: allowed", _at(48), None),
    Case("signed a week before: allowed", _at(24 * 7), None),
    Case("one minute short of 48 hours", _at(48 - 1 / 60), "CONFLICT", "startsAt"),
    Case("signed an hour before", _at(1), "CONFLICT", "startsAt"),
    Case("no consultation consent at all", _registered_only, "CONFLICT", "patientId"),
    Case("only a voided consent", _consent(voided=True), "CONFLICT", "patientId"),
    Case("only a VOIDED-status consent", _consent(status="VOIDED"), "CONFLICT", "patientId"),
    Case("only an unsigned consent", _consent(status="PENDING"), "CONFLICT", "patientId"),
    Case("a consent for fillers, not toxin", _consent(kind="FILLER"), "CONFLICT", "patientId"),
    Case(
        "a treatment, not consultation, form",
        _consent(purpose="TREATMENT"),
        "CONFLICT",
        "patientId",
    ),
    Case("the latest signed consent counts", _latest_counts, "CONFLICT", "startsAt"),
    Case("registration runs through the day", _registered(0), None),
    Case("registration expired the day before", _registered(-1), "CONFLICT", "practitionerId"),
    Case("registration revoked", _registered(30, revoked=True), "CONFLICT", "practitionerId"),
    Case("no registration recorded", _registered(None), "CONFLICT", "practitionerId"),
    Case("under 18 in England", _minor, "BAD_USER_INPUT", "patientId"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_the_rules(case: Case) -> None:
    a = await aesthetic()
    start = a.d.at(7, 10)
    await case.setup(a, start)
    diary = await diary_of(tenant_gate.practice_of(a.toxin))
    found = await booking_rules.situation(diary, a.toxin, [a.d.dentist.id], patient=a.d.patient)
    refused = found.refusal(a.d.dentist.id, start)
    if case.code is None:
        assert refused is None
        return
    assert refused is not None
    assert (refused.error.code, refused.error.field) == (case.code, case.field)


async def test_a_cooling_off_refusal_names_the_earliest_start_in_local_time() -> None:
    a = await aesthetic()
    start = a.d.at(7, 10)  # London wall clock
    await _ready(a, start, hours_before=47)
    diary = await diary_of(tenant_gate.practice_of(a.toxin))
    found = await booking_rules.situation(diary, a.toxin, [a.d.dentist.id], patient=a.d.patient)
    refused = found.refusal(a.d.dentist.id, start)
    assert refused is not None
    assert isinstance(refused.error, CoolingOffConflict)
    earliest = start + timedelta(hours=1)
    assert f"{earliest:%Y-%m-%d} 11:00 (Europe/London)" in refused.error.message
    assert refused.error.details == {"earliestAllowedStart": earliest.isoformat()}
    assert found.refusal(a.d.dentist.id, earliest) is None


async def test_no_rule_applies_to_dental_work_and_it_costs_no_statement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = await aesthetic()
    minor = await factories.patient(a.d.practice, date_of_birth=date(date.today().year - 12, 1, 1))
    diary = await diary_of(tenant_gate.practice_of(a.toxin))
    with count_statements(monkeypatch) as statements:
        found = await booking_rules.situation(diary, a.d.exam, [a.d.dentist.id], patient=minor)
    assert found.rules == ()
    assert statements == []
    assert found.refusal(a.d.dentist.id, a.d.at(1, 10)) is None
    assert found.age_years(a.d.at(1, 10)) is None


async def test_each_fact_is_one_statement_and_without_a_patient_only_registration_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = await aesthetic()
    diary = await diary_of(tenant_gate.practice_of(a.toxin))
    with count_statements(monkeypatch) as statements:
        await booking_rules.situation(diary, a.toxin, [a.d.dentist.id], patient=a.d.patient)
    assert len(statements) == 2  # the consultation consent, the registrations
    with count_statements(monkeypatch) as statements:
        held = await booking_rules.situation(diary, a.toxin, [a.d.dentist.id])
    assert [type(r).__name__ for r in held.rules] == ["Registration"]
    assert len(statements) == 1


async def test_the_demo_seeds_rule_bearing_types_and_a_current_registration() -> None:
    import random

    from db.models import ProfessionalRegistration
    from services.aesthetics.demo_rules import seed_rules
    from tests.scheduling_fixtures import diary as scheduling_diary

    d = await scheduling_diary()
    seeded = await seed_rules(d.practice, [d.patient], d.dentist_user, random.Random(1))
    assert [(t.aesthetic_kind, t.cooling_off_hours) for t in seeded.types] == [
        ("TOXIN", 48),
        ("FILLER", 48),
    ]
    assert all(t.requires_registration and t.restricted_procedure for t in seeded.types)
    stored = await ProfessionalRegistration.get(practitioner_id=d.dentist.id)
    assert stored.body == "GDC"
    assert stored.expires_on > date.today()
    diary = await diary_of(tenant_gate.practice_of(d.exam))
    start = d.at(7, 10)
    toxin = seeded.types[0]
    found = await booking_rules.situation(diary, toxin, [d.dentist.id], patient=d.patient)
    refused = found.refusal(d.dentist.id, start)
    assert refused is not None
    assert refused.error.field == "patientId"  # no consultation consent signed yet

"""The booking-time rule engine: the rules an appointment must pass because of who it is for and
what it is, kept as data in one place (``RULES``), not as ifs in the booking code.

Each rule says which appointment types it ``applies`` to, which facts it needs loaded, and
``check``s one proposed (practitioner, start) against those facts, answering a
:class:`Refusal` or None. The facts are loaded once per booking — one statement per kind of
fact the applying rules need, none for a type no rule applies to (dental work) — and the same
loaded :class:`Situation` answers for every start ``availableSlots`` considers.

Rules:

* under 18: toxin and fillers (``restricted_procedure``) are refused for under-18s in England
  (BAD_USER_INPUT, field patientId; the refusal is kept in the audit trail as AGE_CHECK DENIED);
  the age on the day is stored on the appointment (``age_checked_years``).
* cooling-off: an aesthetic type with ``cooling_off_hours`` may start no earlier than that many
  hours after the patient's latest signed (never voided) CONSULTATION consent form of the type's
  ``aesthetic_kind``; inside it CONFLICT (field startsAt) naming the earliest allowed start in
  the practice's time zone (also as ``extensions.earliestAllowedStart``); with no such consent
  at all CONFLICT (field patientId) saying one must be signed first.
* registration: a ``requires_registration`` type needs the practitioner to hold an unrevoked
  professional registration that has not expired on the appointment's local day, else CONFLICT
  (field practitionerId).

Rules about the patient are skipped where no patient is known yet (a slot hold); they run when
the hold is used for a booking.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Protocol
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import AppointmentType, Patient
from db.queries import booking_facts
from db.queries import patients as patient_queries
from services import audit
from services.errors import Conflict, DomainError, NotFound, ValidationFailed
from services.principal import Principal
from services.scheduling.diary_access import Diary

ADULT_AGE = 18
RESTRICTED_JURISDICTIONS = frozenset({"ENGLAND"})


class Fact(Enum):
    """What a rule needs loaded beyond the booking itself (one statement each)."""

    PATIENT = "patient"
    CONSULTATION = "consultation"
    REGISTRATION = "registration"


@dataclass(frozen=True, slots=True)
class Refusal:
    error: DomainError
    audit_action: str | None = None  # kept in the audit trail as DENIED (the age check)


class CoolingOffConflict(Conflict):
    """Inside the cooling-off period: the error extensions carry the earliest allowed start."""

    def __init__(self, message: str, earliest: datetime) -> None:
        super().__init__(message, field="startsAt")
        self.earliest = earliest

    @property
    def details(self) -> dict[str, Any]:
        return {"earliestAllowedStart": self.earliest.isoformat()}


@dataclass(frozen=True, slots=True)
class Facts:
    """One proposed appointment and what is known about it."""

    diary: Diary
    type: AppointmentType
    patient: Patient | None
    practitioner_id: UUID
    starts_at: datetime
    consultation_signed_at: datetime | None = None
    registered_until: date | None = None

    @property
    def day(self) -> date:
        """The appointment's local day in the practice's time zone."""
        return self.starts_at.astimezone(self.diary.zone).date()


class Rule(Protocol):
    needs: frozenset[Fact]

    def applies(self, kind: AppointmentType) -> bool: ...

    def check(self, facts: Facts) -> Refusal | None: ...


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class UnderAge:
    """Botulinum Toxin and Cosmetic Fillers (Children) Act 2021."""

    needs = frozenset({Fact.PATIENT})

    def applies(self, kind: AppointmentType) -> bool:
        return bool(kind.restricted_procedure)

    def check(self, facts: Facts) -> Refusal | None:
        assert facts.patient is not None
        age = age_on(facts.patient.date_of_birth, facts.day)
        if age < ADULT_AGE and facts.diary.jurisdiction in RESTRICTED_JURISDICTIONS:
            return Refusal(
                ValidationFailed(
                    "This procedure may not be booked for anyone under 18 in England "
                    "(Botulinum Toxin and Cosmetic Fillers (Children) Act 2021).",
                    field="patientId",
                ),
                audit_action="AGE_CHECK",
            )
        return None


class CoolingOff:
    """A minimum interval between the signed consultation consent and the treatment."""

    needs = frozenset({Fact.PATIENT, Fact.CONSULTATION})

    def applies(self, kind: AppointmentType) -> bool:
        return bool(kind.aesthetic_kind and kind.cooling_off_hours)

    def check(self, facts: Facts) -> Refusal | None:
        hours = facts.type.cooling_off_hours or 0
        signed = facts.consultation_signed_at
        if signed is None:
            return Refusal(
                Conflict(
                    "A consultation consent form for this treatment must be signed first; the "
                    f"{hours}-hour cooling-off period starts when it is signed.",
                    field="patientId",
                )
            )
        earliest = signed + timedelta(hours=hours)
        if facts.starts_at >= earliest:
            return None
        zone = facts.diary.zone
        local = earliest.astimezone(zone)
        return Refusal(
            CoolingOffConflict(
                f"Inside the {hours}-hour cooling-off period after the signed consultation "
                f"consent: the earliest allowed start is {local:%Y-%m-%d %H:%M} ({zone.key}).",
                earliest,
            )
        )


class Registration:
    """The practitioner holds an unexpired, unrevoked professional registration on the day."""

    needs = frozenset({Fact.REGISTRATION})

    def applies(self, kind: AppointmentType) -> bool:
        return bool(kind.requires_registration)

    def check(self, facts: Facts) -> Refusal | None:
        until = facts.registered_until
        if until is not None and facts.day <= until:
            return None
        return Refusal(
            Conflict(
                "This treatment needs a practitioner with a current professional registration "
                "(GMC, NMC, GDC or GPhC) on the day; this practitioner's has expired, been "
                "revoked or was never recorded.",
                field="practitionerId",
            )
        )


RULES: tuple[Rule, ...] = (UnderAge(), CoolingOff(), Registration())


@dataclass(frozen=True, slots=True)
class Situation:
    """The facts for one patient (or none) and one appointment type, loaded once; asks the
    applying rules about any practitioner and start."""

    diary: Diary
    type: AppointmentType
    patient: Patient | None
    rules: tuple[Rule, ...]
    consultation_signed_at: datetime | None = None
    registered: dict[UUID, date] = field(default_factory=dict)

    def facts(self, practitioner_id: UUID, starts_at: datetime) -> Facts:
        return Facts(
            diary=self.diary,
            type=self.type,
            patient=self.patient,
            practitioner_id=practitioner_id,
            starts_at=starts_at,
            consultation_signed_at=self.consultation_signed_at,
            registered_until=self.registered.get(practitioner_id),
        )

    def refusal(self, practitioner_id: UUID, starts_at: datetime) -> Refusal | None:
        if not self.rules:
            return None
        facts = self.facts(practitioner_id, starts_at)
        for rule in self.rules:
            refused = rule.check(facts)
            if refused is not None:
                return refused
        return None

    def age_years(self, starts_at: datetime) -> int | None:
        """The patient's age on the day, recorded for restricted procedures."""
        if not self.type.restricted_procedure or self.patient is None:
            return None
        return age_on(self.patient.date_of_birth, starts_at.astimezone(self.diary.zone).date())


async def situation(
    diary: Diary,
    kind: AppointmentType,
    practitioner_ids: Collection[UUID],
    *,
    patient: Patient | None = None,
    patient_id: UUID | None = None,
    connection: BaseDBAsyncClient | None = None,
    rules: tuple[Rule, ...] | None = None,
) -> Situation:
    """Loads what the rules applying to ``kind`` need: at most one statement per fact (the
    patient only when not passed in)."""
    known = patient_id is not None or patient is not None
    chosen = RULES if rules is None else rules
    applying = tuple(
        r for r in chosen if r.applies(kind) and (known or Fact.PATIENT not in r.needs)
    )
    needed = frozenset().union(*(r.needs for r in applying))
    if Fact.PATIENT in needed and patient is None:
        found = await patient_queries.patient({diary.practice_id}, patient_id)  # type: ignore[arg-type]
        if found is None:
            raise NotFound("Patient")
        patient = found
    signed = None
    if Fact.CONSULTATION in needed and patient is not None and kind.aesthetic_kind:
        signed = await booking_facts.latest_consultation_signed(
            diary.practice_id, UUID(str(patient.id)), kind.aesthetic_kind, connection
        )
    registered: dict[UUID, date] = {}
    if Fact.REGISTRATION in needed:
        registered = await booking_facts.registered_until(
            diary.practice_id, practitioner_ids, connection
        )
    return Situation(diary, kind, patient, applying, signed, registered)


@dataclass(frozen=True, slots=True)
class Passed:
    age_checked_years: int | None


async def enforce(
    principal: Principal,
    diary: Diary,
    kind: AppointmentType,
    *,
    practitioner_id: UUID,
    starts_at: datetime,
    patient: Patient | None = None,
    patient_id: UUID | None = None,
) -> Passed:
    """Every applying rule passes for this appointment, else the first refusal is raised (and
    kept in the audit trail when the rule says so)."""
    found = await situation(diary, kind, [practitioner_id], patient=patient, patient_id=patient_id)
    refused = found.refusal(practitioner_id, starts_at)
    if refused is not None:
        if refused.audit_action is not None and found.patient is not None:
            await audit.write([_refused(principal, diary, found.patient, refused.audit_action)])
        raise refused.error
    return Passed(found.age_years(starts_at))


def _refused(principal: Principal, diary: Diary, patient: Patient, action: str) -> Any:
    patient_id = UUID(str(patient.id))
    return audit.record_for(
        principal,
        action=action,
        outcome="DENIED",
        practice_id=diary.practice_id,
        organization_id=diary.organization_id,
        entity_type="Patient",
        entity_id=patient_id,
        patient_id=patient_id,
    )

"""Demo booking rules for an aesthetic practice: the clinician becomes an aesthetic practitioner
with a current GDC registration (prescriber), and the practice gets toxin and filler treatment
types that are refused for under-18s, need a registered practitioner on the day and keep a
48-hour cooling-off period after the patient's signed consultation consent (the signed forms
themselves are seeded with the consent forms' demo)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from db.models import AppointmentType, Patient, Practice, ProfessionalRegistration, User
from db.queries import registrations as queries
from services import tenant_gate

COOLING_OFF_HOURS = 48
# name, kind, minutes, colour
TREATMENTS = (
    ("Anti-wrinkle injections (toxin)", "TOXIN", 30, "#ad1457"),
    ("Lip and cheek filler", "FILLER", 45, "#6a1b9a"),
)


@dataclass(frozen=True, slots=True)
class SeededRules:
    types: list[AppointmentType]
    registrations: list[ProfessionalRegistration]


async def seed_rules(
    practice: Practice, patients: list[Patient], clinician_user: User, rng: random.Random
) -> SeededRules:
    """Aesthetic types and the clinician's registration for one practice (its diary already
    seeded: the clinician is one of its practitioners). ``patients`` are not changed here: the
    rules read their signed consultation consents, seeded with the forms."""
    pid = tenant_gate.operator_practice(practice.id)
    practitioner = await queries.practitioner_for_user(pid, clinician_user.id)
    registrations: list[ProfessionalRegistration] = []
    if practitioner is not None:
        number = f"{rng.randrange(10_000, 299_999)}"  # GDC numbers are plain digits
        registrations.append(
            await ProfessionalRegistration.create(
                practice_id=pid,
                practitioner_id=practitioner.id,
                body="GDC",
                number=number,
                expires_on=date.today() + timedelta(days=rng.randrange(200, 700)),
                prescriber=True,
                recorded_by_user_id=clinician_user.id,
            )
        )
    types = [
        await AppointmentType.create(
            practice_id=pid,
            name=name,
            duration_minutes=minutes,
            buffer_after_minutes=10,
            colour=colour,
            allowed_roles=[],
            restricted_procedure=True,
            aesthetic_kind=kind,
            cooling_off_hours=COOLING_OFF_HOURS,
            requires_registration=True,
        )
        for name, kind, minutes, colour in TREATMENTS
    ]
    return SeededRules(types, registrations)

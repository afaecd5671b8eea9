"""Realistic demo data: one organization, two practices, staff of every role, ~200 patients and
a week of appointments, so a newcomer has something real to query on first run."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from faker import Faker
from tortoise.transactions import in_transaction

from db.crypto import FieldContext
from db.models import (
    MedicalHistory,
    Membership,
    Organization,
    Patient,
    Practice,
    User,
)
from db.queries import demo as demo_rows
from services import runtime
from services.aesthetics import demo_aesthetics
from services.auth.passwords import hash_password
from services.billing import demo_billing
from services.clinical import demo_chart, demo_notes, demo_perio, demo_plans
from services.documents import demo_images
from services.messaging import demo_messages
from services.patients import fields as patient_fields
from services.patients import medical_history as history
from services.patients import sealing
from services.patients.contact import Address, EmergencyContact
from services.patients.validation import nhs_number_is_valid
from services.policy import Role
from services.scheduling import demo_diary
from services.tenant_gate import operator_practice

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - documented development-only password
DEMO_DOMAIN = "demo.aescrm.test"
DEMO_SLUG = "smile-group"

PRACTICES = (
    ("Harley Street Dental", "Europe/London", "ENGLAND", "harley"),
    ("Leith Walk Dental & Aesthetics", "Europe/London", "SCOTLAND", "leith"),
)
AESTHETIC_PRACTICES = frozenset({"leith"})  # handles of the practices that offer aesthetics
PRACTICE_STAFF = (
    (Role.PRACTICE_ADMIN, "admin"),
    (Role.DENTIST, "dentist"),
    (Role.DENTIST, "dentist2"),
    (Role.HYGIENIST, "hygienist"),
    (Role.RECEPTIONIST, "reception"),
)


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    role: str
    name: str
    practice_id: str | None
    organization_id: str | None


def progress_steps() -> int:
    """The steps ``seed`` reports: staff, patients, records and documents of each practice,
    then the aesthetic practices' forms and photos, then each practice's billing."""
    return len(PRACTICES) * 5 + len(AESTHETIC_PRACTICES)


async def is_seeded() -> bool:
    return await demo_rows.seeded(DEMO_SLUG)


def clinical_context(practice_id: object, patient_id: object) -> FieldContext:
    return FieldContext(str(practice_id), "patient", "clinical_notes", str(patient_id))


async def seed(
    *,
    patients_per_practice: int = 100,
    seed_value: int = 2026,
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    """Idempotent: does nothing when the demo organization already exists.

    ``on_progress(done, total)`` is told after each step (staff, patients, diary, documents) of
    each practice: encrypting and blind-indexing a few hundred patients takes seconds.
    """
    if await is_seeded():
        return
    total = progress_steps()
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)

    fake = Faker("en_GB")
    Faker.seed(seed_value)
    rng = random.Random(seed_value)  # noqa: S311 - demo data, not security
    password = hash_password(DEMO_PASSWORD)
    imaged: list[tuple[User, list[Patient]]] = []  # documents go in after the commit
    aesthetic: list[tuple[Practice, User, list[Patient]]] = []  # forms and photos, likewise
    billed: list[tuple[Practice, User, list[Patient]]] = []  # invoices and payments, likewise
    async with in_transaction():
        org = await Organization.create(name="Smile Group", slug=DEMO_SLUG)
        owner = await User.create(
            email=f"owner@{DEMO_DOMAIN}", full_name="Sam Owner", password_hash=password
        )
        await Membership.create(user=owner, role=Role.SYSTEM_OWNER.value)
        org_admin = await User.create(
            email=f"orgadmin@{DEMO_DOMAIN}", full_name=fake.name(), password_hash=password
        )
        await Membership.create(user=org_admin, organization=org, role=Role.ORG_ADMIN.value)
        for name, tz, jurisdiction, handle in PRACTICES:
            practice = await Practice.create(
                organization=org, name=name, timezone=tz, jurisdiction=jurisdiction
            )
            clinicians: list[tuple[User, str]] = []
            for role, label in PRACTICE_STAFF:
                user = await User.create(
                    email=f"{label}.{handle}@{DEMO_DOMAIN}",
                    full_name=fake.name(),
                    password_hash=password,
                )
                await Membership.create(user=user, practice=practice, role=role.value)
                if role is Role.PRACTICE_ADMIN:
                    admin = user
                if role in (Role.DENTIST, Role.HYGIENIST):
                    clinicians.append((user, role.value))
            step()
            patients = await _patients(practice, patients_per_practice, fake, rng)
            step()
            portal = await User.create(
                email=f"patient.{handle}@{DEMO_DOMAIN}",
                full_name=f"{patients[0].first_name} {patients[0].last_name}",
                password_hash=password,
            )
            await Membership.create(
                user=portal, practice=practice, role=Role.PATIENT.value, patient_id=patients[0].id
            )
            await demo_diary.seed_diary(practice, clinicians, patients, rng)
            await demo_notes.seed_notes(practice, clinicians, patients, rng)
            # Its own generator: the charts leave the rest of the demo as it always was.
            chart_rng = random.Random(f"{seed_value}-{handle}-chart")  # noqa: S311 - demo data
            await demo_chart.seed_charts(practice, patients, clinicians[0][0], chart_rng)
            await demo_plans.seed_plans(practice, patients, clinicians[0][0], chart_rng)
            perio_rng = random.Random(f"{seed_value}-{handle}-perio")  # noqa: S311 - demo data
            await demo_perio.seed_perio(practice, patients, clinicians[0][0], perio_rng)
            if handle in AESTHETIC_PRACTICES:
                aesthetic_rng = random.Random(f"{seed_value}-{handle}-aesthetic")  # noqa: S311
                await demo_aesthetics.seed_rows(practice, patients, clinicians[0][0], aesthetic_rng)
                aesthetic.append((practice, clinicians[0][0], patients))
            step()
            imaged.append((clinicians[0][0], patients[:3]))
            billed.append((practice, admin, patients))
    for dentist, some in imaged:  # through the real upload path, each in its own unit of work
        await demo_images.seed(dentist, some, rng)
        step()
    for practice, clinician, patients in aesthetic:
        aesthetic_rng = random.Random(f"{seed_value}-aesthetic-services")  # noqa: S311
        await demo_aesthetics.seed_through_services(practice, patients, clinician, aesthetic_rng)
        step()
    for practice, admin, patients in billed:
        billing_rng = random.Random(f"{seed_value}-{practice.name}-billing")  # noqa: S311
        await demo_billing.seed_through_services(practice, patients, admin, billing_rng)
        step()
    for (_, _, _, handle), (practice, _, _) in zip(PRACTICES, billed, strict=True):
        await demo_messages.seed(practice, handle, DEMO_DOMAIN)


async def _patients(
    practice: Practice, count: int, fake: Faker, rng: random.Random
) -> list[Patient]:
    ring = runtime.keyring()
    rows: list[Patient] = []
    histories: list[MedicalHistory] = []
    now = datetime.now(UTC)
    for number in range(1, count + 1):
        first, last = fake.first_name(), fake.last_name()
        patient_id = uuid4()
        alert = rng.random() < 0.15
        notes = "Penicillin allergy; carries inhaler." if alert else "No relevant history."
        patient = Patient(
            id=patient_id,
            practice_id=practice.id,
            patient_number=number,
            date_of_birth=fake.date_of_birth(minimum_age=3, maximum_age=90),
            has_medical_alert=alert,
            clinical_notes=ring.encrypt(notes, clinical_context(practice.id, patient_id)),
            last_activity_at=now - timedelta(days=rng.randint(0, 700)),
        )
        # The same rules as the API: validated, encrypted per row, blind-indexed.
        patient_fields.apply(patient, _demo_values(first, last, fake, rng), compare=False)
        rows.append(patient)
        histories.append(_demo_history(patient, alert, now))
    await Patient.bulk_create(rows)
    await MedicalHistory.bulk_create(histories)
    return rows


def _demo_values(first: str, last: str, fake: Faker, rng: random.Random) -> dict[str, object]:
    return patient_fields.clean(
        {
            "title": rng.choice(["Mr", "Mrs", "Ms", "Miss", "Dr", "Mx"]),
            "first_name": first,
            "last_name": last,
            "sex_at_birth": rng.choice(["FEMALE", "MALE"]),
            "email": f"{first}.{last}{rng.randint(1, 99)}@example.com".lower().replace("'", ""),
            "mobile_phone": f"07700 900{rng.randint(0, 999):03d}",
            "address": Address(
                line1=fake.street_address().replace("\n", ", "),
                town=fake.city(),
                postcode=rng.choice(DEMO_POSTCODES),
            ),
            "emergency_contact": EmergencyContact(
                name=fake.name(), phone=f"07700 900{rng.randint(0, 999):03d}"
            ),
            "nhs_number": _nhs_number(rng),
        }
    )


DEMO_POSTCODES = ("SW1A 1AA", "W1G 9PF", "EH6 4DB", "EH7 5QG", "NW1 6XE", "EC1A 1BB")


def _nhs_number(rng: random.Random) -> str:
    while True:  # draw until the mod-11 check digit is a valid one
        digits = f"9{rng.randint(0, 99_999_999):08d}"
        for check in range(10):
            if nhs_number_is_valid(digits + str(check)):
                return digits + str(check)


def _demo_history(patient: Patient, alert: bool, now: datetime) -> MedicalHistory:
    answers = history.Answers(
        conditions=["Asthma"] if alert else [],
        allergies=[history.Allergy("Penicillin", "Rash", "MODERATE")] if alert else [],
        medications=[history.Medication("Salbutamol inhaler", "as needed")] if alert else [],
        smoking="NEVER",
    )
    row = MedicalHistory(
        id=uuid4(),
        practice_id=patient.practice_id,
        patient_id=patient.id,
        version=1,
        has_alert=bool(history.alerts(answers)),
        attestation=history.Attestation.PATIENT_SIGNED.value,
        attested_at=now - timedelta(days=30),
    )
    row.content = sealing.seal_json(row, "content", asdict(answers)) or ""
    return row


@dataclass(frozen=True, slots=True)
class DemoPractice:
    id: str
    name: str


async def demo_practices() -> list[DemoPractice]:
    """The demo organization's practices, by name (for the ``make run`` banner)."""
    rows = await demo_rows.practices(DEMO_SLUG)
    return [DemoPractice(id=str(p.id), name=p.name) for p in rows]


async def next_busy_day(practice_id: str, today: date) -> date:
    """The first day from ``today`` with bookings in the demo diary (weekends have none)."""
    since = datetime.combine(today, datetime.min.time(), UTC)
    first = await demo_rows.first_booking_from(operator_practice(practice_id), since)
    return first.starts_at.date() if first is not None else today


async def demo_users() -> list[DemoUser]:
    rows = await demo_rows.memberships_of_domain(DEMO_DOMAIN)
    return [
        DemoUser(
            email=m.user.email,
            role=m.role,
            name=m.user.full_name,
            practice_id=str(m.practice_id) if m.practice_id else None,
            organization_id=str(m.organization_id) if m.organization_id else None,
        )
        for m in sorted(rows, key=lambda m: (m.role, m.user.email))
    ]

"""Benchmark: CPU per booking with the booking-time rule engine and without, in process.

Creates a fresh SQLite database (or uses an empty PostgreSQL one given with
``--database-url``), migrates it, seeds the small demo, and in its English practice adds an
aesthetic toxin type (under-18 rule, 48-hour cooling-off, registration required), a GMC
registration for the dentist and signed consultation consents for a few patients. Then books
``--bookings`` appointments of that type through ``bookAppointment`` with every rule on, and as
many with the rule table emptied (``booking_rules.RULES = ()``: the engine loads nothing and
checks nothing), alternating so both see the same diary growth. Prints CPU ms per booking from
``time.process_time`` (app and in-process client together) both ways and the difference, and
the engine alone (``booking_rules.enforce``: facts loaded, three rules checked) in µs per call.

    .venv/bin/python bench/booking_rules.py [--bookings 150] [--database-url postgres://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.config import apply_migrations, close_database, open_database
from db.models import (
    AppointmentType,
    ConsentFormInstance,
    ConsentFormTemplate,
    Membership,
    Patient,
    Practitioner,
    ProfessionalRegistration,
    User,
)
from graph.app import create_app
from graph.settings import Settings, service_config
from services import demo, runtime
from services.auth.principal_loader import principal_for_user
from services.auth.sessions import dev_token
from services.principal import RequestMeta
from services.scheduling import booking_rules
from services.scheduling.diary_access import diary_of
from services.tenant_gate import operator_practice

BOOK = """
mutation B($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } } }
"""
SLOTS = """
query S($practiceId: ID!, $typeId: ID!, $practitionerId: ID, $from: DateTime!, $to: DateTime!) {
  availableSlots(practiceId: $practiceId, appointmentTypeId: $typeId,
                 practitionerId: $practitionerId, from: $from, to: $to) { startsAt }
}"""


async def prepare(database_url: str) -> dict[str, Any]:
    await apply_migrations(database_url)
    await open_database(database_url)
    try:
        await demo.seed(patients_per_practice=12)
        dentist = await User.get(email__startswith="dentist.harley@")
        reception = await User.get(email__startswith="reception.harley@")
        membership = await Membership.get(user_id=dentist.id)
        practice = membership.practice_id
        practitioner = await Practitioner.get(practice_id=practice, user_id=dentist.id)
        toxin = await AppointmentType.create(
            practice_id=practice,
            name="Bench toxin",
            duration_minutes=15,
            restricted_procedure=True,
            aesthetic_kind="TOXIN",
            cooling_off_hours=48,
            requires_registration=True,
        )
        await ProfessionalRegistration.create(
            practice_id=practice,
            practitioner_id=practitioner.id,
            body="GMC",
            number="1234567",
            expires_on=date.today() + timedelta(days=3650),
            prescriber=True,
        )
        template = await ConsentFormTemplate.create(
            practice_id=practice,
            form_key=uuid4(),
            title="Toxin consultation",
            treatment_kind="TOXIN",
            purpose="CONSULTATION",
            risks_text="Bruising.",
        )
        adults = [
            p
            for p in await Patient.filter(practice_id=practice, status="ACTIVE")
            if p.date_of_birth < date.today() - timedelta(days=365 * 19)
        ]
        for patient in adults:
            await ConsentFormInstance.create(
                practice_id=practice,
                patient_id=patient.id,
                template_id=template.id,
                purpose="CONSULTATION",
                treatment_kind="TOXIN",
                status="SIGNED",
                signed_at=datetime.now(UTC) - timedelta(days=10),
            )
        return {
            "practice_id": str(practice),
            "practitioner_id": str(practitioner.id),
            "type_id": str(toxin.id),
            "patients": [str(p.id) for p in adults],
            "reception": reception,
            "token": await dev_token(reception.email),
        }
    finally:
        await close_database()


def _ms(values: list[float]) -> str:
    values = sorted(values)
    return f"median {statistics.median(values):.2f} ms, p90 {values[int(len(values) * 0.9)]:.2f}"


async def _starts(client: httpx.AsyncClient, world: dict[str, Any], headers: Any) -> list[str]:
    found: list[str] = []
    begin = datetime.now(UTC) + timedelta(days=1)
    for month in range(6):
        variables = {
            "practiceId": world["practice_id"],
            "typeId": world["type_id"],
            "practitionerId": world["practitioner_id"],
            "from": (begin + timedelta(days=30 * month)).isoformat(),
            "to": (begin + timedelta(days=30 * (month + 1))).isoformat(),
        }
        body = {"query": SLOTS, "variables": variables}
        answer = (await client.post("/graphql", json=body, headers=headers)).json()
        assert "errors" not in answer, answer
        found += [s["startsAt"] for s in answer["data"]["availableSlots"]]
    return found


async def measure(settings: Settings, world: dict[str, Any], bookings: int) -> None:
    app = create_app(settings)
    headers = {"authorization": f"Bearer {world['token']}"}
    rules = booking_rules.RULES
    cpu: dict[bool, list[float]] = {True: [], False: []}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            starts = await _starts(client, world, headers)
            patients = world["patients"]
            made = 0
            for index, start in enumerate(starts):
                if made >= 2 * bookings + 20:
                    break
                on = index % 2 == 0
                booking_rules.RULES = rules if on else ()
                variables = {
                    "input": {
                        "practiceId": world["practice_id"],
                        "patientId": patients[index % len(patients)],
                        "practitionerId": world["practitioner_id"],
                        "appointmentTypeId": world["type_id"],
                        "startsAt": start,
                    }
                }
                body = {"query": BOOK, "variables": variables}
                before = time.process_time()
                answer = (await client.post("/graphql", json=body, headers=headers)).json()
                spent = (time.process_time() - before) * 1000
                if "errors" in answer:  # the patient's own demo visit overlaps: skip
                    continue
                made += 1
                if made > 20:  # warm-up
                    cpu[on].append(spent)
            booking_rules.RULES = rules
            engine = await _engine_alone(world, bookings * 4)
    with_rules, without = cpu[True], cpu[False]
    print(f"bookAppointment with the rule engine    x{len(with_rules)}: {_ms(with_rules)}")
    print(f"bookAppointment without (RULES emptied) x{len(without)}: {_ms(without)}")
    added = statistics.median(with_rules) - statistics.median(without)
    print(f"engine adds (difference of medians): {added * 1000:.0f} µs per booking")
    print(f"engine alone (enforce: 2 fact queries + 3 rules): {engine:.0f} µs CPU per call")


async def _engine_alone(world: dict[str, Any], calls: int) -> float:
    reception: User = world["reception"]
    principal = await principal_for_user(reception, mfa_passed=True, claims={}, meta=RequestMeta())
    pid = operator_practice(world["practice_id"])
    diary = await diary_of(pid)
    kind = await AppointmentType.get(id=world["type_id"])
    patient = await Patient.get(id=world["patients"][0])
    start = datetime.now(UTC) + timedelta(days=3)
    spent: list[float] = []
    for _ in range(calls):
        before = time.process_time()
        await booking_rules.enforce(
            principal,
            diary,
            kind,
            practitioner_id=UUID(world["practitioner_id"]),
            starts_at=start,
            patient=patient,
        )
        spent.append((time.process_time() - before) * 1_000_000)
    return statistics.median(spent)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=150)
    parser.add_argument("--database-url", default=None, help="an EMPTY database; default SQLite")
    args = parser.parse_args()
    bookings = max(20, min(args.bookings, 2000))
    with tempfile.TemporaryDirectory(prefix="aescrm-bench-rules-") as tmp:
        url = args.database_url or f"sqlite://{tmp}/bench.sqlite3"
        settings = Settings(
            database_url=url,
            var_dir=Path(tmp) / "var",
            rate_limit_per_minute=10**7,
            budget_first_party_per_minute=10**7,  # measure the work, not the budgets
            budget_partner_per_minute=10**7,
        )
        runtime.configure(service_config(settings))
        world = await prepare(url)
        backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        print(f"toxin bookings (under-18, cooling-off, registration rules), {backend}")
        await measure(settings, world, bookings)


if __name__ == "__main__":
    asyncio.run(main())

"""Benchmark: every report of the catalogue (``services.reports.catalogue``) on PostgreSQL over
500,000 appointments and 200,000 invoices (with their payments) in 20 practices of two
organisations, for one practice and for an organisation roll-up (10 practices), over a year
grouped by WEEK and by MONTH: p50/p99 ms and SQL statements per report.

    .venv/bin/python bench/reports.py [--quick] [--runs 50] [--only recalls,utilisation]

Seeds a fresh database (dropped at the end) with COPY: per practice 4 practitioners working
weekdays, 3 rooms, 3 appointment types, 1,000 patients, 25,000 appointments over two years
(stored in start order, as a diary fills: past ones completed with their status times,
cancelled (some late) or not attended, future ones booked; 15 % booked in the portal) and
10,000 issued invoices (60 % paid, 15 % part-paid) with a payment for each paid amount and a few
refunds; then ``VACUUM ANALYZE``. ``--quick`` seeds a twentieth of that and runs each report 10
times. Each report is called as its GraphQL query calls it (the service with an organisation
admin's principal: the reach query and the report SQL), after 3 warm-up calls. Goal (issue
17): practice < 150 ms p99, roll-up < 500 ms p99, at most 3 statements.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from billing_support import database, run

from db.models import (
    Appointment,
    AppointmentType,
    Organization,
    Patient,
    Practice,
    Practitioner,
    Room,
    WorkingSession,
)
from services.auth.principal_loader import principal_for_user
from services.policy import Role
from services.principal import Principal, RequestMeta
from services.reports import catalogue
from tests import factories
from tests.sql_counter import count_statements

LONDON = ZoneInfo("Europe/London")
PRACTICES, ORGANISATIONS = 20, 2
FULL = (500_000, 200_000)  # appointments, invoices
GOAL_MS = {"practice": 150.0, "roll-up": 500.0}
GOAL_STATEMENTS = 3


class World:
    def __init__(self, today: date) -> None:
        self.today = today
        self.organisations: list[Organization] = []
        self.practices: list[Practice] = []
        self.staff: dict[UUID, list[UUID]] = {}  # practice -> practitioners
        self.rooms: dict[UUID, list[UUID]] = {}
        self.types: dict[UUID, list[UUID]] = {}
        self.patients: dict[UUID, list[UUID]] = {}


async def _copy(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Bulk COPY through the ORM's own asyncpg pool (one round trip per 50,000 rows)."""
    connection: Any = Appointment._meta.db
    async with connection.acquire_connection() as raw:
        for start in range(0, len(rows), 50_000):
            await raw.copy_records_to_table(
                table, records=rows[start : start + 50_000], columns=list(columns)
            )


async def _places(world: World, patients: int) -> None:
    for o in range(ORGANISATIONS):
        slug = f"bench-r{o}-{uuid4().hex[:6]}"
        org = await Organization.create(name=f"Bench reports {o}", slug=slug)
        world.organisations.append(org)
        for p in range(PRACTICES // ORGANISATIONS):
            practice = await Practice.create(organization=org, name=f"Practice {o}-{p:02d}")
            world.practices.append(practice)
            pid = practice.id
            rooms = [Room(id=uuid4(), practice_id=pid, name=f"Surgery {n}") for n in range(3)]
            await Room.bulk_create(rooms)
            types = [
                AppointmentType(
                    id=uuid4(), practice_id=pid, name=name, duration_minutes=30, recall_kind=kind
                )
                for name, kind in (
                    ("Examination", "EXAM"),
                    ("Hygiene", "HYGIENE"),
                    ("Filling", None),
                )
            ]
            await AppointmentType.bulk_create(types)
            staff = []
            for n in range(4):
                user = await factories.user(Role.DENTIST, practice)
                staff.append(
                    Practitioner(
                        id=uuid4(),
                        practice_id=pid,
                        user_id=user.id,
                        display_name=f"Dentist {n}",
                        role="DENTIST",
                        default_room_id=rooms[n % 3].id,
                    )
                )
            await Practitioner.bulk_create(staff)
            await WorkingSession.bulk_create(
                [
                    WorkingSession(
                        practice_id=pid,
                        practitioner_id=s.id,
                        weekday=day,
                        start_minute=8 * 60,
                        end_minute=18 * 60,
                        valid_from=date(2020, 1, 1),
                    )
                    for s in staff
                    for day in range(5)
                ]
            )
            people = [
                Patient(
                    id=uuid4(),
                    practice_id=pid,
                    patient_number=n + 1,
                    first_name="Bench",
                    last_name=f"P{n}",
                    search_name=f"bench p{n}",
                    date_of_birth=date(1960 + n % 50, 1 + n % 12, 1 + n % 28),
                    last_activity_at=datetime.now(UTC),
                )
                for n in range(patients)
            ]
            await Patient.bulk_create(people, batch_size=1000)
            world.staff[pid] = [s.id for s in staff]
            world.rooms[pid] = [r.id for r in rooms]
            world.types[pid] = [t.id for t in types]
            world.patients[pid] = [p.id for p in people]


APPOINTMENT_COLUMNS = (
    "id", "created_at", "updated_at", "practice_id", "patient_id", "practitioner_id", "room_id",
    "appointment_type_id", "starts_at", "ends_at", "status", "source", "late_cancellation",
    "version", "arrived_at", "seated_at", "completed_at", "cancelled_at",
)  # fmt: skip


def _appointments(world: World, count: int, rng: random.Random) -> list[tuple[Any, ...]]:
    first = world.today - timedelta(days=670)
    now = datetime.now(UTC)
    rows = []
    per_practice = count // len(world.practices)
    for practice in world.practices:
        pid = practice.id
        staff, rooms, types, people = (
            world.staff[pid],
            world.rooms[pid],
            world.types[pid],
            world.patients[pid],
        )
        for _ in range(per_practice):
            day = first + timedelta(days=rng.randrange(730))
            local = datetime.combine(day, clock(8 + rng.randrange(10), rng.choice((0, 30))), LONDON)
            starts = local.astimezone(UTC)
            ends = starts + timedelta(minutes=30)
            late = False
            arrived = seated = completed = cancelled = None
            roll = rng.random()
            if starts < now:
                if roll < 0.78:
                    status = "COMPLETED"
                    arrived = starts - timedelta(minutes=rng.randrange(15))
                    seated = starts + timedelta(minutes=rng.randrange(12))
                    completed = seated + timedelta(minutes=20 + rng.randrange(20))
                elif roll < 0.90:
                    status, cancelled = "CANCELLED", starts - timedelta(hours=rng.randrange(1, 96))
                    late = rng.random() < 0.3
                elif roll < 0.95:
                    status = "DID_NOT_ATTEND"
                else:
                    status = "CONFIRMED"  # never closed: a diary's loose ends
            else:
                status = "CANCELLED" if roll < 0.08 else "BOOKED"
                cancelled = now if status == "CANCELLED" else None
            rows.append(
                (
                    uuid4(), starts - timedelta(days=20), starts, pid, rng.choice(people),
                    rng.choice(staff), rng.choice(rooms), rng.choice(types), starts, ends,
                    status, "PORTAL" if rng.random() < 0.15 else "RECEPTION", late, 1,
                    arrived, seated, completed, cancelled,
                )
            )  # fmt: skip
    rows.sort(key=lambda row: row[8])  # stored in the order a diary fills: by start
    return rows


INVOICE_COLUMNS = (
    "id", "created_at", "updated_at", "practice_id", "patient_id", "kind", "status", "number",
    "sequence_number", "currency", "net_minor", "vat_minor", "total_minor", "paid_minor",
    "credited_minor", "tax_point", "due_on", "issued_at", "practitioner_id",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "id", "created_at", "practice_id", "patient_id", "kind", "method", "status", "currency",
    "amount_minor", "unallocated_minor", "refunds_payment_id", "invoice_id", "practitioner_id",
    "received_at",
)  # fmt: skip


def _money(
    world: World, count: int, rng: random.Random
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    now = datetime.now(UTC)
    invoices, payments = [], []
    per_practice = count // len(world.practices)
    for practice in world.practices:
        pid = practice.id
        staff, people = world.staff[pid], world.patients[pid]
        for n in range(per_practice):
            issued = now - timedelta(minutes=rng.randrange(730 * 24 * 60))
            total = rng.randint(2_000, 90_000)
            state = rng.random()
            paid = total if state < 0.6 else (rng.randint(1, total - 1) if state < 0.75 else 0)
            status = "PAID" if paid == total else ("PARTIALLY_PAID" if paid else "ISSUED")
            invoice, patient, who = uuid4(), rng.choice(people), rng.choice(staff)
            invoices.append(
                (
                    invoice, issued, issued, pid, patient, "INVOICE", status, f"R-{n + 1}",
                    n + 1, "GBP", total, 0, total, paid, 0, issued.date(),
                    issued.date() + timedelta(days=30), issued, who,
                )
            )  # fmt: skip
            if not paid:
                continue
            received = min(now, issued + timedelta(hours=rng.randrange(20 * 24)))
            method = rng.choices(("CARD", "CASH", "BANK_TRANSFER"), (60, 25, 15))[0]
            payment = uuid4()
            payments.append(
                (
                    payment, received, pid, patient, "PAYMENT", method, "SUCCEEDED", "GBP",
                    paid, 0, None, invoice, who, received,
                )
            )  # fmt: skip
            if rng.random() < 0.02:
                back = min(now, received + timedelta(days=rng.randrange(1, 30)))
                payments.append(
                    (
                        uuid4(), back, pid, patient, "REFUND", method, "SUCCEEDED", "GBP",
                        min(paid, 5_000), 0, payment, None, who, back,
                    )
                )  # fmt: skip
    invoices.sort(key=lambda row: row[1])
    payments.sort(key=lambda row: row[1])
    return invoices, payments


# Per practice at full size (scaled with --quick): deposits, treatment plans (3 items each),
# memberships, NHS courses; one EXAM recall per patient and one met cycle per patient.
EXTRAS = {"deposits": 1_000, "plans": 2_000, "members": 300, "courses": 3_000}
BANDS = (
    ("BAND_1", 100, 0.55),
    ("BAND_2A", 300, 0.25),
    ("BAND_3", 1200, 0.05),
    ("URGENT", 120, 0.15),
)


def _day_in(rng: random.Random, today: date, back: int, ahead: int = 0) -> date:
    return today - timedelta(days=back) + timedelta(days=rng.randrange(back + ahead + 1))


def _extras(world: World, scale: float, rng: random.Random) -> dict[str, list[tuple[Any, ...]]]:
    """Rows for the money, plan, membership, recall and NHS reports, in COPY order."""
    now, today = datetime.now(UTC), world.today
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    for practice in world.practices:
        pid, people, staff = practice.id, world.patients[practice.id], world.staff[practice.id]
        procedure = uuid4()
        out["procedure_item"].append(
            (procedure, now, pid, "D0120", "Examination", 2_500, "NONE", "[]", 0, 0, "NONE",
             False, now)
        )  # fmt: skip
        for _ in range(int(EXTRAS["deposits"] * scale)):
            taken = now - timedelta(minutes=rng.randrange(730 * 24 * 60))
            state = rng.choices(("HELD", "APPLIED", "FORFEITED", "REFUNDED"), (20, 65, 10, 5))[0]
            settled = (
                None if state == "HELD" else min(now, taken + timedelta(days=rng.randrange(60)))
            )
            out["payment"].append(
                (uuid4(), taken, pid, rng.choice(people), "DEPOSIT", "CARD", "SUCCEEDED", "GBP",
                 rng.choice((2_500, 5_000, 10_000)), 0, None, None, rng.choice(staff), taken,
                 state, settled)
            )  # fmt: skip
        for _ in range(int(EXTRAS["plans"] * scale)):
            made = now - timedelta(minutes=rng.randrange(730 * 24 * 60))
            roll, patient, plan = rng.random(), rng.choice(people), uuid4()
            accepted = made + timedelta(days=rng.randrange(1, 20)) if roll < 0.6 else None
            completed = accepted + timedelta(days=rng.randrange(7, 90)) if roll < 0.4 else None
            declined = made + timedelta(days=rng.randrange(1, 30)) if 0.6 <= roll < 0.8 else None
            status = (
                "COMPLETED" if completed else "ACCEPTED" if accepted else
                "DECLINED" if declined else "PROPOSED"
            )  # fmt: skip
            out["treatment_plan"].append(
                (plan, made, pid, patient, uuid4(), 1, status, accepted, declined, completed, made)
            )
            for n in range(3):
                out["treatment_plan_item"].append(
                    (uuid4(), made, pid, patient, plan, 1, n, "D0120", "",
                     rng.choice((4_500, 9_000, 25_000)), procedure)
                )  # fmt: skip
        plans = [uuid4(), uuid4()]
        for n, plan in enumerate(plans):
            out["membership_plan"].append(
                (plan, now, pid, f"Care plan {n}", "GBP", 1_500 + 1_000 * n, "[]", 0, True, now)
            )
        for patient in rng.sample(people, min(len(people), int(EXTRAS["members"] * scale))):
            started = _day_in(rng, today, 730)
            ended = _day_in(rng, started, 0, (today - started).days) if rng.random() < 0.3 else None
            out["patient_membership"].append(
                (uuid4(), now, pid, patient, rng.choice(plans), "ENDED" if ended else "ACTIVE",
                 started, ended, now)
            )  # fmt: skip
        for patient in people:
            out["recall"].append(
                (uuid4(), now, pid, patient, "EXAM", 6, _day_in(rng, today, 200, 180))
            )
            met_on = _day_in(rng, today, 500, 0)
            met_at = datetime.combine(
                met_on + timedelta(days=rng.randrange(-20, 20)), clock(10), UTC
            )
            out["recall_met"].append((uuid4(), now, pid, patient, "EXAM", met_on, min(met_at, now)))
        for year in (today.year - 2, today.year - 1, today.year):
            out["nhs_contract_year"].append((uuid4(), now, pid, date(year, 4, 1), 6_000, now))
        for _ in range(int(EXTRAS["courses"] * scale)):
            opened = _day_in(rng, today, 730)
            band, udas = rng.choices([(b, u) for b, u, _ in BANDS], [w for _, _, w in BANDS])[0]
            done = opened + timedelta(days=rng.randrange(60))
            status = "COMPLETED" if done <= today and rng.random() < 0.9 else "OPEN"
            out["nhs_course"].append(
                (uuid4(), now, pid, rng.choice(people), status, opened,
                 done if status == "COMPLETED" else None, band, "GBP", 2_790, 2_790,
                 udas if status == "COMPLETED" else 0, False, now)
            )  # fmt: skip
    return out


TABLES = {
    "procedure_item": (
        "id", "created_at", "practice_id", "code", "name", "default_fee_pence", "tooth_scope",
        "tooth_types", "min_surfaces", "max_surfaces", "recall_effect", "archived", "updated_at",
    ),
    "payment": (*PAYMENT_COLUMNS, "deposit_state", "deposit_settled_at"),
    "treatment_plan": (
        "id", "created_at", "practice_id", "patient_id", "plan_id", "version", "status",
        "accepted_at", "declined_at", "completed_at", "updated_at",
    ),
    "treatment_plan_item": (
        "id", "created_at", "practice_id", "patient_id", "plan_version_id", "phase", "position",
        "code", "surfaces", "fee_pence", "procedure_id",
    ),
    "membership_plan": (
        "id", "created_at", "practice_id", "name", "currency", "monthly_fee_minor", "covers",
        "discount_basis_points", "active", "updated_at",
    ),
    "patient_membership": (
        "id", "created_at", "practice_id", "patient_id", "plan_id", "status", "started_on",
        "ended_on", "updated_at",
    ),
    "recall": (
        "id", "created_at", "practice_id", "patient_id", "kind", "interval_months", "due_on",
    ),
    "recall_met": ("id", "created_at", "practice_id", "patient_id", "kind", "due_on", "met_at"),
    "nhs_contract_year": (
        "id", "created_at", "practice_id", "starts_on", "annual_uda_target", "updated_at",
    ),
    "nhs_course": (
        "id", "created_at", "practice_id", "patient_id", "status", "opened_on", "completed_on",
        "band", "currency", "charge_minor", "band_charge_minor", "udas_hundredths",
        "evidence_seen", "updated_at",
    ),
}  # fmt: skip


async def _seed(world: World, appointments: int, invoices: int) -> None:
    rng = random.Random(17)
    began = time.perf_counter()
    await _places(world, patients=max(100, 1000 * appointments // FULL[0]))
    await _copy("appointment", APPOINTMENT_COLUMNS, _appointments(world, appointments, rng))
    bills, paid = _money(world, invoices, rng)
    await _copy("invoice", INVOICE_COLUMNS, bills)
    await _copy("payment", PAYMENT_COLUMNS, paid)
    extras = _extras(world, appointments / FULL[0], rng)
    for table, columns in TABLES.items():
        await _copy(table, columns, extras[table])
    connection: Any = Appointment._meta.db
    async with connection.acquire_connection() as raw:
        await raw.execute("VACUUM ANALYZE")
    print(
        f"seeded {appointments:,} appointments, {len(bills):,} invoices, {len(paid):,} payments, "
        + ", ".join(f"{len(rows):,} {table}" for table, rows in extras.items())
        + " "
        f"in {len(world.practices)} practices of {len(world.organisations)} organisations "
        f"in {time.perf_counter() - began:.1f} s"
    )


def _p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def _time(
    entry: catalogue.Entry,
    principal: Principal,
    where: dict[str, UUID | None],
    days: tuple[date, date],
    grouping: str,
    runs: int,
) -> tuple[float, float, int]:
    async def once() -> None:
        await catalogue.run(
            entry, principal, first_day=days[0], last_day=days[1], grouping=grouping, **where
        )

    for _ in range(3):
        await once()
    with pytest.MonkeyPatch.context() as patch, count_statements(patch) as statements:
        await once()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await once()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), _p99(times), len(statements)


async def main(quick: bool, runs: int, only: set[str]) -> None:
    appointments, invoices = (n // 20 for n in FULL) if quick else FULL
    async with database(postgres=True):
        world = World(date.today())
        await _seed(world, appointments, invoices)
        admin = await factories.user(Role.ORG_ADMIN, org=world.organisations[0])
        meta = RequestMeta()
        principal = await principal_for_user(admin, mfa_passed=True, claims={}, meta=meta)
        year = (world.today - timedelta(days=364), world.today)
        scopes = {
            "practice": {"practice_id": world.practices[0].id, "organization_id": None},
            "roll-up": {"practice_id": None, "organization_id": world.organisations[0].id},
        }
        print(
            f"\n{year[0]} to {year[1]}; practice: 1 of {len(world.practices)}; roll-up: "
            f"{PRACTICES // ORGANISATIONS} practices; {runs} runs each after 3 warm-ups\n"
        )
        print("| report | scope | grouping | p50 ms | p99 ms | statements | goal |")
        print("|---|---|---|---|---|---|---|")
        for entry in catalogue.entries():
            if only and entry.name not in only:
                continue
            for scope, where in scopes.items():
                for grouping in ("WEEK", "MONTH"):
                    p50, p99, count = await _time(entry, principal, where, year, grouping, runs)
                    met = p99 < GOAL_MS[scope] and count <= GOAL_STATEMENTS
                    print(
                        f"| {entry.name} | {scope} | {grouping} | {p50:.1f} | {p99:.1f} | "
                        f"{count} | {'met' if met else 'MISSED'} |"
                    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a twentieth of the rows, 10 runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--only", default="", help="report names, comma-separated (default: all)")
    args = parser.parse_args()
    names = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = names - {entry.name for entry in catalogue.entries()}
    if unknown:
        parser.error(f"unknown report: {', '.join(sorted(unknown))}")
    run(main(args.quick, args.runs or (10 if args.quick else 50), names))

"""Patient search on PostgreSQL at 100,000 patients in the searched practice and 1,000,000 across
20 practices: median and p99 per kind of term through the search service, the plan of every
statement a search sends, and the added cost of decrypting a 50-patient page.

Usage: python bench/patient_search.py [--small] [--patients 100000] [--total 1000000]
                                      [--practices 20] [--runs 300] [--url postgres://...]
``--small`` loads only the searched practice's 100,000 patients. Creates (and drops) its own
database next to the test database; the rows go in with COPY, indexes built afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from db.config import apply_migrations, close_database, open_database
from db.models import Organization, Patient, Practice
from db.queries import patients as patient_queries
from db.tenancy import PracticeId
from services import runtime
from services.names import fold, search_key
from services.patients import fields, sealing
from services.patients.search import criteria, search_patients
from services.policy import ROLE_SCOPES, Role
from services.principal import Principal
from services.tenant_gate import held_practice

BASE = os.environ.get("AESCRM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
# Common UK surnames, most frequent first: a quarter of patients carry one, weighted 1/rank
# (Smith ~4.7%, more than in life, so "smith" slices are long); the rest come from a long tail.
# fmt: off
COMMON_LAST = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner",
    "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker",
    "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker",
    "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson",
    "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan",
    "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster",
    "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell",
    "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler",
    "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Smithson",
    "Johnston", "Jonas", "Nguyen", "Kowalski", "O'Brien", "MacDonald", "Ångström", "Müller",
    "Núñez"
]
# fmt: on
# fmt: off
FIRST = [
    "Oliver", "Olivia", "George", "Amelia", "Harry", "Isla", "Noah", "Ava", "Jack", "Mia", "John",
    "Sophie", "Leo", "Grace", "Arthur", "Freya", "Muhammad", "Lily", "Oscar", "Ella", "Charlie",
    "Zoë", "Thomas", "Emily", "James", "Poppy", "William", "Evie", "Henry", "Ruby", "Joshua",
    "Chloe", "Jacob", "Jessica", "Alfie", "Daisy", "Freddie", "Ivy", "Theo", "Florence", "Archie",
    "Rosie", "Joseph", "Sienna", "Edward", "Matilda", "Samuel", "Phoebe", "Daniel", "Evelyn",
    "Max", "Alice", "Lucas", "Ellie", "Mohammed", "Hannah", "Ethan", "Sarah", "Adam", "Charlotte",
    "Benjamin", "Emma", "Jamie", "Lucy", "Ryan", "Megan", "Dylan", "Holly", "Liam", "Anna",
    "Tyler", "Maya", "Nathan", "Laura", "Aaron", "Zara", "Ahmed", "Amira", "Siobhán", "Chloé",
    "Józef", "Ayşe", "Björn"
]
# fmt: on
# fmt: off
PREFERRED = [
    "Bob", "Liz", "Jim", "Kate", "Tom", "Meg", "Sam", "Alex", "Jo", "Pat", "Andy", "Tess"
]
# fmt: on
# fmt: off
SYLLABLES = [
    "al", "an", "ar", "ba", "be", "bo", "ca", "de", "di", "el", "en", "fa", "ga", "ha", "in",
    "ka", "la", "le", "li", "ma", "mo", "na", "ne", "ni", "or", "pa", "ra", "re", "ri", "sa",
    "se", "ta", "to", "va", "wi"
]
# fmt: on


def _tail_surnames(count: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize())
    return sorted(names)


class Names:
    """Names with a realistic spread: common surnames by 1/rank, a long tail, double-barrelled
    and multi-word surnames, middle names, preferred names and accents."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tail = _tail_surnames(20_000, rng)
        self.common_weights = [1 / rank for rank in range(1, len(COMMON_LAST) + 1)]
        self.first_weights = [1 / (rank**0.7) for rank in range(1, len(FIRST) + 1)]

    def last(self) -> str:
        rng = self.rng
        name = (
            rng.choices(COMMON_LAST, self.common_weights)[0]
            if rng.random() < 0.25
            else rng.choice(self.tail)
        )
        roll = rng.random()
        if roll < 0.03:
            return f"{name}-{rng.choice(COMMON_LAST)}"
        if roll < 0.04:
            return f"van der {name}"
        return name

    def first(self) -> str:
        first = self.rng.choices(FIRST, self.first_weights)[0]
        if self.rng.random() < 0.1:
            first += " " + self.rng.choices(FIRST, self.first_weights)[0]
        return first

    def preferred(self) -> str | None:
        return self.rng.choice(PREFERRED) if self.rng.random() < 0.05 else None


# fmt: off
COLUMNS = [
    "id", "created_at", "practice_id", "patient_number", "first_name", "last_name",
    "preferred_name", "search_name", "date_of_birth", "status", "has_medical_alert",
    "last_activity_at", "updated_at", "email", "email_index", "mobile_phone", "mobile_index"
]
# fmt: on


def _rows(
    practice_id: uuid.UUID, count: int, names: Names, sealed: bool
) -> Iterator[tuple[Any, ...]]:
    now = datetime.now(UTC)
    rng = names.rng
    for number in range(1, count + 1):
        first, last, preferred = names.first(), names.last(), names.preferred()
        born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 33_000))
        contact: tuple[Any, ...] = (None, None, None, None)
        if sealed:  # the searched practice: real ciphertext and blind indexes
            patient = Patient(id=uuid.uuid4(), practice_id=practice_id)
            fields.apply(
                patient,
                {"email": f"p{number}@example.com", "mobile_phone": f"07700 {number:06d}"},
                compare=False,
            )
            pid = patient.id
            contact = (
                patient.email,
                patient.email_index,
                patient.mobile_phone,
                patient.mobile_index,
            )
        else:
            pid = uuid.uuid4()
        yield (
            pid, now, practice_id, number, first, last, preferred,
            search_key(first, last, preferred), born, "ACTIVE", False, now, now, *contact,
        )  # fmt: skip


async def _load(url: str, plan: list[tuple[uuid.UUID, int, bool]]) -> None:
    """COPY the rows with the patient table's secondary indexes dropped, then rebuild them."""
    conn = await asyncpg.connect(url)
    try:
        indexes = await conn.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'patient' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        names = Names(random.Random(7))
        for practice_id, count, sealed in plan:
            await conn.copy_records_to_table(
                "patient", records=_rows(practice_id, count, names, sealed), columns=COLUMNS
            )
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute("VACUUM ANALYZE patient")
    finally:
        await conn.close()


async def _seed(
    url: str, searched: int, total: int, practices: int
) -> tuple[PracticeId, Principal]:
    org = await Organization.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
    created = [await Practice.create(organization=org, name=f"Bench {n}") for n in range(practices)]
    others = practices - 1
    plan = [(created[0].id, searched, True)]
    for n, practice in enumerate(created[1:]):
        share = (total - searched) // others + (1 if n < (total - searched) % others else 0)
        plan.append((practice.id, share, False))
    await _load(url, plan)
    pid = held_practice(created[0].id)  # the bench's receptionist holds this practice
    principal = Principal(
        user_id=uuid.uuid4(),
        roles=frozenset({Role.RECEPTIONIST}),
        practice_scopes={pid: ROLE_SCOPES[Role.RECEPTIONIST]},
        mfa_passed=True,
    )
    return pid, principal


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _server_cpu(pids: list[int]) -> float:
    """CPU seconds the database's backends have used (PostgreSQL on this machine)."""
    total = 0
    for pid in pids:
        try:
            fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields_[11]) + int(fields_[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


class Timer:
    """Wall p50/p99 per kind, and CPU per search (this process + the database backends): the
    CPU figure is the one a busy machine disturbs least."""

    def __init__(self, admin: asyncpg.Connection, database: str, runs: int) -> None:
        self.admin, self.database, self.runs = admin, database, runs

    async def _backends(self) -> list[int]:
        rows = await self.admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
        )
        return [row["pid"] for row in rows]

    async def __call__(self, label: str, work: Callable[[], Awaitable[object]]) -> None:
        for _ in range(10):  # warm the statement cache and the buffers
            await work()
        pids = await self._backends()
        server, client = _server_cpu(pids), time.process_time()
        samples = []
        for _ in range(self.runs):
            start = time.perf_counter()
            await work()
            samples.append((time.perf_counter() - start) * 1000)
        cpu = (time.process_time() - client + _server_cpu(pids) - server) * 1000 / self.runs
        print(
            f"{label:<46} p50 {statistics.median(samples):7.2f} ms   "
            f"p99 {_pct(samples, 0.99):7.2f} ms   CPU {cpu:6.2f} ms/search"
        )


def _nodes(plan: Any) -> Iterator[str]:
    node_type = plan["Node Type"]
    if "Index Name" in plan:
        node_type += f" {plan['Index Name']}"
    elif "Relation Name" in plan:
        node_type += f" {plan['Relation Name']}"
    yield node_type
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scans_run(plan: Any, every: bool = False) -> int:
    """How many index or bitmap heap scans of an analysed plan ran (all of them: ``every``)."""
    scan = plan["Node Type"] in ("Index Only Scan", "Index Scan", "Bitmap Heap Scan")
    found = 1 if scan and (every or plan.get("Actual Loops", 0) > 0) else 0
    return found + sum(_scans_run(child, every) for child in plan.get("Plans", []))


async def plans_read(pid: PracticeId, term: str, page: int = 50) -> list[str]:
    """The plan of each statement a first page of ``term`` sends: one per arm read for one word,
    the one UNION ALL of every arm's ids for several (the row read by id is left out)."""
    where = criteria(term)
    assert where is not None
    if len(where.name_tokens) > 1:
        sql, values = patient_queries.several_words_statement(
            pid, where, after=None, limit=page + 1
        )
        explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"
        _, raw = await Patient._meta.db.execute_query(explain, values)
        document = raw[0]["QUERY PLAN"]
        document = json.loads(document) if isinstance(document, str) else document
        plan = document[0]["Plan"]
        return [
            " > ".join(n for n in _nodes(plan) if n != "Limit"),
            f"EXPLAIN ANALYZE: planning {document[0]['Planning Time']:.2f} ms, execution "
            f"{document[0]['Execution Time']:.2f} ms, scans run {_scans_run(plan)} of "
            f"{_scans_run(plan, every=True)}",
        ]
    read: list[str] = []
    remaining = page + 1
    for arm in patient_queries.search_arms(pid, where):
        raw = await arm.query.limit(remaining).explain()
        document = json.loads(raw[0]["QUERY PLAN"]) if isinstance(raw, list) else raw
        root = document[0]["Plan"] if isinstance(document, list) else document["Plan"]
        read.append(" > ".join(n for n in _nodes(root) if n != "Limit"))
        remaining -= len(await arm.query.limit(remaining))
        if remaining <= 0:
            break
    return read


async def main(args: argparse.Namespace) -> None:
    name = f"aescrm_bench_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(args.url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    target = args.url.rpartition("/")[0] + "/" + name
    total = args.patients if args.small else args.total
    practices = 1 if args.small else args.practices
    try:
        await apply_migrations(target)
        runtime.configure(
            runtime.ServiceConfig(dev_key_file=Path(tempfile.gettempdir()) / f"{name}-keys.json")
        )
        await open_database(target)
        start = time.perf_counter()
        pid, principal = await _seed(target, args.patients, total, practices)
        print(
            f"loaded {total:,} patients ({args.patients:,} in the searched practice, "
            f"{practices} practices) in {time.perf_counter() - start:.1f} s, indexes and "
            f"VACUUM ANALYZE included (cpus: {os.cpu_count()}, load {os.getloadavg()[0]:.2f})"
        )
        rng = random.Random(1)
        common = [fold(n) for n in COMMON_LAST[:40]]
        firsts = [fold(n) for n in FIRST[:40]]
        kinds: dict[str, Callable[[], str]] = {
            "surname prefix, 3 letters ('smi')": lambda: rng.choice(common)[:3],
            "full surname ('smith')": lambda: rng.choice(common),
            "first-name word ('john')": lambda: rng.choice(firsts),
            "first name + surname prefix ('john smi')": lambda: (
                f"{rng.choice(firsts)} {rng.choice(common)[:3]}"
            ),
            "surname + initial ('smith j')": lambda: (
                f"{rng.choice(common)} {rng.choice(firsts)[0]}"
            ),
            "single letter ('s')": lambda: rng.choice("abcdefghjklmnoprstw"),
        }
        samples = dict(
            zip(kinds, ["smi", "smith", "oliver", "john smi", "smith j", "s"], strict=True)
        )

        async def by(term: str | None, after: uuid.UUID | None = None) -> None:
            await search_patients(principal, practice_id=pid, search=term, first=50, after=after)

        timed = Timer(admin, name, args.runs)
        for label, make in kinds.items():
            await timed(label, lambda make=make: by(make()))  # type: ignore[misc]

        async def second_page() -> None:
            term = rng.choice(common)[:3]
            first = await search_patients(
                principal, practice_id=pid, search=term, first=50, after=None
            )
            await by(term, first.patients[-1].id)

        await timed("page 1 + page 2 by cursor ('smi')", second_page)
        await timed("date of birth", lambda: by("1975-06-01"))
        await timed(
            "exact email (blind index)",
            lambda: by(f"p{rng.randint(1, args.patients)}@example.com"),
        )
        await timed(
            "exact mobile (blind index)",
            lambda: by(f"07700 {rng.randint(1, args.patients):06d}"),
        )
        await timed("patient number", lambda: by(str(rng.randint(1, args.patients))))
        await timed("first page, no search (50 rows)", lambda: by(None))
        page = (
            await search_patients(principal, practice_id=pid, search="", first=50, after=None)
        ).patients

        async def decrypt_page() -> None:
            for patient in page:
                sealing.reveal(patient, "email")
                sealing.reveal(patient, "mobile_phone")

        await timed("decrypt email+mobile of a 50-patient page", decrypt_page)
        print("\nplans of the statements a first page sends (one per arm read; several words: one)")
        for label, term in samples.items():
            print(f"  {label}:")
            for plan in await plans_read(pid, term):
                print(f"    {plan}")
    finally:
        await close_database()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="only the searched practice")
    parser.add_argument("--patients", type=int, default=100_000, help="in the searched practice")
    parser.add_argument("--total", type=int, default=1_000_000, help="across all practices")
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--url", default=BASE)
    asyncio.run(main(parser.parse_args()))

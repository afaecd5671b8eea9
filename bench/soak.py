"""Soak: a mixed load on ``aescrm serve --workers 2`` over PostgreSQL + Redis (issue #20 part 4).

    .venv/bin/python bench/soak.py                      # 5 minutes (the default)
    .venv/bin/python bench/soak.py --hours 1            # the full run
    .venv/bin/python bench/soak.py --minutes 0.3 --subscribers 40 --png /tmp/soak.png

A fresh PostgreSQL database (created and dropped here, ``bench/testbed.py``), ``--practices``
practices of one organisation, a partner app granted all of them. For the whole run, at once:
board reads, bookings and status changes (CONFIRMED, ARRIVED, IN_SURGERY) by reception, a partner
with a client-credentials token reading ``changes`` and ``patients``, and ``--subscribers`` board
subscriptions (graphql-transport-ws, ``since``) spread over the practices, of which 5 % drop and
resubscribe with ``since`` every minute. Every few seconds it samples each worker's RSS and open
file descriptors, the database's connections (``pg_stat_activity``), requests and event latency
(commit to client). At the end it prints a table per minute, writes the curves to ``--png`` and
prints PASS/FAIL for each check; it exits 1 if any fails:

- no error: every HTTP answer 200 without GraphQL errors, every socket healthy;
- every event exactly once: each subscriber checks ``previousSequence`` against the last sequence
  it received (across its reconnects), and at the end has every schedule event of its practice
  committed since its first ``since`` (counted in ``domain_event``), none twice;
- RSS of each worker grows less than 5 % after the warm-up;
- no growth in open file descriptors (both workers) nor in database connections.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import math
import os
import random
import sys
import tempfile
import time
import uuid
from array import array
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import asyncpg
import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from board import DAY, board_request  # the board bench's board query, on its day
from soak_clients import Caller, Subscriber, Tally, graphql, paced
from soak_report import Sample, report
from testbed import (  # the stage shared with the other server benches
    ADMIN_URL,
    Keepalive,
    free_port,
    fresh_database,
    post,
    raise_fd_limit,
    serve,
    server_env,
    workers_of,
)

REDIS_URL = os.environ.get("AESCRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PRACTITIONERS = 6
PATIENTS = 300
SEQUENCE = (
    "query($p: ID!, $f: DateTime!, $t: DateTime!) "
    "{ schedule(practiceId: $p, from: $f, to: $t) { sequence } }"
)
BOOK = "mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { appointment { id } } }"
STATUS = (
    "mutation($i: SetAppointmentStatusInput!) "
    "{ setAppointmentStatus(input: $i) { appointment { id status } } }"
)
CONSENT = "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { consent { id } } }"
CHANGES = (
    "query($s: String) { changes(since: $s, first: 50) { entries { cursor type } endCursor } }"
)
PATIENTS_PAGE = "query($p: ID!) { patients(practiceId: $p, first: 20) { edges { node { id } } } }"
NEXT_STATUS = {"BOOKED": "CONFIRMED", "CONFIRMED": "ARRIVED", "ARRIVED": "IN_SURGERY"}


@dataclass
class Practice:
    id: str
    email: str
    practitioners: list[tuple[str, str]]  # (practitioner id, its own room id)
    appointment_type: str
    patients: list[str]
    token: str = ""
    since: tuple[int, int] = (0, 0)  # practice sequence at the board read, schedule stream head
    booked: int = 0
    to_move: deque[tuple[str, str]] = field(default_factory=deque)  # (appointment, status)


async def seed(
    url: str, var: str, count: int, token_minutes: int
) -> tuple[list[Practice], tuple[str, str]]:
    """Migrates, then through the ORM: one organisation, ``count`` practices with a receptionist
    (and a token), practitioners with a room each, patients and a day of appointments (the board
    that is read); a partner app granted all of them (its client id and secret). In this process,
    with the functions ``aescrm migrate``, ``dev-token`` and ``create-client`` call: each CLI run
    would cost an interpreter start and the app's imports."""
    from db.config import apply_migrations, close_database, open_database
    from db.models import (
        Appointment,
        AppointmentType,
        Membership,
        Organization,
        Patient,
        Practitioner,
        Room,
        User,
        WorkingSession,
    )
    from db.models import Practice as PracticeRow
    from graph.settings import Settings, service_config
    from services import runtime
    from services.auth.clients import register
    from services.auth.sessions import dev_token

    settings = Settings(database_url=url, var_dir=Path(var), access_token_minutes=token_minutes)
    runtime.configure(service_config(settings))
    await apply_migrations(url)
    await open_database(url)
    try:
        org = await Organization.create(name="Soak", slug=f"soak-{uuid.uuid4().hex[:6]}")
        practices = []
        for p in range(count):
            row = await PracticeRow.create(organization=org, name=f"Soak Dental {p}")
            email = f"reception-{p}-{uuid.uuid4().hex[:6]}@soak.test"
            desk = await User.create(email=email, full_name="Desk", password_hash="x")  # noqa: S106 - never logs in
            await Membership.create(user=desk, practice=row, role="RECEPTIONIST")
            kind = await AppointmentType.create(
                practice_id=row.id, name="Check", duration_minutes=20
            )
            staff = []
            for n in range(PRACTITIONERS):
                user = await User.create(
                    email=f"d{n}-{email}",
                    full_name=f"Dr {n}",
                    password_hash="x",  # noqa: S106 - never logs in
                )
                await Membership.create(user=user, practice=row, role="DENTIST")
                room = await Room.create(practice_id=row.id, name=f"Surgery {n}")
                person = await Practitioner.create(
                    practice_id=row.id, user_id=user.id, display_name=user.full_name,
                    role="DENTIST", default_room_id=room.id,
                )  # fmt: skip
                staff.append((person.id, room.id))
                for weekday in range(7):  # 07:00-20:00 local: bookable every day of the run
                    await WorkingSession.create(
                        practice_id=row.id, practitioner_id=person.id, room_id=room.id,
                        weekday=weekday, start_minute=7 * 60, end_minute=20 * 60,
                        valid_from=date(2020, 1, 1),
                    )  # fmt: skip
            now = datetime.now(UTC)
            patients = [
                Patient(
                    id=uuid.uuid4(),
                    practice_id=row.id,
                    patient_number=n,
                    first_name=f"Pat{n}",
                    last_name=f"Soak{n}",
                    search_name=f"soak{n} pat{n}",
                    date_of_birth=date(1980, 1, 1),
                    last_activity_at=now,
                )
                for n in range(1, PATIENTS + 1)
            ]
            await Patient.bulk_create(patients, batch_size=1000)
            start = datetime.combine(DAY, clock(8), UTC)
            await Appointment.bulk_create(
                [
                    Appointment(
                        practice_id=row.id,
                        patient_id=patients[n].id,
                        practitioner_id=staff[n % PRACTITIONERS][0],
                        room_id=staff[n % PRACTITIONERS][1],
                        appointment_type_id=kind.id,
                        starts_at=start + timedelta(minutes=20 * (n // PRACTITIONERS)),
                        ends_at=start + timedelta(minutes=20 * (n // PRACTITIONERS) + 20),
                    )
                    for n in range(120)
                ]
            )
            practices.append(
                Practice(
                    str(row.id),
                    email,
                    [(str(a), str(b)) for a, b in staff],
                    str(kind.id),
                    [str(p.id) for p in patients],
                )
            )
        for practice in practices:
            practice.token = await dev_token(practice.email)
        client = await register(
            organization_id=org.id,
            name="Soak partner",
            scopes=["practice:read", "patient:read", "schedule:read"],
            practice_ids=[uuid.UUID(p.id) for p in practices],
        )
        return practices, (client.client_id, client.client_secret)
    finally:
        await close_database()


def request(port: int, token: str, query: str, variables: dict[str, object]) -> bytes:
    body = orjson.dumps({"query": query, "variables": variables})
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    return post(port, "/graphql", body, headers)


@dataclass
class Load:
    """The run's shared state: the clients, the tally, the samples, the stop signal."""

    port: int
    practices: list[Practice]
    partner: tuple[str, str]  # client id, secret
    tally: Tally = field(default_factory=Tally)
    samples: list[Sample] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    settling: bool = False  # a reconnect burst in progress: fds and sockets in flux


async def book(load: Load, practice: Practice, caller: Caller) -> None:
    n = practice.booked
    practice.booked += 1
    person, room = practice.practitioners[n % PRACTITIONERS]
    slot = n // PRACTITIONERS
    day = DAY + timedelta(days=1 + slot // 24)
    starts = datetime.combine(day, clock(8), UTC) + timedelta(minutes=20 * (slot % 24))
    variables = {
        "i": {
            "practiceId": practice.id, "patientId": practice.patients[n % PATIENTS],
            "practitionerId": person, "roomId": room,
            "appointmentTypeId": practice.appointment_type, "startsAt": starts.isoformat(),
        }
    }  # fmt: skip
    data = await graphql(
        caller, request(load.port, practice.token, BOOK, variables), "booking", load.tally
    )
    if data:
        practice.to_move.append((data["bookAppointment"]["appointment"]["id"], "BOOKED"))


async def move(load: Load, practice: Practice, caller: Caller) -> None:
    """The next status of the oldest booking still moving (CONFIRMED, ARRIVED, IN_SURGERY)."""
    if not practice.to_move:
        return
    appointment, status = practice.to_move.popleft()
    target = NEXT_STATUS[status]
    variables = {"i": {"appointmentId": appointment, "status": target}}
    request_ = request(load.port, practice.token, STATUS, variables)
    if await graphql(caller, request_, "status", load.tally) and target in NEXT_STATUS:
        practice.to_move.append((appointment, target))


async def partner_token(load: Load) -> str:
    """A client-credentials token from ``/oauth/token`` (HTTP Basic, form-encoded)."""
    client_id, secret = load.partner
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {
        "authorization": f"Basic {basic}",
        "content-type": "application/x-www-form-urlencoded",
    }
    connection = await Keepalive.open(load.port)
    try:
        status, body = await connection.send(
            post(load.port, "/oauth/token", b"grant_type=client_credentials", headers)
        )
    finally:
        connection.close()
    if status != 200:
        raise RuntimeError(f"partner token: HTTP {status} {body[:200]!r}")
    load.tally.answered("oauth")
    return str(orjson.loads(body)["access_token"])


async def partner(load: Load, rate: float) -> None:
    """Alternates a page of ``changes`` (following its cursor) and a page of ``patients``;
    fetches a new token every 10 minutes as a partner would before expiry."""
    caller = Caller(load.port)
    token, fetched, cursor, turn = await partner_token(load), time.monotonic(), None, 0

    async def read() -> None:
        nonlocal token, fetched, cursor, turn
        if time.monotonic() - fetched > 600:
            token, fetched = await partner_token(load), time.monotonic()
        turn += 1
        if turn % 2:
            request_ = request(load.port, token, CHANGES, {"s": cursor})
            data = await graphql(caller, request_, "partner", load.tally)
            if data:
                cursor = data["changes"]["endCursor"]
        else:
            practice = load.practices[turn // 2 % len(load.practices)]
            request_ = request(load.port, token, PATIENTS_PAGE, {"p": practice.id})
            await graphql(caller, request_, "partner", load.tally)

    try:
        await paced(rate, load.stop, read)
    finally:
        caller.close()


async def prepare(load: Load, partner_id: str, url: str) -> None:
    """Data-sharing consent for a few patients (the partner sees them), then each practice's
    board ``sequence``: the ``since`` its subscribers start from."""
    caller = Caller(load.port)
    try:
        for practice in load.practices:
            for patient in practice.patients[:5]:
                consent = {
                    "patientId": patient, "purpose": "DATA_SHARING", "policyVersion": "soak-1",
                    "method": "RECEPTION", "partnerClientId": partner_id,
                }  # fmt: skip
                request_ = request(load.port, practice.token, CONSENT, {"i": consent})
                if not await graphql(caller, request_, "consent", load.tally):
                    raise RuntimeError(f"consent refused: {load.tally.messages[-1]}")
            day = {"p": practice.id, "f": f"{DAY}T00:00:00Z", "t": f"{DAY}T23:59:00Z"}
            request_ = request(load.port, practice.token, SEQUENCE, day)
            data = await graphql(caller, request_, "board", load.tally)
            if not data:
                raise RuntimeError(f"board sequence: {load.tally.messages[-1]}")
            since = int(data["schedule"]["sequence"])
            practice.since = (since, await stream_head(url, practice.id, since))
    finally:
        caller.close()


async def stream_head(url: str, practice: str, since: int) -> int:
    """The last schedule event at or before ``since`` (0: none yet)."""
    connection = await asyncpg.connect(url)
    try:
        found = await connection.fetchval(
            "SELECT coalesce(max(sequence), 0) FROM domain_event "
            "WHERE practice_id = $1 AND topic = 'schedule' AND sequence <= $2",
            uuid.UUID(practice), since,
        )  # fmt: skip
        return int(found)
    finally:
        await connection.close()


async def subscribe_all(load: Load, count: int) -> list[asyncio.Task[None]]:
    """``count`` subscribers round-robin over the practices, connected 100 at a time."""
    url = f"ws://127.0.0.1:{load.port}/graphql"
    tasks: list[asyncio.Task[None]] = []
    for n in range(count):
        practice = load.practices[n % len(load.practices)]
        load.subscribers.append(
            Subscriber(url, f"Bearer {practice.token}", practice.id, practice.since, load.tally)
        )
    for start in range(0, count, 100):
        batch = load.subscribers[start : start + 100]
        tasks += [asyncio.create_task(s.run()) for s in batch]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in batch)), 120)
    return tasks


async def reconnector(load: Load, share: float, every: float) -> None:
    """Every ``every`` seconds, ``share`` of the subscribers drop and resubscribe with ``since``."""
    while not load.stop.is_set():
        try:
            await asyncio.wait_for(load.stop.wait(), every)
            return
        except TimeoutError:
            pass
        chosen = random.sample(load.subscribers, max(1, round(len(load.subscribers) * share)))
        load.settling = True
        await asyncio.gather(*(s.reconnect() for s in chosen))
        try:
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in chosen)), 60)
        except TimeoutError:
            load.tally.fail("reconnect: subscribers not back within 60 s")
        await asyncio.sleep(2)  # the server closes its side of the dropped sockets
        load.settling = False


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def sampler(load: Load, pids: list[int], database: str, every: float) -> None:
    monitor = await asyncpg.connect(f"{ADMIN_URL}/postgres")  # not counted: another database
    began = time.monotonic()
    try:
        while True:
            latencies, load.tally.latencies = load.tally.latencies, []
            connections = await monitor.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
            )
            load.samples.append(
                Sample(
                    at=time.monotonic() - began,
                    rss=[rss_kib(pid) for pid in pids],
                    fds=[len(os.listdir(f"/proc/{pid}/fd")) for pid in pids],
                    connections=int(connections),
                    requests=sum(load.tally.requests.values()),
                    failures=load.tally.failures,
                    delivered=load.tally.delivered,
                    latencies=array("f", latencies),
                    subscribed=sum(s.ready.is_set() for s in load.subscribers),
                    settled=not load.settling,
                )
            )
            if load.stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(load.stop.wait(), every)
    finally:
        await monitor.close()


async def expected_events(url: str, practices: list[Practice]) -> dict[str, tuple[int, int]]:
    """Per practice: how many schedule events were committed after its ``since``, and the last."""
    connection = await asyncpg.connect(url)
    try:
        found = {}
        for practice in practices:
            row = await connection.fetchrow(
                "SELECT count(*), coalesce(max(sequence), $2) FROM domain_event "
                "WHERE practice_id = $1 AND topic = 'schedule' AND sequence > $2",
                uuid.UUID(practice.id), practice.since[0],
            )  # fmt: skip
            found[practice.id] = (int(row[0]), int(row[1]))
        return found
    finally:
        await connection.close()


async def soak(
    load: Load, args: argparse.Namespace, pids: list[int], url: str, name: str
) -> dict[str, tuple[int, int]]:
    await prepare(load, load.partner[0], url)
    print(f"soak: subscribing {args.subscribers} ...", file=sys.stderr, flush=True)
    sockets = await subscribe_all(load, args.subscribers)
    print(f"soak: running {args.seconds / 60:.1f} min", file=sys.stderr, flush=True)
    calls = [sampler(load, pids, name, args.sample)]
    readers = max(1, math.ceil(args.board_rate / 2))  # each waits for its answer: <= 2/s each
    for n in range(readers):
        practice = load.practices[n % len(load.practices)]
        caller, board = Caller(load.port), board_request(load.port, practice.token, practice.id)

        async def read(caller: Caller = caller, board: bytes = board) -> None:
            await graphql(caller, board, "board", load.tally)

        calls.append(paced(args.board_rate / readers, load.stop, read))
    share = len(load.practices)
    for practice in load.practices:
        booker, mover = Caller(load.port), Caller(load.port)

        async def booking(p: Practice = practice, c: Caller = booker) -> None:
            await book(load, p, c)

        async def status(p: Practice = practice, c: Caller = mover) -> None:
            await move(load, p, c)

        calls.append(paced(args.booking_rate / share, load.stop, booking))
        calls.append(paced(args.status_rate / share, load.stop, status))
    calls.append(partner(load, args.partner_rate))
    calls.append(reconnector(load, args.reconnect_share, args.reconnect_every))

    async def clock_out() -> None:
        await asyncio.sleep(args.seconds)
        load.stop.set()

    await asyncio.gather(clock_out(), *calls)
    expected = await expected_events(url, load.practices)
    deadline = time.monotonic() + 60  # the last events reach every subscriber
    while time.monotonic() < deadline:
        if all(s.last >= expected[s.practice][1] for s in load.subscribers):
            break
        await asyncio.sleep(0.5)
    for subscriber in load.subscribers:
        await subscriber.stop()
    await asyncio.gather(*sockets, return_exceptions=True)
    return expected


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--hours", type=float, help="overrides --minutes")
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--practices", type=int, default=4)
    parser.add_argument("--board-rate", type=float, default=10.0, help="board reads per second")
    parser.add_argument("--booking-rate", type=float, default=1.0, help="bookings per second")
    parser.add_argument("--status-rate", type=float, default=2.0, help="status changes per second")
    parser.add_argument("--partner-rate", type=float, default=2.0, help="partner reads per second")
    parser.add_argument("--reconnect-share", type=float, default=0.05)
    parser.add_argument("--reconnect-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, help="seconds (default: 20%% of the run, <= 60)")
    default_png = Path(tempfile.gettempdir(), f"aescrm-soak-{time.strftime('%Y%m%d-%H%M%S')}.png")
    parser.add_argument("--png", default=str(default_png), help="where the curves go")
    args = parser.parse_args()
    args.seconds = (args.hours * 60 if args.hours else args.minutes) * 60
    if args.warmup is None:
        args.warmup = min(60.0, args.seconds * 0.2)
    raise_fd_limit()
    name = f"aescrm_bench_soak_{uuid.uuid4().hex[:8]}"
    var = tempfile.mkdtemp(prefix="aescrm-soak-")
    port = free_port()
    began = time.monotonic()

    def step(what: str) -> None:
        print(f"soak: {what} ({time.monotonic() - began:.1f} s)", file=sys.stderr, flush=True)

    minutes = min(24 * 60, int(args.seconds / 60) + 30)  # tokens outlive the run
    with fresh_database(name) as url:
        env = server_env(
            url, var,
            AESCRM_BROADCAST_URL=REDIS_URL,
            AESCRM_ACCESS_TOKEN_MINUTES=str(minutes),
            AESCRM_MAX_SOCKETS_PER_PRINCIPAL=str(args.subscribers + 100),
            AESCRM_MAX_SOCKETS_PER_ADDRESS=str(args.subscribers + 100),
            AESCRM_WS_INIT_TIMEOUT_SECONDS="120",
        )  # fmt: skip
        practices, partner = asyncio.run(seed(url, var, args.practices, minutes))
        step("migrated and seeded")
        with serve(env, port) as server:
            step("serving")
            pids = [pid for pid in workers_of(server.pid) if "spawn_main" in _cmdline(pid)]
            load = Load(port, practices, partner)
            expected = uvloop.run(soak(load, args, pids, url, name))
    passed = report(load, expected, args, pids)
    sys.exit(0 if passed else 1)


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


if __name__ == "__main__":
    main()

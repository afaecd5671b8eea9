"""10,000 real appointment reminders due at once, sent by ``aescrm worker`` processes (issue 18).

    .venv/bin/python bench/reminders.py [--count 10000] [--workers 2] [--concurrency 10]
        [--lead 30] [--only development|smtp]

Creates (and drops) its own PostgreSQL database next to the test database, then:

1. one practice (Europe/London, quiet hours off, 24-hour reminders), a few practitioners and
   ``count`` patients with a sealed email address;
2. starts an aiosmtpd sink in its own process and ``--workers`` real ``aescrm worker``
   processes (``AESCRM_JOBS_CONCURRENCY`` = ``--concurrency``, SMTP pointed at the sink, no TLS:
   the figure is the service's cost, not the handshake's);
3. for each channel — (a) the practice's development channel, (b) SMTP to the sink — books
   ``count`` appointments all starting 24 hours after one instant ``--lead`` seconds ahead and
   records their reminders through the path a booking takes
   (``patient_messages.after_booking``, 500 per transaction, 4 transactions at once), so every
   reminder is due at that instant; then waits until every one is SENT and prints the delay from
   the due time to ``sent_at`` (p50, p99, max), messages per second and whether all went within
   60 s (the issue's goal).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.testbed import free_port  # noqa: E402
from db.config import apply_migrations, close_database, open_database  # noqa: E402
from db.models import (  # noqa: E402
    Appointment,
    AppointmentType,
    Message,
    Organization,
    Patient,
    Practice,
    Practitioner,
    Room,
    User,
)
from db.queries import messages as queries  # noqa: E402
from db.uow import unit_of_work  # noqa: E402
from graph.settings import Settings, service_config  # noqa: E402
from services import runtime, tenant_gate  # noqa: E402
from services.messaging import patient_messages  # noqa: E402
from services.patients import sealing  # noqa: E402

BASE = os.environ.get("AESCRM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
LONDON = ZoneInfo("Europe/London")
PRACTITIONERS = 20
BATCH = 500


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _diary(
    count: int,
) -> tuple[Practice, list[Practitioner], Room, AppointmentType, list[Patient]]:
    org = await Organization.create(name="Bench org", slug=f"bench-{uuid.uuid4().hex[:6]}")
    practice = await Practice.create(
        organization=org, name="Bench practice", timezone="Europe/London"
    )
    room = await Room.create(practice_id=practice.id, name="Surgery 1")
    kind = await AppointmentType.create(
        practice_id=practice.id, name="Examination", duration_minutes=30
    )
    practitioners = []
    for n in range(PRACTITIONERS):
        user = await User.create(  # never logs in: no usable password
            email=f"dentist{n}@bench.example",
            full_name=f"Dr Bench {n}",
            password_hash="!",  # noqa: S106
        )
        practitioners.append(
            await Practitioner.create(
                practice_id=practice.id,
                user_id=user.id,
                display_name=user.full_name,
                role="DENTIST",
                default_room_id=room.id,
            )
        )
    ring = runtime.keyring()
    patients = []
    for n in range(count):
        patient = Patient(
            id=uuid.uuid4(),
            practice_id=practice.id,
            patient_number=n + 1,
            first_name=f"P{n}",
            last_name="Bench",
            search_name=f"p{n} bench",
            date_of_birth=date(1980, 1, 1),
            last_activity_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        address = f"p{n}@example.com"
        patient.email = sealing.seal(patient, "email", address)
        patient.email_index = ring.blind_index("email", address)
        patients.append(patient)
    await Patient.bulk_create(patients, batch_size=1000)
    pid = tenant_gate.operator_practice(practice.id)
    async with unit_of_work() as uow:  # quiet hours off: nothing may defer the reminders
        await queries.save_settings(
            pid, uow.connection, quiet_start_minute=0, quiet_end_minute=0, reminder_hours=24
        )
    return practice, practitioners, room, kind, patients


async def _book_and_queue(
    practice: Practice,
    practitioners: list[Practitioner],
    room: Room,
    kind: AppointmentType,
    patients: list[Patient],
    due: datetime,
) -> float:
    """Appointments 24 h after ``due``; their reminders through the booking's path."""
    starts_at = due + timedelta(hours=24)
    appointments = [
        Appointment(
            id=uuid.uuid4(),
            practice_id=practice.id,
            patient_id=patient.id,
            practitioner_id=practitioners[n % len(practitioners)].id,
            room_id=room.id,
            appointment_type_id=kind.id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            source="RECEPTION",
        )
        for n, patient in enumerate(patients)
    ]
    await Appointment.bulk_create(appointments, batch_size=1000)
    started = time.perf_counter()
    batches: asyncio.Queue[int] = asyncio.Queue()
    for start in range(0, len(patients), BATCH):
        batches.put_nowait(start)
    now = datetime.now(UTC)

    async def producer() -> None:
        while not batches.empty():
            start = batches.get_nowait()
            async with unit_of_work() as uow:
                for appointment, patient in zip(
                    appointments[start : start + BATCH],
                    patients[start : start + BATCH],
                    strict=True,
                ):
                    await patient_messages.after_booking(
                        uow.connection, appointment, patient, LONDON, now, confirm=False
                    )

    await asyncio.gather(*(producer() for _ in range(4)))
    return time.perf_counter() - started


def _cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for process in processes:
        with open(f"/proc/{process.pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


async def _round(
    label: str,
    diary: tuple[Any, ...],
    count: int,
    lead: float,
    workers: list[subprocess.Popen[bytes]],
    sink: subprocess.Popen[bytes],
) -> None:
    practice = diary[0]
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
    queueing = await _book_and_queue(*diary, due=due)
    late = (datetime.now(UTC) - due).total_seconds()
    note = f", {late:.1f} s LATE: raise --lead" if late > 0 else ""
    print(f"  {label}: {count} reminders queued in {queueing:.1f} s{note}")
    cpu_workers, cpu_sink = _cpu_seconds(workers), _cpu_seconds([sink])
    rows = Message.filter(practice_id=practice.id, scheduled_for=due)
    deadline = time.monotonic() + lead + 900
    while time.monotonic() < deadline:
        if (
            await rows.filter(status="QUEUED").count() + await rows.filter(status="SENDING").count()
            == 0
        ):
            break
        await asyncio.sleep(0.5)
    sent = await rows.filter(status="SENT").values_list("sent_at", "transport")
    other = await rows.exclude(status="SENT").count()
    delays = [(at - due).total_seconds() for at, _ in sent]
    transports = {transport for _, transport in sent}
    last = max(delays)
    print(
        f"  {label}: {len(delays)} SENT ({', '.join(sorted(transports))}), {other} not SENT; "
        f"delay from due time to sent_at p50 {statistics.median(delays):.1f} s, "
        f"p99 {_percentile(delays, 0.99):.1f} s, max {last:.1f} s; "
        f"{len(delays) / last:.0f} msg/s; "
        f"{'all within' if last <= 60 and not other else 'NOT all within'} 60 s"
    )
    worker_ms = (_cpu_seconds(workers) - cpu_workers) * 1000 / max(1, len(delays))
    sink_ms = (_cpu_seconds([sink]) - cpu_sink) * 1000 / max(1, len(delays))
    print(f"  {label}: CPU per message: workers {worker_ms:.2f} ms, SMTP sink {sink_ms:.2f} ms")


def _environment(url: str, var_dir: Path, smtp_port: int, concurrency: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
    env.update(
        AESCRM_DATABASE_URL=url,
        AESCRM_VAR_DIR=str(var_dir),
        AESCRM_JOBS_SCHEDULES="false",
        AESCRM_LOG_LEVEL="WARNING",
        AESCRM_JOBS_CONCURRENCY=str(concurrency),
        AESCRM_SMTP_HOST="127.0.0.1",
        AESCRM_SMTP_PORT=str(smtp_port),
        AESCRM_SMTP_TLS="none",
    )
    return env


def _start(
    args: argparse.Namespace, url: str, var_dir: Path, port: int
) -> tuple[subprocess.Popen[bytes], list[subprocess.Popen[bytes]]]:
    """The SMTP sink, then the real ``aescrm worker`` processes pointed at it."""
    sink = subprocess.Popen(
        [sys.executable, __file__, "--as-sink", str(port)], stdout=subprocess.PIPE, cwd=ROOT
    )
    env = _environment(url, var_dir, port, args.concurrency)
    aescrm = str(Path(sys.executable).parent / "aescrm")
    workers = [
        subprocess.Popen([aescrm, "worker", "--name", f"bench-{n}"], env=env, cwd=ROOT)
        for n in range(args.workers)
    ]
    return sink, workers


async def main(args: argparse.Namespace) -> None:
    name = f"aescrm_bench_reminders_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(args.url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    target = args.url.rpartition("/")[0] + "/" + name
    var_dir = Path(tempfile.mkdtemp(prefix="aescrm-bench-reminders-"))
    processes: list[subprocess.Popen[bytes]] = []
    sink: subprocess.Popen[bytes] | None = None
    try:
        await apply_migrations(target)
        settings = Settings(database_url=target, var_dir=var_dir)
        runtime.configure(service_config(settings))
        await open_database(target)
        started = time.perf_counter()
        diary = await _diary(args.count)
        print(f"{args.count} patients with email in {time.perf_counter() - started:.1f} s")
        port = free_port()
        sink, processes = _start(args, target, var_dir, port)
        print(
            f"{args.workers} aescrm worker processes (concurrency {args.concurrency}, batch 100, "
            f"poll 1 s), SMTP sink in its own process, cpus: {os.cpu_count()}, "
            f"load {os.getloadavg()[0]:.1f}"
        )
        await asyncio.sleep(3)  # the workers start up
        pid = tenant_gate.operator_practice(diary[0].id)
        for label, development in (("development", True), ("smtp", False)):
            if args.only and label != args.only:
                continue
            async with unit_of_work() as uow:
                await queries.save_settings(pid, uow.connection, development_channel=development)
            await _round(label, diary, args.count, args.lead, processes, sink)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
        if sink is not None:
            sink.send_signal(signal.SIGTERM)
            out, _ = sink.communicate(timeout=30)
            print(f"SMTP sink received {out.decode().strip() or '?'} messages")
        await close_database()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _run_sink(port: int) -> None:
    """An aiosmtpd server that accepts and counts; prints the count when stopped."""
    from aiosmtpd.controller import Controller

    class Counter:
        count = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            Counter.count += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    stopped = False

    def stop(*_: Any) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    while not stopped:
        time.sleep(0.2)
    controller.stop()
    print(Counter.count, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--as-sink":
        _run_sink(int(sys.argv[2]))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=10, help="AESCRM_JOBS_CONCURRENCY")
    parser.add_argument("--lead", type=float, default=30.0, help="seconds until they are due")
    parser.add_argument("--url", default=BASE)
    parser.add_argument("--only", choices=["development", "smtp"], help="one channel only")
    asyncio.run(main(parser.parse_args()))

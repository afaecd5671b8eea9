"""Benchmark: patient messages end to end on SQLite and PostgreSQL.

    .venv/bin/python bench/messages.py [--count 500]

For ``count`` patients with an email address: each message is recorded and queued in its own
unit of work (as a booking does), then the job runner sends them all (``run_due`` until none is
due) through (a) the development channel and (b) SMTP to a local aiosmtpd server (plain, no
TLS: the figure is the service's cost, not the handshake's). Prints messages per second for
queueing and for sending, and the template render time per message.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from billing_support import database, run

from db.models import Message, Patient
from db.queries import messages as queries
from db.uow import unit_of_work
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.messaging import channels, patient_messages, templates
from services.patients import sealing
from tests.messaging_support import free_port

catalogue.load()


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


async def _patients(practice: Any, count: int) -> list[Patient]:
    made = []
    for n in range(count):
        patient = await Patient.create(
            practice_id=practice.id,
            patient_number=n + 2,
            first_name=f"P{n}",
            last_name="Bench",
            search_name=f"p{n} bench",
            date_of_birth="1980-01-01",
            last_activity_at="2026-01-01T00:00:00+00:00",
        )
        patient.email = sealing.seal(patient, "email", f"p{n}@example.com")
        await patient.save()
        made.append(patient)
    return made


async def _round(patients: list[Patient], label: str) -> None:
    started = time.perf_counter()
    for patient in patients:
        async with unit_of_work() as uow:
            await patient_messages.legal_notice(
                uow.connection,
                patient,
                "DSR_NOTICE",
                patient.id,
                {"request_kind": "access", "request_status": "received", "due_date": "1 May"},
            )
    queued = time.perf_counter() - started
    started = time.perf_counter()
    while await run_due(now=datetime.now(UTC), limit=100):
        pass
    sent = time.perf_counter() - started
    done = await Message.filter(status="SENT").count()
    n = len(patients)
    print(
        f"  {label:<12} queue {n / queued:7.0f} msg/s   send {n / sent:7.0f} msg/s"
        f"   ({done} SENT so far)"
    )


async def main(count: int) -> None:
    source = templates.default_source("appointment_reminder")
    values = dict.fromkeys(templates.shipped("appointment_reminder").fields, "x")
    started = time.perf_counter()
    for _ in range(2000):
        templates.render(source, values)
    print(f"render: {(time.perf_counter() - started) / 2000 * 1e6:.0f} µs per message (4 parts)")
    for postgres in (False, True):
        async with database(postgres) as (practice, _):
            print("PostgreSQL" if postgres else "SQLite", f"({count} messages per channel)")
            patients = await _patients(practice, count)
            async with unit_of_work() as uow:
                await queries.save_settings(practice.id, uow.connection, development_channel=True)
            channels.configure(channels.MessagingConfig())
            await _round(patients, "development")
            async with unit_of_work() as uow:
                await queries.save_settings(practice.id, uow.connection, development_channel=False)
            sink, port = Sink(), free_port()
            controller = Controller(sink, hostname="127.0.0.1", port=port)
            controller.start()
            smtp = channels.SmtpConfig(host="127.0.0.1", port=port, tls="none")
            channels.configure(channels.MessagingConfig(smtp=smtp, production=True))
            try:
                await _round(patients, "smtp")
            finally:
                controller.stop()
                channels.configure(channels.MessagingConfig())
            assert sink.count == count, sink.count


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    run(main(args.count))

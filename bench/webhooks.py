"""Benchmark: partner webhook deliveries per second to a local receiver, end to end.

N ``PATIENT_UPDATED`` events of a patient who shares data with the partner are committed; then
the pipeline runs as the worker runs it: the fan-out job creates one delivery row (and its send
job) per event, and ``run_due`` sends them — render through the visibility policy, sign
(Standard Webhooks), SSRF re-check, POST over a fresh connection, log the attempt, audit the
read. The receiver is a separate process (a threading HTTP server answering 200).

    .venv/bin/python bench/webhooks.py [--postgres] [--events 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

from billing_support import database, run
from testbed import free_port

from db import outbox
from db.models import ConsentRecord, PartnerWebhookDelivery
from db.outbox import PendingEvent
from db.uow import unit_of_work
from services.auth import clients
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.policy import Scope
from services.principal import Principal
from services.tenant_gate import held_organization
from services.webhooks import config, endpoints, fanout
from services.webhooks.config import WebhookConfig


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


def _serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Ok).serve_forever()


async def main(postgres: bool, events: int) -> None:
    port = free_port()
    receiver = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    receiver.start()
    config.override(WebhookConfig(allow_loopback=True, disable_after=1_000_000))
    catalogue.load()
    try:
        async with database(postgres) as (practice, patient):
            org_id = practice.organization_id
            partner = await clients.register(
                organization_id=org_id,
                name="Bench partner",
                scopes=["patient:read"],
                practice_ids=[practice.id],
            )
            await ConsentRecord.create(
                practice_id=practice.id,
                patient_id=patient.id,
                seq=1,
                purpose="DATA_SHARING",
                subject=partner.client_id,
                granted=True,
                policy_version="bench",
                method="RECEPTION",
                effective_at=datetime.now(UTC) - timedelta(days=1),
            )
            admin = Principal(
                user_id=uuid4(),
                organization_scopes={held_organization(org_id): frozenset({Scope.WEBHOOK_ADMIN})},
            )
            await endpoints.register(
                admin,
                organization_id=org_id,
                client_id=partner.client_id,
                url=f"http://127.0.0.1:{port}/in",
                event_types=["patient.updated"],
            )
            async with unit_of_work() as uow:
                await outbox.append(
                    [
                        PendingEvent(
                            organization_id=org_id,
                            practice_id=practice.id,
                            topic="patients",
                            type="PATIENT_UPDATED",
                            entity_id=patient.id,
                            patient_id=patient.id,
                        )
                        for _ in range(events)
                    ],
                    uow.connection,
                )
            started = time.perf_counter()
            created = await fanout.run(practice.id)
            fanned = time.perf_counter()
            while await run_due(limit=200):
                pass
            sent = time.perf_counter()
            delivered = await PartnerWebhookDelivery.filter(status="DELIVERED").count()
        engine = "PostgreSQL" if postgres else "SQLite"
        print(f"webhooks ({engine}, {events} events, 1 endpoint, local receiver)")
        print(f"  fan-out: {created} deliveries in {fanned - started:.2f} s")
        print(
            f"  send: {delivered} delivered in {sent - fanned:.2f} s = "
            f"{delivered / (sent - fanned):.0f} deliveries/s"
        )
        print(f"  end to end: {delivered / (sent - started):.0f} deliveries/s")
    finally:
        config.override(None)
        receiver.terminate()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    run(main(args.postgres, args.events))

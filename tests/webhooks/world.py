"""A practice with a partner app, a sharing and a non-sharing patient, and staff to change them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from db import uow
from db.models import Organization, Patient, Practice, User
from db.models.consent import CaptureMethod, ConsentPurpose
from services.auth import clients
from services.auth.principal_loader import principal_for_user
from services.consent import ledger
from services.consent.ledger import Decision
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.patients import records
from services.policy import Role
from services.principal import Principal, RequestMeta
from services.webhooks import config, endpoints, fanout
from services.webhooks.config import WebhookConfig
from tests import factories

ALL_TYPES = ["appointment.booked", "patient.created", "patient.updated", "consent.changed"]


async def as_principal(user: User) -> Principal:
    return await principal_for_user(user, mfa_passed=True, claims={}, meta=RequestMeta())


def sharing(client_id: str, granted: bool = True) -> Decision:
    return Decision(
        purpose=ConsentPurpose.DATA_SHARING,
        granted=granted,
        policy_version="privacy-2026-01",
        method=CaptureMethod.RECEPTION,
        partner_client_id=client_id,
    )


@dataclass
class World:
    org: Organization
    practice: Practice
    admin: Principal
    desk: Principal
    client_id: str
    sharing: Patient  # shares data with the partner
    private: Patient  # does not

    async def register(self, url: str, types: list[str] | None = None) -> endpoints.WithSecret:
        return await endpoints.register(
            self.admin,
            organization_id=self.org.id,
            client_id=self.client_id,
            url=url,
            event_types=types or ALL_TYPES,
        )

    async def touch(self, patient: Patient, name: str = "Changed") -> None:
        """A PATIENT_UPDATED event for ``patient``."""
        await records.update_patient(self.desk, patient_id=patient.id, values={"first_name": name})


async def build_world(*, scopes: tuple[str, ...] = ("patient:read", "schedule:read")) -> World:
    org = await factories.organization()
    practice = await factories.practice(org)
    admin = await as_principal(await factories.user(Role.ORG_ADMIN, org=org))
    desk = await as_principal(await factories.user(Role.RECEPTIONIST, practice))
    partner = await clients.register(
        organization_id=org.id, name="Partner", scopes=list(scopes), practice_ids=[practice.id]
    )
    shared = await factories.patient(practice, first_name="Sharon")
    private = await factories.patient(practice, first_name="Priscilla")
    await ledger.record(desk, patient_id=shared.id, decision=sharing(partner.client_id))
    return World(org, practice, admin, desk, partner.client_id, shared, private)


async def pump(rounds: int = 20) -> None:
    """Runs due jobs (fan-out, deliveries, their retries: backoff skipped by a late `now`)."""
    catalogue.load()
    for n in range(rounds):  # each round a day later than the last: past any backoff
        if not await run_due(now=datetime.now(UTC) + timedelta(days=1 + n)):
            return


async def fan_out(world: World) -> int:
    return await fanout.run(world.practice.id)


def test_config(**overrides: Any) -> Iterator[None]:
    """Loopback allowed (the local receiver), 3 failures disable, and commits nudge the
    fan-out as the app's lifespan makes them."""
    values: dict[str, Any] = {"allow_loopback": True, "timeout_seconds": 3.0, "disable_after": 3}
    config.override(WebhookConfig(**{**values, **overrides}))
    unhook = uow.on_commit(fanout.nudge)
    try:
        yield
    finally:
        unhook()
        config.override(None)

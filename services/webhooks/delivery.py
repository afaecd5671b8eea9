"""Sending one delivery: render, sign, POST, log the attempt, count failures, disable.

Called by the ``webhooks.deliver`` job (``services.webhooks.jobs``), which retries a
``retry`` result with exponential backoff and jitter. Every attempt is logged
(``PartnerWebhookAttempt``: outcome, status code, duration, the first bytes of the reply; never
the secret or our headers). ``disable_after`` consecutive failed attempts disable the endpoint
once, with an audit row (``WEBHOOK_ENDPOINT_DISABLED``) that the organisation's admins see.

A delivered event is a read of the patient's data by the partner: it is audited like one
(``WEBHOOK_DELIVERED`` with the client id and the patient), in the transaction that records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.audit_chain import AuditRecord
from db.models import PartnerWebhookAttempt, PartnerWebhookDelivery, PartnerWebhookEndpoint
from db.queries import memberships
from db.queries import webhook_deliveries as rows
from db.uow import UnitOfWork, unit_of_work
from services import audit
from services.messaging import staff_mail
from services.principal import Principal
from services.webhooks import config, partners, payloads, secrets, sending, signing
from services.webhooks.events import WebhookEvent

DELIVERED, PENDING, FAILED, WITHHELD, DISABLED = (
    "DELIVERED",
    "PENDING",
    "FAILED",
    "WITHHELD",
    "DISABLED",
)
FINAL = frozenset({DELIVERED, FAILED, WITHHELD, DISABLED})


@dataclass(frozen=True, slots=True)
class Result:
    status: str  # the delivery's status after this call
    outcome: sending.Outcome | None = None  # None: nothing was sent
    retry: bool = False  # the job should try again later


async def deliver(delivery_id: UUID) -> Result:
    found = await rows.for_sending(delivery_id)
    if found is None:
        return Result("GONE")
    delivery, endpoint, client, event = found
    if delivery.status in FINAL:
        return Result(delivery.status)  # done before (a duplicate job); replays reset it first
    if not endpoint.enabled or not client.is_active:
        return await _settle(delivery, DISABLED)
    principal = await partners.principal_of(client)
    kind = WebhookEvent(delivery.event_type)
    body = await payloads.render(principal, event, kind)
    if body is None:
        return await _settle(delivery, WITHHELD)
    headers = signing.headers(secrets.opened(endpoint), signing.message_id(delivery.id), body)
    outcome = await sending.post(endpoint.url, body, headers)
    return await _record(delivery, endpoint, principal, event.patient_id, outcome)


async def _settle(delivery: PartnerWebhookDelivery, status: str) -> Result:
    async with unit_of_work() as uow:
        await rows.set_status(delivery, status, uow.connection)
    return Result(status)


async def _record(
    delivery: PartnerWebhookDelivery,
    endpoint: PartnerWebhookEndpoint,
    principal: Principal,
    patient_id: object,
    outcome: sending.Outcome,
) -> Result:
    settings = config.current()
    now = datetime.now(UTC)
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    retry = False
    async with unit_of_work() as uow:
        if outcome.ok:
            delivery.status, delivery.delivered_at = DELIVERED, now
            await rows.endpoint_succeeded(endpoint.id, uow.connection)
            uow.audit(_delivered(principal, delivery, patient_id))
        else:
            failures = await rows.endpoint_failed(endpoint.id, uow.connection)
            disabled = failures >= settings.disable_after and await rows.disable(
                endpoint.id, "FAILURES", now, uow.connection
            )
            if disabled:
                await _disabled(uow, endpoint, failures)
            retry = outcome.retryable and not disabled and delivery.attempts < settings.max_attempts
            delivery.status = PENDING if retry else FAILED
        attempt = PartnerWebhookAttempt(
            id=uuid4(),
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            outcome=outcome.outcome,
            response_excerpt=outcome.excerpt,
        )
        await rows.record_attempt(delivery, attempt, uow.connection)
    return Result(delivery.status, outcome, retry)


def _delivered(
    principal: Principal, delivery: PartnerWebhookDelivery, patient_id: object
) -> AuditRecord:
    return audit.record_for(
        principal,
        action="WEBHOOK_DELIVERED",
        practice_id=UUID(str(delivery.practice_id)),
        entity_type="WebhookDelivery",
        entity_id=delivery.id,
        patient_id=None if patient_id is None else UUID(str(patient_id)),
        fields=[delivery.event_type],
    )


async def _disabled(uow: UnitOfWork, endpoint: PartnerWebhookEndpoint, failures: int) -> None:
    """Audited, and every admin of the organisation is emailed in the same transaction."""
    organization_id = UUID(str(endpoint.organization_id))
    for user_id, email, name in await memberships.organization_admins(
        organization_id, uow.connection
    ):
        await staff_mail.send_staff_email(
            to=email,
            template="webhook_disabled",
            context={"name": name, "endpoint": endpoint.url, "failures": str(failures)},
            practice_id=None,
            staff_user_id=user_id,
            connection=uow.connection,
        )
    uow.audit(
        audit.record_for(
            Principal(),
            action="WEBHOOK_ENDPOINT_DISABLED",
            outcome="FAILURES",
            organization_id=organization_id,
            entity_type="WebhookEndpoint",
            entity_id=endpoint.id,
            fields=[f"consecutive_failures={failures}"],
        )
    )


__all__ = ["DELIVERED", "DISABLED", "FAILED", "PENDING", "WITHHELD", "Result", "deliver"]

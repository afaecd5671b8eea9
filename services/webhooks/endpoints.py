"""Registering, changing and removing partner webhook endpoints (organisation admins).

Who: an organisation admin (``webhook:admin`` held organisation-wide) registers an endpoint for
one of the organisation's partner clients. The partner itself cannot: where patient events are
sent is the data controller's decision, and a partner token reaching this would let a leaked
token redirect them. Every change is audited in its transaction; the signing secret is shown
once (registration, rotation) and stored encrypted.

An endpoint of another organisation, or one that does not exist, is the same NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.models import (
    PartnerClient,
    PartnerWebhookAttempt,
    PartnerWebhookDelivery,
    PartnerWebhookEndpoint,
)
from db.queries import organizations
from db.queries import webhook_deliveries as delivery_rows
from db.queries import webhook_endpoints as rows
from db.tenancy import OrganizationId
from db.uow import UnitOfWork, unit_of_work
from services import audit, organization_admin, tenant_gate
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.webhooks import partners, queueing, secrets, targets
from services.webhooks.events import SCOPE, WebhookEvent

MAX_ENDPOINTS_PER_CLIENT = 10


@dataclass(frozen=True, slots=True)
class View:
    endpoint: PartnerWebhookEndpoint
    client_id: str  # the partner app's OAuth client id


@dataclass(frozen=True, slots=True)
class WithSecret:
    view: View
    secret: str  # whsec_…, shown this once


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: PartnerWebhookDelivery
    attempts: list[PartnerWebhookAttempt]


async def _views(found: Sequence[PartnerWebhookEndpoint]) -> list[View]:
    by_org: dict[OrganizationId, list[PartnerWebhookEndpoint]] = {}
    for row in found:
        by_org.setdefault(tenant_gate.organization_of(row), []).append(row)
    names: dict[str, str] = {}
    for oid, listed_rows in by_org.items():
        clients = await rows.partner_clients_by_pk(oid, [r.partner_client_id for r in listed_rows])
        names |= {pk: c.client_id for pk, c in clients.items()}
    return [View(r, names.get(str(r.partner_client_id), "")) for r in found]


REFUSAL = "Webhook endpoints are managed by the organisation's admins."


def _admin_orgs(principal: Principal) -> list[OrganizationId]:
    return organization_admin.organizations_with(principal, Scope.WEBHOOK_ADMIN)


async def _organization(principal: Principal, organization_id: UUID, action: str) -> OrganizationId:
    return await organization_admin.organization_for(
        principal, organization_id, Scope.WEBHOOK_ADMIN, action=action, refusal=REFUSAL
    )


async def _owned(
    principal: Principal, endpoint_id: UUID, *, uow: UnitOfWork | None = None
) -> PartnerWebhookEndpoint:
    for oid in _admin_orgs(principal):
        found = await rows.endpoint(
            oid, endpoint_id, uow.connection if uow else None, for_update=uow is not None
        )
        if found is not None:
            return found
    raise NotFound("WebhookEndpoint")


def _event_types(values: Sequence[str], client: PartnerClient) -> list[str]:
    if not values:
        raise ValidationFailed("Choose at least one event type.", field="eventTypes")
    kinds = {WebhookEvent(v) for v in values}
    granted = partners.granted_scopes(client)
    beyond = sorted(k.name for k in kinds if SCOPE[k] not in granted)
    if beyond:
        raise ValidationFailed(
            f"The partner app lacks the scope these events need: {', '.join(beyond)}",
            field="eventTypes",
        )
    return sorted(k.value for k in kinds)


def _audit(
    uow: UnitOfWork,
    principal: Principal,
    action: str,
    row: PartnerWebhookEndpoint,
    fields: list[str],
) -> None:
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            organization_id=UUID(str(row.organization_id)),
            entity_type="WebhookEndpoint",
            entity_id=row.id,
            fields=fields,
        )
    )


async def listed(principal: Principal, *, organization_id: UUID) -> list[View]:
    oid = await _organization(principal, organization_id, "LIST webhook endpoints")
    return await _views(await rows.endpoints(oid))


async def register(
    principal: Principal,
    *,
    organization_id: UUID,
    client_id: str,
    url: str,
    event_types: Sequence[str],
) -> WithSecret:
    oid = await _organization(principal, organization_id, "REGISTER webhook endpoint")
    client = await rows.partner_client(oid, client_id)
    if client is None:
        raise NotFound("PartnerClient")
    kinds = _event_types(event_types, client)
    target = await targets.check(url)
    secret = secrets.new_secret()
    async with unit_of_work() as uow:
        existing = [
            r for r in await rows.endpoints(oid) if str(r.partner_client_id) == str(client.id)
        ]
        if len(existing) >= MAX_ENDPOINTS_PER_CLIENT:
            raise Conflict(f"A partner app may have at most {MAX_ENDPOINTS_PER_CLIENT} endpoints.")
        row = PartnerWebhookEndpoint(
            id=uuid4(),
            organization_id=oid,
            partner_client_id=client.id,
            url=target.url,
            event_types=kinds,
        )
        row.secret = secrets.seal(row, secret)
        await rows.insert(row, uow.connection)
        practices = await organizations.practices_in_organization(oid, client.practice_ids)
        await delivery_rows.start_cursors([p.id for p in practices], uow.connection)
        _audit(uow, principal, "REGISTER webhook endpoint", row, ["url", "eventTypes"])
    return WithSecret(View(row, client.client_id), secret)


async def update(
    principal: Principal,
    *,
    endpoint_id: UUID,
    url: str | None,
    event_types: Sequence[str] | None,
    enabled: bool | None,
) -> View:
    checked = None if url is None else await targets.check(url)
    async with unit_of_work() as uow:
        row = await _owned(principal, endpoint_id, uow=uow)
        changed: list[str] = []
        if checked is not None and checked.url != row.url:
            row.url, changed = checked.url, [*changed, "url"]
        if event_types is not None:
            clients = await rows.partner_clients_by_pk(
                tenant_gate.organization_of(row), [row.partner_client_id]
            )
            client = clients.get(str(row.partner_client_id))
            if client is None:
                raise NotFound("PartnerClient")
            row.event_types, changed = _event_types(event_types, client), [*changed, "event_types"]
        if enabled is not None and enabled != row.enabled:
            row.enabled, changed = enabled, [*changed, "enabled"]
            row.disabled_at = None if enabled else datetime.now(UTC)
            row.disabled_reason = None if enabled else "ADMIN"
            row.consecutive_failures = 0
            changed += ["disabled_at", "disabled_reason", "consecutive_failures"]
        if changed:
            await rows.save(row, uow.connection, changed)
            _audit(uow, principal, "UPDATE webhook endpoint", row, sorted(set(changed)))
    return (await _views([row]))[0]


async def delete(principal: Principal, *, endpoint_id: UUID) -> UUID:
    async with unit_of_work() as uow:
        row = await _owned(principal, endpoint_id, uow=uow)
        _audit(uow, principal, "DELETE webhook endpoint", row, [])
        await rows.delete(row, uow.connection)
    return endpoint_id


async def rotate_secret(principal: Principal, *, endpoint_id: UUID) -> WithSecret:
    secret = secrets.new_secret()
    async with unit_of_work() as uow:
        row = await _owned(principal, endpoint_id, uow=uow)
        row.secret = secrets.seal(row, secret)
        await rows.save(row, uow.connection, ["secret"])
        _audit(uow, principal, "ROTATE webhook secret", row, ["secret"])
    return WithSecret((await _views([row]))[0], secret)


async def deliveries(
    principal: Principal,
    *,
    endpoint_id: UUID,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[DeliveryView]:
    """The delivery log, newest first (ids, statuses and codes only: no patient data)."""
    row = await _owned(principal, endpoint_id)
    found = await delivery_rows.deliveries_of(
        tenant_gate.organization_of(row), endpoint_id, after, limit
    )
    attempts = await delivery_rows.attempts_of([d.id for d in found])
    return [DeliveryView(d, attempts[str(d.id)]) for d in found]


async def replay(principal: Principal, *, delivery_id: UUID) -> DeliveryView:
    """Sends a delivery again (same webhook-id, so receivers can deduplicate)."""
    async with unit_of_work() as uow:
        found = None
        for oid in _admin_orgs(principal):
            found = await delivery_rows.delivery(oid, delivery_id, uow.connection)
            if found is not None:
                break
        if found is None:
            raise NotFound("WebhookDelivery")
        if not found.endpoint.enabled:
            raise Conflict("The endpoint is disabled; enable it before replaying.")
        await delivery_rows.set_status(found, "PENDING", uow.connection)
        await queueing.delivery(
            UUID(str(found.id)), UUID(str(found.practice_id)), round_=f"replay:{uuid4().hex}"
        )
        _audit(uow, principal, "REPLAY webhook delivery", found.endpoint, [found.event_type])
    return DeliveryView(found, (await delivery_rows.attempts_of([found.id]))[str(found.id)])


__all__ = [
    "WithSecret",
    "delete",
    "deliveries",
    "listed",
    "register",
    "replay",
    "rotate_secret",
    "update",
]

"""Fan-out cursors, deliveries and their attempts.

The fan-out and the sender run as jobs, with no caller: they read by practice (the cursor's)
or by delivery id (from the job's payload, written by the fan-out itself). The admin's reads
(``deliveries_of``, ``delivery``) take the caller's ``OrganizationId`` first.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q

from db.models import (
    DomainEvent,
    PartnerClient,
    PartnerWebhookAttempt,
    PartnerWebhookCursor,
    PartnerWebhookDelivery,
    PartnerWebhookEndpoint,
    PracticeSequence,
)
from db.tenancy import OrganizationId

# --- fan-out --------------------------------------------------------------------------------


async def start_cursors(practice_ids: Collection[UUID], connection: BaseDBAsyncClient) -> None:
    """Cursors for practices that have none, at their current head: an endpoint hears of
    events from its registration on, never the history before it."""
    if not practice_ids:
        return
    heads = dict(
        await PracticeSequence.filter(practice_id__in=list(practice_ids))
        .using_db(connection)
        .values_list("practice_id", "last_sequence")
    )
    await PartnerWebhookCursor.bulk_create(
        [
            PartnerWebhookCursor(practice_id=p, last_sequence=int(heads.get(p, 0) or 0))
            for p in practice_ids
        ],
        ignore_conflicts=True,
        using_db=connection,
    )


async def behind() -> list[UUID]:
    """Practices whose committed events run past their fan-out cursor."""
    cursors = dict(await PartnerWebhookCursor.all().values_list("practice_id", "last_sequence"))
    if not cursors:
        return []
    heads = await PracticeSequence.filter(practice_id__in=list(cursors)).values_list(
        "practice_id", "last_sequence"
    )
    return sorted((UUID(str(p)) for p, head in heads if int(head) > int(cursors[p])), key=str)


async def locked_cursor(
    practice_id: UUID, connection: BaseDBAsyncClient
) -> PartnerWebhookCursor | None:
    return (
        await PartnerWebhookCursor.filter(practice_id=practice_id)
        .select_for_update()
        .using_db(connection)
        .first()
    )


async def head(practice_id: UUID, connection: BaseDBAsyncClient) -> int:
    found = (
        await PracticeSequence.filter(practice_id=practice_id)
        .using_db(connection)
        .values("last_sequence")
    )
    return int(found[0]["last_sequence"]) if found else 0


async def events_after(
    practice_id: UUID,
    after: int,
    upto: int,
    types: Sequence[str],
    limit: int,
    connection: BaseDBAsyncClient,
) -> list[DomainEvent]:
    return (
        await DomainEvent.filter(
            practice_id=practice_id, sequence__gt=after, sequence__lte=upto, type__in=list(types)
        )
        .using_db(connection)
        .order_by("sequence")
        .limit(limit)
    )


async def listening(
    organization_id: UUID, connection: BaseDBAsyncClient
) -> list[tuple[PartnerWebhookEndpoint, PartnerClient]]:
    """The organisation's endpoints (enabled or not) with their active partner clients."""
    rows = await PartnerWebhookEndpoint.filter(organization_id=organization_id).using_db(connection)
    clients = {
        str(c.id): c
        for c in await PartnerClient.filter(
            id__in=[r.partner_client_id for r in rows], is_active=True
        ).using_db(connection)
    }
    return [
        (r, clients[str(r.partner_client_id)]) for r in rows if str(r.partner_client_id) in clients
    ]


async def add_deliveries(
    rows: list[PartnerWebhookDelivery], connection: BaseDBAsyncClient
) -> list[PartnerWebhookDelivery]:
    """Inserts the rows not there yet (unique endpoint+event); returns those now stored."""
    if not rows:
        return []
    await PartnerWebhookDelivery.bulk_create(rows, ignore_conflicts=True, using_db=connection)
    pairs = {(str(r.endpoint_id), str(r.event_id)) for r in rows}
    found = await PartnerWebhookDelivery.filter(
        endpoint_id__in=list({r.endpoint_id for r in rows}),
        event_id__in=list({r.event_id for r in rows}),
    ).using_db(connection)
    return [d for d in found if (str(d.endpoint_id), str(d.event_id)) in pairs]


async def advance(cursor: PartnerWebhookCursor, to: int, connection: BaseDBAsyncClient) -> None:
    cursor.last_sequence = to
    await cursor.save(using_db=connection, update_fields=["last_sequence"])


# --- sending --------------------------------------------------------------------------------


async def for_sending(
    delivery_id: UUID, connection: BaseDBAsyncClient | None = None
) -> tuple[PartnerWebhookDelivery, PartnerWebhookEndpoint, PartnerClient, DomainEvent] | None:
    """A delivery with its endpoint, partner client and event (None if any is gone)."""
    query = PartnerWebhookDelivery.filter(id=delivery_id).select_related("endpoint")
    delivery = await (query.using_db(connection) if connection else query).first()
    if delivery is None:
        return None
    endpoint: PartnerWebhookEndpoint = delivery.endpoint
    client = await PartnerClient.get_or_none(id=endpoint.partner_client_id, using_db=connection)
    event = await DomainEvent.get_or_none(id=delivery.event_id, using_db=connection)
    if client is None or event is None:
        return None
    return delivery, endpoint, client, event


async def record_attempt(
    delivery: PartnerWebhookDelivery,
    attempt: PartnerWebhookAttempt,
    connection: BaseDBAsyncClient,
) -> None:
    await attempt.save(using_db=connection, force_create=True)
    await delivery.save(
        using_db=connection,
        update_fields=["status", "attempts", "last_status_code", "delivered_at", "updated_at"],
    )


async def set_status(
    delivery: PartnerWebhookDelivery, status: str, connection: BaseDBAsyncClient
) -> None:
    delivery.status = status
    await delivery.save(using_db=connection, update_fields=["status", "updated_at"])


async def endpoint_succeeded(endpoint_id: Any, connection: BaseDBAsyncClient) -> None:
    await (
        PartnerWebhookEndpoint.filter(id=endpoint_id, consecutive_failures__gt=0)
        .using_db(connection)
        .update(consecutive_failures=0)
    )


async def endpoint_failed(endpoint_id: Any, connection: BaseDBAsyncClient) -> int:
    """Counts one more consecutive failure; returns the new count."""
    await (
        PartnerWebhookEndpoint.filter(id=endpoint_id)
        .using_db(connection)
        .update(consecutive_failures=F("consecutive_failures") + 1)
    )
    found = (
        await PartnerWebhookEndpoint.filter(id=endpoint_id)
        .using_db(connection)
        .values("consecutive_failures")
    )
    return int(found[0]["consecutive_failures"]) if found else 0


async def disable(
    endpoint_id: Any, reason: str, at: datetime, connection: BaseDBAsyncClient
) -> bool:
    """Disables the endpoint if still enabled; True if this call did (one notification)."""
    changed = (
        await PartnerWebhookEndpoint.filter(id=endpoint_id, enabled=True)
        .using_db(connection)
        .update(enabled=False, disabled_at=at, disabled_reason=reason, updated_at=at)
    )
    return bool(changed)


# --- the admin's view -----------------------------------------------------------------------


async def deliveries_of(
    organization_id: OrganizationId,
    endpoint_id: UUID,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[PartnerWebhookDelivery]:
    query = PartnerWebhookDelivery.filter(
        endpoint_id=endpoint_id, endpoint__organization_id=organization_id
    )
    if after is not None:
        at, last = after
        query = query.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last))
    return await query.order_by("-created_at", "-id").limit(limit)


async def attempts_of(delivery_ids: Collection[Any]) -> dict[str, list[PartnerWebhookAttempt]]:
    found: dict[str, list[PartnerWebhookAttempt]] = {str(d): [] for d in delivery_ids}
    rows = await PartnerWebhookAttempt.filter(delivery_id__in=list(delivery_ids)).order_by(
        "attempt", "created_at"
    )
    for row in rows:
        found[str(row.delivery_id)].append(row)
    return found


async def delivery(
    organization_id: OrganizationId, delivery_id: UUID, connection: BaseDBAsyncClient
) -> PartnerWebhookDelivery | None:
    return (
        await PartnerWebhookDelivery.filter(
            id=delivery_id, endpoint__organization_id=organization_id
        )
        .select_related("endpoint")
        .using_db(connection)
        .first()
    )


async def with_cursors(practice_ids: Collection[UUID]) -> set[UUID]:
    """Those of the practices that have webhook endpoints listening (a fan-out cursor)."""
    found = await PartnerWebhookCursor.filter(practice_id__in=list(practice_ids)).values_list(
        "practice_id", flat=True
    )
    return {UUID(str(p)) for p in found}

"""Partner webhook endpoints: registration, changes, the delivery log and replays
(organisation admins, ``webhook:admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.webhooks import (
    DeleteWebhookEndpointInput,
    DeleteWebhookEndpointPayload,
    RegisterWebhookEndpointInput,
    RegisterWebhookEndpointPayload,
    ReplayWebhookDeliveryInput,
    ReplayWebhookDeliveryPayload,
    RotateWebhookSecretInput,
    RotateWebhookSecretPayload,
    UpdateWebhookEndpointInput,
    UpdateWebhookEndpointPayload,
    WebhookDelivery,
    WebhookEndpoint,
)
from services.policy import Scope
from services.webhooks import endpoints

ADMIN = requires(Scope.WEBHOOK_ADMIN)


def _endpoint(view: endpoints.View) -> WebhookEndpoint:
    return WebhookEndpoint.from_model(view.endpoint, view.client_id)


def _delivery(view: endpoints.DeliveryView) -> WebhookDelivery:
    return WebhookDelivery.from_model(view.delivery, view.attempts)


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="The organisation's partner webhook endpoints, oldest first.",
        extensions=ADMIN,
    )
    async def webhook_endpoints(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID, strawberry.argument(description="The organisation.")
        ],
    ) -> list[WebhookEndpoint] | None:
        views = await endpoints.listed(
            info.context.principal, organization_id=id_argument(organization_id=organization_id)
        )
        return [_endpoint(v) for v in views]

    @strawberry.field(
        description="An endpoint's delivery log, newest first, with every attempt.",
        extensions=ADMIN,
    )
    async def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint.")],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WebhookDelivery] | None:
        size = page_size(first)
        views = await endpoints.deliveries(
            info.context.principal,
            endpoint_id=id_argument(endpoint_id=endpoint_id),
            after=after_key(after, datetime, UUID),
            limit=size + 1,
        )
        return Connection[WebhookDelivery].build(
            views[:size],
            _delivery,
            lambda v: [v.delivery.created_at.isoformat(), str(v.delivery.id)],
            has_next=len(views) > size,
        )


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Register a partner app's webhook endpoint; its signing secret is shown "
        "once. The URL is refused unless https and every address it resolves to is public.",
        extensions=ADMIN,
    )
    async def register_webhook_endpoint(
        self, info: Info, input: RegisterWebhookEndpointInput
    ) -> RegisterWebhookEndpointPayload | None:
        made = await endpoints.register(
            info.context.principal,
            organization_id=input.ids.organization_id,
            client_id=input.partner_client_id,
            url=input.url,
            event_types=[t.value for t in input.event_types],
        )
        return RegisterWebhookEndpointPayload(endpoint=_endpoint(made.view), secret=made.secret)

    @strawberry.mutation(
        description="Change an endpoint's URL, events, or pause / re-enable it.",
        extensions=ADMIN,
    )
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> UpdateWebhookEndpointPayload | None:
        view = await endpoints.update(
            info.context.principal,
            endpoint_id=input.ids.endpoint_id,
            url=input.url,
            event_types=None if input.event_types is None else [t.value for t in input.event_types],
            enabled=input.enabled,
        )
        return UpdateWebhookEndpointPayload(endpoint=_endpoint(view))

    @strawberry.mutation(description="Remove an endpoint and its delivery log.", extensions=ADMIN)
    async def delete_webhook_endpoint(
        self, info: Info, input: DeleteWebhookEndpointInput
    ) -> DeleteWebhookEndpointPayload | None:
        gone = await endpoints.delete(info.context.principal, endpoint_id=input.ids.endpoint_id)
        return DeleteWebhookEndpointPayload.from_id(gone)

    @strawberry.mutation(
        description="Replace an endpoint's signing secret (shown once; the old one stops).",
        extensions=ADMIN,
    )
    async def rotate_webhook_secret(
        self, info: Info, input: RotateWebhookSecretInput
    ) -> RotateWebhookSecretPayload | None:
        made = await endpoints.rotate_secret(
            info.context.principal, endpoint_id=input.ids.endpoint_id
        )
        return RotateWebhookSecretPayload(endpoint=_endpoint(made.view), secret=made.secret)

    @strawberry.mutation(
        description="Send a delivery again (same webhook-id, so receivers can deduplicate).",
        extensions=ADMIN,
    )
    async def replay_webhook_delivery(
        self, info: Info, input: ReplayWebhookDeliveryInput
    ) -> ReplayWebhookDeliveryPayload | None:
        view = await endpoints.replay(info.context.principal, delivery_id=input.ids.delivery_id)
        return ReplayWebhookDeliveryPayload(delivery=_delivery(view))

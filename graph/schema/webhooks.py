"""Partner webhook endpoints, their deliveries and attempts (no patient data: ids and codes)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from db.models import PartnerWebhookAttempt, PartnerWebhookDelivery, PartnerWebhookEndpoint
from graph.ids import IdFields
from services.webhooks.events import WebhookEvent

strawberry.enum(
    WebhookEvent,
    name="WebhookEventType",
    description="What a partner can be told of (sent as the body's `type`, e.g. "
    "`appointment.booked`): APPOINTMENT_BOOKED/CHANGED/CANCELLED need schedule:read, "
    "PATIENT_CREATED/UPDATED and CONSENT_CHANGED patient:read, PAYMENT_RECEIVED billing:read.",
)


@strawberry.enum(
    description="PENDING (queued or being retried), DELIVERED (a 2xx answer), FAILED (a 4xx or "
    "redirect answer, or retries exhausted), WITHHELD (not sent: the partner may not see this "
    "patient, or lacks the scope), DISABLED (not sent: the endpoint was disabled)."
)
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    WITHHELD = "WITHHELD"
    DISABLED = "DISABLED"


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="A URL a partner app receives signed event notifications at.")
class WebhookEndpoint:
    id: strawberry.ID
    organization_id: strawberry.ID = strawberry.field(description="The organisation.")
    partner_client_id: str = strawberry.field(description="The partner app's OAuth client id.")
    url: str = strawberry.field(description="Where events are POSTed (https).")
    event_types: list[WebhookEvent] = strawberry.field(description="The events sent to it.")
    enabled: bool = strawberry.field(description="False: nothing is sent (see disabledReason).")
    consecutive_failures: int = strawberry.field(
        description="Failed attempts since the last success; the endpoint is disabled at the "
        "configured limit."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str | None = strawberry.field(
        description="FAILURES (too many failed attempts) or ADMIN; null while enabled."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_model(cls, row: PartnerWebhookEndpoint, client_id: str) -> WebhookEndpoint:
        return cls(
            id=_id(row.id),
            organization_id=_id(row.organization_id),
            partner_client_id=client_id,
            url=row.url,
            event_types=[WebhookEvent(t) for t in row.event_types],
            enabled=row.enabled,
            consecutive_failures=row.consecutive_failures,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
        )


@strawberry.type(description="One HTTP attempt of a delivery.")
class WebhookAttempt:
    attempt: int = strawberry.field(description="1 for the first attempt.")
    outcome: str = strawberry.field(
        description="OK, HTTP_RETRY (5xx/408/429), HTTP_ERROR (other 4xx), REDIRECT (not "
        "followed), TIMEOUT, CONNECTION or REFUSED_TARGET (the address is not allowed now)."
    )
    status_code: int | None = strawberry.field(description="The HTTP status, if any answer.")
    duration_ms: int = strawberry.field(description="How long the attempt took.")
    response_excerpt: str | None = strawberry.field(
        description="The first 512 bytes of the receiver's answer."
    )
    at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_model(cls, row: PartnerWebhookAttempt) -> WebhookAttempt:
        return cls(
            attempt=row.attempt,
            outcome=row.outcome,
            status_code=row.status_code,
            duration_ms=row.duration_ms,
            response_excerpt=row.response_excerpt,
            at=row.created_at,
        )


@strawberry.type(description="One event for one endpoint, and every attempt to send it.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Also the `webhook-id` header (msg_…).")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    event_id: strawberry.ID = strawberry.field(description="The domain event delivered.")
    event_type: WebhookEvent = strawberry.field(description="What happened.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="HTTP attempts so far.")
    last_status_code: int | None = strawberry.field(description="The last HTTP status.")
    delivered_at: datetime | None = strawberry.field(description="When a 2xx came back.")
    created_at: datetime = strawberry.field(description="When the event was fanned out.")
    attempt_log: list[WebhookAttempt] = strawberry.field(description="Attempts, oldest first.")

    @classmethod
    def from_model(
        cls, row: PartnerWebhookDelivery, attempts: list[PartnerWebhookAttempt]
    ) -> WebhookDelivery:
        return cls(
            id=_id(row.id),
            endpoint_id=_id(row.endpoint_id),
            event_id=_id(row.event_id),
            event_type=WebhookEvent(row.event_type),
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
            attempt_log=[WebhookAttempt.from_model(a) for a in attempts],
        )


@strawberry.input(description="Register an endpoint for one of the organisation's partner apps.")
class RegisterWebhookEndpointInput(IdFields):
    organization_id: strawberry.ID = strawberry.field(description="The organisation.")
    partner_client_id: str = strawberry.field(description="The partner app's OAuth client id.")
    url: str = strawberry.field(
        description="An https URL whose host resolves only to public addresses."
    )
    event_types: list[WebhookEvent] = strawberry.field(
        description="The events to send (each needs a scope the partner app was granted)."
    )


@strawberry.type(description="The new endpoint and its signing secret.")
class RegisterWebhookEndpointPayload:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The signing secret (whsec_…), shown this once: give it to the partner."
    )


@strawberry.input(description="Change an endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput(IdFields):
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description="A new https URL.")
    event_types: list[WebhookEvent] | None = strawberry.field(
        default=None, description="The new set of events."
    )
    enabled: bool | None = strawberry.field(
        default=None, description="False pauses it; true re-enables it and clears the failures."
    )


@strawberry.type(description="The changed endpoint.")
class UpdateWebhookEndpointPayload:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")


@strawberry.input(description="Remove an endpoint and its delivery log.")
class DeleteWebhookEndpointInput(IdFields):
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.type(description="The removed endpoint's id.")
class DeleteWebhookEndpointPayload:
    deleted_endpoint_id: strawberry.ID = strawberry.field(description="The endpoint removed.")

    @classmethod
    def from_id(cls, endpoint_id: object) -> DeleteWebhookEndpointPayload:
        return cls(deleted_endpoint_id=_id(endpoint_id))


@strawberry.input(description="Replace an endpoint's signing secret.")
class RotateWebhookSecretInput(IdFields):
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.type(description="The endpoint and its new signing secret.")
class RotateWebhookSecretPayload:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The new secret (whsec_…), shown this once; the old one stops at once."
    )


@strawberry.input(description="Send a delivery again.")
class ReplayWebhookDeliveryInput(IdFields):
    delivery_id: strawberry.ID = strawberry.field(description="The delivery.")


@strawberry.type(description="The delivery, queued again.")
class ReplayWebhookDeliveryPayload:
    delivery: WebhookDelivery = strawberry.field(description="The delivery (PENDING).")

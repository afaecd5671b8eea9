"""OUTBOUND partner webhooks: endpoints, one delivery per (endpoint, event), their attempts.

Not to be confused with ``db.models.billing_webhooks`` (INBOUND deliveries from Stripe).

- ``PartnerWebhookEndpoint``: a URL a partner client (``PartnerClient``) registered through an
  organisation admin, the event types it wants and its signing secret (``whsec_…``, stored
  encrypted: ``services.webhooks.secrets``).
- ``PartnerWebhookDelivery``: one row per endpoint per domain event, unique on the pair, so a
  fan-out that runs twice (a crash, two workers) creates nothing twice.
- ``PartnerWebhookAttempt``: every HTTP attempt of a delivery (status, duration, truncated
  response): the delivery log.
- ``PartnerWebhookCursor``: per practice, the last event sequence fanned out (``db.outbox``
  numbers events gap-free per practice and commits them in order under a row lock).
"""

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model

from db.models.base import Entity
from db.models.credentials import PartnerClient
from db.models.organizations import Organization


class PartnerWebhookEndpoint(Entity):
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    organization_id: str
    partner_client: fields.ForeignKeyRelation[PartnerClient] = fields.ForeignKeyField(
        "models.PartnerClient", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    partner_client_id: str
    url = fields.CharField(max_length=2000)
    event_types: list[str] = fields.JSONField(default=list)
    secret = fields.TextField()  # encrypted whsec_… (services.webhooks.secrets)
    enabled = fields.BooleanField(default=True)
    consecutive_failures = fields.IntField(default=0)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=32, null=True)  # FAILURES, ADMIN
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "url": "a partner's receiving URL, configuration rather than patient data",
        "event_types": "fixed event type codes from a closed list",
        "disabled_reason": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "partner_webhook_endpoint"


class PartnerWebhookDelivery(Entity):
    endpoint: fields.ForeignKeyRelation[PartnerWebhookEndpoint] = fields.ForeignKeyField(
        "models.PartnerWebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: str
    event_id = fields.UUIDField()  # the DomainEvent delivered
    practice_id = fields.UUIDField()
    sequence = fields.BigIntField()
    event_type = fields.CharField(max_length=40)  # the webhook's type (appointment.booked …)
    # PENDING, DELIVERED, FAILED (4xx/redirect, or retries exhausted), WITHHELD (the partner may
    # not see the patient or lacks the scope: nothing was sent), DISABLED (endpoint disabled)
    status = fields.CharField(max_length=16, default="PENDING")
    attempts = fields.IntField(default=0)
    last_status_code = fields.IntField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "event_type": "a fixed code from a closed list, not free text",
        "status": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "partner_webhook_delivery"
        unique_together = (("endpoint_id", "event_id"),)
        indexes = (("endpoint_id", "created_at"),)


class PartnerWebhookAttempt(Entity):
    delivery: fields.ForeignKeyRelation[PartnerWebhookDelivery] = fields.ForeignKeyField(
        "models.PartnerWebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    delivery_id: str
    attempt = fields.IntField()
    status_code = fields.IntField(null=True)
    duration_ms = fields.IntField()
    # TIMEOUT, CONNECTION, REFUSED_TARGET, REDIRECT, HTTP_4XX, HTTP_5XX, OK
    outcome = fields.CharField(max_length=16)
    response_excerpt = fields.CharField(max_length=512, null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "outcome": "a fixed code from a closed list, not free text",
        "response_excerpt": "the first bytes of the partner's own reply; we send it no secrets",
    }

    class Meta:
        table = "partner_webhook_attempt"


class PartnerWebhookCursor(Model):
    practice_id = fields.UUIDField(primary_key=True)
    last_sequence = fields.BigIntField(default=0)

    class Meta:
        table = "partner_webhook_cursor"

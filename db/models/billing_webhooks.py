"""Every delivery a payment processor made to ``/webhooks/<provider>``, accepted or refused.

``event_id`` is set only on the delivery that was verified and acted on (unique per provider,
so a replayed or duplicated event finds it and changes nothing); refused, duplicate and failed
deliveries are rows of their own with ``event_id`` empty and the id the body claimed (if any) in
``claimed_event_id``: a forged body can never reserve a real event's id.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity


class WebhookDelivery(Entity):
    provider = fields.CharField(max_length=16)  # STRIPE
    event_id = fields.CharField(max_length=255, null=True)  # the verified event acted on
    claimed_event_id = fields.CharField(max_length=255, null=True)  # what the body said
    type = fields.CharField(max_length=64, null=True)
    received_at = fields.DatetimeField()
    # PROCESSED, IGNORED, DUPLICATE, REFUSED_SIGNATURE, REFUSED_STALE, REFUSED_TYPE,
    # REFUSED_MALFORMED, REFUSED_TOO_LARGE, FAILED
    outcome = fields.CharField(max_length=24)
    error = fields.CharField(max_length=255, null=True)
    payment_id = fields.UUIDField(null=True)  # the payment it changed, if any
    body_bytes = fields.IntField(default=0)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "provider": "a fixed code from a closed list, not free text",
        "event_id": "the processor's opaque event id",
        "claimed_event_id": "the processor's opaque event id as the body claimed it",
        "type": "the processor's event type name (payment_intent.succeeded), not patient data",
        "outcome": "a fixed code from a closed list, not free text",
        "error": "a fixed message written by this server, never the delivered body",
    }

    class Meta:
        table = "webhook_delivery"
        unique_together = (("provider", "event_id"),)
        indexes = (("received_at",), ("claimed_event_id",))
        ordering = ["received_at"]

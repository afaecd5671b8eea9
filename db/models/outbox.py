"""Transactional outbox: domain events written in the same transaction as the change.

``sequence`` is gap-free and strictly increasing per practice (allocated from
``PracticeSequence`` under a row lock), which lets subscribers resume with ``since``.
``previous_sequence`` links each event to the previous one of its stream (``db.outbox``), so a
subscriber of one stream can tell the other streams' numbers from lost events.
"""

from typing import ClassVar

from tortoise import fields
from tortoise.models import Model


class DomainEvent(Model):
    id = fields.UUIDField(primary_key=True)
    organization_id = fields.UUIDField()
    practice_id = fields.UUIDField()
    sequence = fields.BigIntField()
    topic = fields.CharField(max_length=40)
    type = fields.CharField(max_length=64)
    patient_id = fields.UUIDField(null=True)
    entity_id = fields.UUIDField(null=True)
    payload: dict[str, object] = fields.JSONField(default=dict)
    # The sequence of the previous event of this event's stream (0: the first); null for
    # events recorded before streams were tracked (migration 0008).
    previous_sequence = fields.BigIntField(null=True)
    occurred_at = fields.DatetimeField()
    published_at = fields.DatetimeField(null=True, db_index=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "topic": "a fixed code from a closed list, not free text",
        "type": "a fixed code from a closed list, not free text",
        "payload": "ids, times and statuses only (thin envelope; no patient data)",
    }

    class Meta:
        table = "domain_event"
        unique_together = (("practice_id", "sequence"),)
        indexes = (("practice_id", "patient_id", "sequence"),)  # a patient's stream head


class PracticeSequence(Model):
    practice_id = fields.UUIDField(primary_key=True)
    last_sequence = fields.BigIntField(default=0)
    # Latest sequence of each practice-wide stream (topic -> sequence), kept on the row the
    # allocation already locks and updates: linking events to their stream costs no statement.
    stream_heads: dict[str, int] = fields.JSONField(default=dict)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "stream_heads": "topic names and sequence numbers only, no patient data",
    }

    class Meta:
        table = "practice_sequence"


class RelayLease(Model):
    """Which worker's outbox relay publishes (``realtime.lease``, PostgreSQL bus): one row per
    lease, taken by whoever finds it expired and renewed by its holder."""

    name = fields.CharField(max_length=40, primary_key=True)
    holder = fields.CharField(max_length=200, default="")
    expires_at = fields.DatetimeField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "the lease's fixed name, no personal data",
        "holder": "a host name and process id, no personal data",
    }

    class Meta:
        table = "relay_lease"

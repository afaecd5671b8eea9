"""The append-only, hash-chained audit log.

Rows are chained per organization (``seq`` gap-free, ``hash`` covers the previous hash), so an
edit, deletion, reorder or truncation breaks verification. ``AuditHead`` is the chain's tip:
locked while appending so concurrent writers stay linear.
"""

from tortoise import fields
from tortoise.models import Model

SYSTEM_CHAIN = "system"


class AuditEvent(Model):
    id = fields.UUIDField(primary_key=True)
    chain = fields.CharField(max_length=40)  # organization id, or SYSTEM_CHAIN
    seq = fields.BigIntField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    occurred_at = fields.DatetimeField()
    actor_user_id = fields.UUIDField(null=True)
    actor_role = fields.CharField(max_length=32, null=True)
    client_id = fields.CharField(max_length=64, null=True)
    practice_id = fields.UUIDField(null=True)
    action = fields.CharField(max_length=64)
    entity_type = fields.CharField(max_length=64, null=True)
    entity_id = fields.CharField(max_length=64, null=True)
    patient_id = fields.UUIDField(null=True, db_index=True)
    fields_read: list[str] = fields.JSONField(default=list)
    outcome = fields.CharField(max_length=16)
    request_id = fields.CharField(max_length=64, null=True)
    ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "audit_event"
        unique_together = (("chain", "seq"),)
        ordering = ["chain", "seq"]


class AuditHead(Model):
    chain = fields.CharField(max_length=40, primary_key=True)
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_head"

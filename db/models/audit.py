"""The append-only, hash-chained audit log.

Rows are chained per organization (``seq`` gap-free, ``hash`` covers the previous hash), so an
edit, deletion, reorder or truncation breaks verification. ``AuditHead`` is the chain's tip:
locked while appending so concurrent writers stay linear.
"""

from typing import ClassVar
from uuid import UUID

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

    plaintext_columns: ClassVar[dict[str, str]] = {
        "chain": "organization id of the hash chain",
        "prev_hash": "a one-way hash; reveals nothing",
        "hash": "a one-way hash; reveals nothing",
        "actor_role": "a fixed code from a closed list, not free text",
        "client_id": "partner client id, not personal data",
        "action": "action name written by the code, never values",
        "entity_type": "model name written by the code",
        "entity_id": "the id of the row acted on",
        "fields_read": (
            "field names only, never patient data (a practice's billing settings change adds "
            "each setting's old and new code or amount: practice configuration)"
        ),
        "outcome": "a fixed code from a closed list, not free text",
        "request_id": "random request id",
        "ip": (
            "client address kept as security evidence (audit log, UK GDPR Art. 32); must stay "
            "verifiable by the hash chain"
        ),
        "user_agent": (
            "client software string kept as security evidence; must stay verifiable by the hash "
            "chain"
        ),
    }

    class Meta:
        table = "audit_event"
        unique_together = (("chain", "seq"),)
        ordering = ["chain", "seq"]


class AuditHead(Model):
    chain = fields.CharField(max_length=40, primary_key=True)
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "chain": "organization id of the hash chain",
        "hash": "a one-way hash; reveals nothing",
    }

    class Meta:
        table = "audit_head"


class AuditReadPatient(Model):
    """A patient a read showed, linked to that read's one audit row.

    A board read shows hundreds of patients; writing an audit row for each cost two thirds of
    the board's CPU. The read is one row and its patients are rows here, so each patient's
    access log, export and breach report still name it. The audit row's hash covers its sorted
    patient ids (``db.audit_chain``): a link added, removed or changed breaks the chain like an
    edited row. Append-only on PostgreSQL, like the audit log. No foreign-key check per link
    (migration 0042 says why): a link is written with its row, and the hash guards both.
    """

    id = fields.BigIntField(primary_key=True)
    audit: fields.ForeignKeyRelation[AuditEvent] = fields.ForeignKeyField(
        "models.AuditEvent",
        related_name="read_patients",
        on_delete=fields.RESTRICT,
        db_constraint=False,
    )
    audit_id: UUID
    patient_id = fields.UUIDField()

    class Meta:
        table = "audit_read_patient"
        # By audit row (verification, breach reports); by patient (access log, export).
        unique_together = (("audit_id", "patient_id"),)
        indexes = (("patient_id", "audit_id"),)

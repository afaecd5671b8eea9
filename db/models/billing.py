"""Invoices, payments and the practice's financial ledger.

Money columns are integer minor units (``*_minor``) with the currency beside them. An invoice is
DRAFT until issued; issuing gives it the practice's next number (gap-free: the counter row is
taken in the issuing transaction) and freezes it: from then on it changes only by payments
allocated to it and by a credit note, never by edit or delete. Every issued invoice, credit note,
payment and refund is also an entry in the practice's hash-chained ledger (``LedgerEntry``).
"""

from typing import Any, ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class InvoiceSequence(Entity):
    """The practice's last issued invoice number, locked by the issuing transaction."""

    practice: fields.OneToOneRelation[Practice] = fields.OneToOneField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    prefix = fields.CharField(max_length=12)  # e.g. "HSD-"
    last_number = fields.BigIntField(default=0)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "prefix": "the practice's invoice number prefix, printed on every invoice",
    }

    class Meta:
        table = "invoice_sequence"


class Invoice(Entity):
    """An invoice (kind INVOICE) or a credit note (kind CREDIT_NOTE, crediting ``credits``)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    kind = fields.CharField(max_length=16, default="INVOICE")
    status = fields.CharField(max_length=16, default="DRAFT")
    number = fields.CharField(max_length=32, null=True)  # set at issue
    sequence_number = fields.BigIntField(null=True)
    credits_invoice_id = fields.UUIDField(null=True)  # a credit note's invoice
    appointment_id = fields.UUIDField(null=True)
    practitioner_id = fields.UUIDField(null=True)
    currency = fields.CharField(max_length=3, default="GBP")
    net_minor = fields.BigIntField(default=0)
    vat_minor = fields.BigIntField(default=0)
    total_minor = fields.BigIntField(default=0)
    paid_minor = fields.BigIntField(default=0)  # allocated payments less refunds
    credited_minor = fields.BigIntField(default=0)  # issued credit notes against it
    tax_point = fields.DateField(null=True)
    due_on = fields.DateField(null=True)
    issued_at = fields.DatetimeField(null=True)
    issued_by_user_id = fields.UUIDField(null=True)
    voided_at = fields.DatetimeField(null=True)  # set when a credit note cancels it in full
    notes = fields.TextField(null=True)  # ciphertext
    created_by_user_id = fields.UUIDField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "status": "a fixed code from a closed list, not free text",
        "number": "the invoice number printed on it (prefix and sequence), not patient data",
        "currency": "an ISO 4217 code",
    }

    class Meta:
        table = "invoice"
        unique_together = (("practice_id", "sequence_number"),)
        indexes = (
            ("patient_id", "created_at"),
            ("practice_id", "status", "issued_at"),
            ("practice_id", "issued_at"),  # reports: issued in a range, whatever the status
        )
        ordering = ["practice_id", "created_at"]


class InvoiceLine(Entity):
    """One billed item: what (procedure code, tooth, treatment), how many, net, VAT, total."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="lines", on_delete=fields.RESTRICT
    )
    invoice_id: str
    position = fields.IntField(default=0)
    source = fields.CharField(
        max_length=24
    )  # PLAN_ITEM, INJECTABLE_TREATMENT, PRODUCT, MANUAL, NHS_COURSE
    source_id = fields.UUIDField(null=True)  # the plan item / treatment / course billed
    code = fields.CharField(max_length=32, null=True)  # catalogue procedure code
    tooth = fields.SmallIntField(null=True)  # FDI
    description = fields.TextField()  # ciphertext (may name the patient's treatment)
    quantity = fields.IntField(default=1)
    unit_minor = fields.BigIntField()
    net_minor = fields.BigIntField()
    vat_category = fields.CharField(max_length=12)
    vat_rate_basis_points = fields.IntField(default=0)
    vat_minor = fields.BigIntField(default=0)
    total_minor = fields.BigIntField()
    # The day the work was done or the product sold (lines raised from uninvoiced work): a
    # membership's yearly allowance counts covered lines by it, not by when they were billed.
    service_on = fields.DateField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "source": "a fixed code from a closed list, not free text",
        "code": "a catalogue procedure code, the same for every patient",
        "vat_category": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "invoice_line"
        indexes = (("invoice_id", "position"), ("source_id",))
        ordering = ["invoice_id", "position"]


class Payment(Entity):
    """Money received from (or, for kind REFUND, returned to) a patient."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    kind = fields.CharField(max_length=16, default="PAYMENT")  # PAYMENT, REFUND, DEPOSIT
    method = fields.CharField(max_length=16)  # CASH, CARD, BANK_TRANSFER, MEMBERSHIP_PLAN
    status = fields.CharField(max_length=16, default="SUCCEEDED")  # PENDING, SUCCEEDED, FAILED
    currency = fields.CharField(max_length=3, default="GBP")
    amount_minor = fields.BigIntField()  # always positive; kind says which way
    unallocated_minor = fields.BigIntField(default=0)  # credit on account
    refunds_payment_id = fields.UUIDField(null=True)  # a refund's original payment
    appointment_id = fields.UUIDField(null=True)  # a deposit's booking
    # The invoice a processor payment was started for: allocated to it when the processor says
    # the payment succeeded (cash and bank payments are allocated at once instead).
    invoice_id = fields.UUIDField(null=True)
    deposit_state = fields.CharField(max_length=16, null=True)  # HELD, APPLIED, FORFEITED, REFUNDED
    deposit_settled_at = fields.DatetimeField(null=True)  # when it left HELD
    processor = fields.CharField(max_length=16, null=True)  # STRIPE
    processor_reference = fields.CharField(max_length=64, null=True)  # pi_..., re_...
    card_brand = fields.CharField(max_length=16, null=True)
    card_last4 = fields.CharField(max_length=4, null=True)
    reason = fields.TextField(null=True)  # ciphertext (refund reason)
    approved_by_user_id = fields.UUIDField(null=True)
    practitioner_id = fields.UUIDField(null=True)  # for takings by practitioner
    taken_by_user_id = fields.UUIDField(null=True)
    received_at = fields.DatetimeField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "method": "a fixed code from a closed list, not free text",
        "status": "a fixed code from a closed list, not free text",
        "currency": "an ISO 4217 code",
        "deposit_state": "a fixed code from a closed list, not free text",
        "processor": "a fixed code from a closed list, not free text",
        "processor_reference": "the processor's opaque id (never a card number)",
        "card_brand": "a card scheme name (VISA), not identifying",
        "card_last4": "the last four digits, as printed on receipts (PCI DSS allows it)",
    }

    class Meta:
        table = "payment"
        unique_together = (("processor", "processor_reference"),)
        indexes = (
            ("patient_id", "received_at"),
            ("practice_id", "received_at"),
            ("practice_id", "kind", "received_at"),  # reports: deposits held at a day's end
            ("practice_id", "deposit_settled_at"),  # reports: deposits leaving the hold
        )
        ordering = ["practice_id", "received_at"]


class PaymentAllocation(Entity):
    """The part of a payment (or credit note) that settles part of an invoice."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="allocations", on_delete=fields.RESTRICT
    )
    payment_id: str
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="allocations", on_delete=fields.RESTRICT
    )
    invoice_id: str
    amount_minor = fields.BigIntField()
    allocated_at = fields.DatetimeField()
    allocated_by_user_id = fields.UUIDField(null=True)

    class Meta:
        table = "payment_allocation"
        indexes = (("invoice_id",), ("payment_id",))


class LedgerHead(Entity):
    """The newest entry of a practice's financial ledger chain (locked while appending)."""

    practice: fields.OneToOneRelation[Practice] = fields.OneToOneField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64)

    plaintext_columns: ClassVar[dict[str, str]] = {"hash": "a SHA-256, not readable data"}

    class Meta:
        table = "ledger_head"


class LedgerEntry(Entity):
    """One link of the practice's financial chain: what was issued or paid, frozen and hashed."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    seq = fields.BigIntField()
    kind = fields.CharField(max_length=24)  # INVOICE_ISSUED, CREDIT_NOTE, PAYMENT, REFUND, ...
    entity_id = fields.UUIDField()
    content: dict[str, Any] = fields.JSONField()  # the frozen fields the hash covers
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    occurred_at = fields.DatetimeField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "content": "ids, amounts, numbers and dates of a financial record, no free text",
        "prev_hash": "a SHA-256, not readable data",
        "hash": "a SHA-256, not readable data",
    }

    class Meta:
        table = "ledger_entry"
        unique_together = (("practice_id", "seq"),)
        indexes = (("entity_id",),)
        ordering = ["practice_id", "seq"]

"""Insurance and payment arrangements of a patient (one current arrangement per patient).

Card numbers are never stored: only a payment processor's token, itself encrypted.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class PatientInsurance(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="insurance", on_delete=fields.CASCADE, unique=True
    )
    patient_id: str
    provider = fields.CharField(max_length=120)
    plan = fields.CharField(max_length=120, null=True)
    plan_type = fields.CharField(max_length=24, default="PRIVATE_INSURANCE")
    policy_number = fields.TextField(null=True)  # ciphertext
    payment_token = fields.TextField(null=True)  # ciphertext of the processor's token
    valid_until = fields.DateField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "provider": "insurer name, from a short list (statistics and billing)",
        "plan": "plan name as the insurer sells it, not personal",
        "plan_type": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "patient_insurance"

"""What a practice charges: dated private fee schedules, NHS England courses of treatment and
membership (capitation) plans.

Money columns are integer minor units (``*_minor``) with the currency beside them; UDAs are
integer hundredths (1.2 UDAs = 120). A fee schedule is valid for a closed range of days and the
schedules of one practice never overlap, so "the fee on that day" has exactly one answer. An NHS
course's band, patient charge and UDAs are frozen when it is completed, from the NHS table in
force on the day it was opened (services/billing/nhs_bands.py).
"""

from typing import Any, ClassVar

from orjson import loads
from tortoise import fields
from tortoise.fields.data import JSON_DUMPS

from db.models.aesthetic_stock import Product
from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class FeeSchedule(Entity):
    """A practice's private price list for a range of days (``valid_to`` inclusive, open-ended
    while null)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    name = fields.CharField(max_length=120)
    currency = fields.CharField(max_length=3, default="GBP")
    valid_from = fields.DateField()
    valid_to = fields.DateField(null=True)
    created_by_user_id = fields.UUIDField(null=True)
    closed_by_user_id = fields.UUIDField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "the name of a practice's price list, not patient data",
        "currency": "an ISO 4217 code",
    }

    class Meta:
        table = "fee_schedule"
        indexes = (("practice_id", "valid_from"),)
        ordering = ["practice_id", "valid_from"]


class ScheduleFee(Entity):
    """One private fee of a schedule: a catalogue procedure (by code) or a unit (unit / ml) of an
    aesthetic product, with its VAT category."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    schedule: fields.ForeignKeyRelation[FeeSchedule] = fields.ForeignKeyField(
        "models.FeeSchedule", related_name="fees", on_delete=fields.RESTRICT
    )
    schedule_id: str
    procedure_code = fields.CharField(max_length=32, null=True)
    product: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    product_id: str | None
    unit_minor = fields.BigIntField()
    vat_category = fields.CharField(max_length=12)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "procedure_code": "a catalogue procedure code, the same for every patient",
        "vat_category": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "fee_schedule_fee"
        unique_together = (("schedule_id", "procedure_code"), ("schedule_id", "product_id"))
        ordering = ["schedule_id", "procedure_code"]


class NhsCourse(Entity):
    """One NHS England course of treatment: one patient charge, decided by its most complex
    item, frozen at completion."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    status = fields.CharField(max_length=16, default="OPEN")  # OPEN, COMPLETED, CANCELLED
    opened_on = fields.DateField()
    completed_on = fields.DateField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    band = fields.CharField(max_length=16, null=True)  # set at completion
    currency = fields.CharField(max_length=3, default="GBP")
    charge_minor = fields.BigIntField(null=True)  # the patient charge, set at completion
    band_charge_minor = fields.BigIntField(null=True)  # the band's full charge
    udas_hundredths = fields.IntField(null=True)
    exemption = fields.CharField(max_length=40, null=True)
    exemption_max_minor = fields.BigIntField(null=True)  # HC3: the most the patient pays
    evidence_seen = fields.BooleanField(default=False)
    evidence_seen_by_user_id = fields.UUIDField(null=True)
    evidence_seen_at = fields.DatetimeField(null=True)
    opened_by_user_id = fields.UUIDField(null=True)
    completed_by_user_id = fields.UUIDField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "status": "a fixed code from a closed list, not free text",
        "band": "a fixed code from a closed list, not free text",
        "currency": "an ISO 4217 code",
        "exemption": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "nhs_course"
        # (practice_id, completed_on): the NHS activity report counts courses by completion day.
        indexes = (
            ("patient_id", "opened_on"),
            ("practice_id", "status"),
            ("practice_id", "completed_on"),
        )
        ordering = ["patient_id", "opened_on"]


class NhsCourseItem(Entity):
    """One procedure counted in a course (a plan item or chart entry it came from, when any)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    course: fields.ForeignKeyRelation[NhsCourse] = fields.ForeignKeyField(
        "models.NhsCourse", related_name="items", on_delete=fields.RESTRICT
    )
    course_id: str
    code = fields.CharField(max_length=32)
    tooth = fields.SmallIntField(null=True)  # FDI
    nhs_band = fields.CharField(max_length=16, null=True)
    plan_item_id = fields.UUIDField(null=True)
    chart_entry_id = fields.UUIDField(null=True)
    added_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "code": "a catalogue procedure code, the same for every patient",
        "nhs_band": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "nhs_course_item"
        indexes = (("course_id",), ("plan_item_id",))
        ordering = ["course_id", "created_at"]


class MembershipPlan(Entity):
    """A practice's monthly plan: what it covers (catalogue codes, so many a year) and the
    discount its members get on other private treatment."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    name = fields.CharField(max_length=120)
    currency = fields.CharField(max_length=3, default="GBP")
    monthly_fee_minor = fields.BigIntField()
    # a list of {code, perYear} objects: a catalogue code and how many a year are included
    covers: list[dict[str, Any]] = fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)
    discount_basis_points = fields.IntField(default=0)  # 1000 = 10 % off other private fees
    active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "the name of a practice's plan, not patient data",
        "currency": "an ISO 4217 code",
        "covers": "catalogue codes and yearly counts, the same for every member",
    }

    class Meta:
        table = "membership_plan"
        unique_together = (("practice_id", "name"),)
        ordering = ["practice_id", "name"]


class PatientMembership(Entity):
    """A patient's enrolment in a membership plan."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    plan: fields.ForeignKeyRelation[MembershipPlan] = fields.ForeignKeyField(
        "models.MembershipPlan", related_name=False, on_delete=fields.RESTRICT
    )
    plan_id: str
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE, ENDED
    started_on = fields.DateField()
    ended_on = fields.DateField(null=True)  # inclusive last day
    enrolled_by_user_id = fields.UUIDField(null=True)
    ended_by_user_id = fields.UUIDField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "status": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "patient_membership"
        indexes = (
            ("patient_id", "started_on"),
            ("plan_id",),
            ("practice_id", "started_on"),  # reports: joiners and members at a day's end
            ("practice_id", "ended_on"),  # reports: leavers
        )
        ordering = ["patient_id", "started_on"]

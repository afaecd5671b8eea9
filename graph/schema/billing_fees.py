"""Fee schedules, NHS England courses of treatment and membership plans as the graph shows them.

Amounts are ``Money`` (integer minor units + currency). ``FeeSchedule`` and ``MembershipPlan``
are practice price lists (billing:read). ``NhsCourse`` and ``PatientMembership`` are patient data:
reached through ``nhsCourses`` / ``Patient.memberships`` (billing:read, the patient checked by
the service through the visibility policy) or a mutation, and each one returned is an audited
read.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import strawberry

from db.models import FeeSchedule as ScheduleModel
from db.models import MembershipPlan as PlanModel
from db.models import NhsCourseItem as CourseItemModel
from db.models import ScheduleFee as FeeModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.clinical_chart import NhsBand
from graph.schema.invoices import VatCategory
from graph.schema.money import MoneyInput, MoneyType
from graph.schema.nodes import Node
from services.billing import fees as fee_service
from services.billing import memberships, nhs_bands, nhs_courses, vat
from services.billing.money import Money
from services.clinical import catalogue

NhsCourseBand = strawberry.enum(
    nhs_bands.Band,
    name="NhsCourseBand",
    description="The band a completed NHS England course is claimed at: BAND_1, BAND_2A/2B/2C "
    "(the same patient charge, 3/5/7 UDAs), BAND_3, or URGENT.",
)
NhsExemption = strawberry.enum(
    nhs_bands.Exemption,
    name="NhsExemption",
    description="Why an NHS patient pays nothing (HC3_PARTIAL: up to the certificate's maximum).",
)
NhsCourseStatus = strawberry.enum(
    nhs_courses.CourseStatus, name="NhsCourseStatus", description="OPEN, COMPLETED or CANCELLED."
)
MembershipStatus = strawberry.enum(
    memberships.MembershipStatus, name="MembershipStatus", description="ACTIVE or ENDED."
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _money(minor: int | None, currency: str) -> MoneyType | None:
    return None if minor is None else MoneyType.from_money(Money(int(minor), currency))


@strawberry.type(description="One private fee: a catalogue procedure or one unit of a product.")
class ScheduleFee:
    id: strawberry.ID
    procedure_code: str | None = strawberry.field(description="The catalogue procedure code.")
    product_id: strawberry.ID | None = strawberry.field(
        description="The aesthetic product (the fee is per unit or per ml)."
    )
    unit_price: MoneyType = strawberry.field(description="Price of one, before VAT.")
    vat_category: VatCategory = strawberry.field(description="How it is taxed.")  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, row: FeeModel, currency: str) -> ScheduleFee:
        return cls(
            id=_id(row.id),
            procedure_code=row.procedure_code,
            product_id=_id(row.product_id) if row.product_id else None,
            unit_price=MoneyType.from_money(Money(int(row.unit_minor), currency)),
            vat_category=vat.VatCategory(row.vat_category),
        )


@strawberry.type(description="A practice's private price list for a range of days.")
class FeeSchedule(Node):
    id: strawberry.ID
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    name: str = strawberry.field(description="The price list's name.")
    currency: str = strawberry.field(description="ISO 4217 code.")
    valid_from: date = strawberry.field(description="First day it applies.")
    valid_to: date | None = strawberry.field(description="Last day it applies; null: open-ended.")
    fees: list[ScheduleFee] = strawberry.field(description="Its fees.")

    @classmethod
    def from_view(cls, view: fee_service.ScheduleView) -> FeeSchedule:
        row: ScheduleModel = view.schedule
        return cls(
            id=_id(row.id),
            practice_id=_id(row.practice_id),
            name=row.name,
            currency=row.currency,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            fees=[ScheduleFee.from_model(f, row.currency) for f in view.fees],
        )


@strawberry.type(description="One procedure counted in an NHS course.")
class NhsCourseItem:
    id: strawberry.ID
    procedure_code: str = strawberry.field(description="The catalogue procedure code.")
    tooth_fdi: int | None = strawberry.field(description="FDI tooth; null for the whole mouth.")
    nhs_band: NhsBand | None = strawberry.field(  # type: ignore[valid-type]
        description="The catalogue band of the procedure."
    )
    plan_item_id: strawberry.ID | None = strawberry.field(description="The plan item it came from.")
    chart_entry_id: strawberry.ID | None = strawberry.field(
        description="The chart entry it came from."
    )

    @classmethod
    def from_model(cls, row: CourseItemModel) -> NhsCourseItem:
        return cls(
            id=_id(row.id),
            procedure_code=row.code,
            tooth_fdi=row.tooth,
            nhs_band=catalogue.NhsBand(row.nhs_band) if row.nhs_band else None,
            plan_item_id=_id(row.plan_item_id) if row.plan_item_id else None,
            chart_entry_id=_id(row.chart_entry_id) if row.chart_entry_id else None,
        )


@strawberry.type(description="An NHS England course of treatment: one patient charge.")
class NhsCourse:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    status: NhsCourseStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    opened_on: date = strawberry.field(description="Opened (its band table is this day's).")
    completed_on: date | None = strawberry.field(description="Completed.")
    band: NhsCourseBand | None = strawberry.field(  # type: ignore[valid-type]
        description="Its band, frozen at completion (its most complex item)."
    )
    patient_charge: MoneyType | None = strawberry.field(
        description="What the patient pays, frozen at completion (after any exemption)."
    )
    band_charge: MoneyType | None = strawberry.field(description="The band's full charge.")
    udas_hundredths: int | None = strawberry.field(
        description="Units of dental activity in hundredths (1.2 UDAs = 120)."
    )
    exemption: NhsExemption | None = strawberry.field(description="The exemption claimed.")  # type: ignore[valid-type]
    exemption_maximum: MoneyType | None = strawberry.field(
        description="HC3: the most the patient pays."
    )
    evidence_seen: bool = strawberry.field(description="Exemption evidence was seen.")
    evidence_seen_by_user_id: strawberry.ID | None = strawberry.field(
        description="Who saw the evidence."
    )
    evidence_seen_at: datetime | None = strawberry.field(description="When it was seen.")
    items: list[NhsCourseItem] = strawberry.field(description="Its procedures.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]
    course_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("NhsCourse", self.course_uuid, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_view(cls, view: nhs_courses.CourseView) -> NhsCourse:
        row = view.course
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            status=nhs_courses.CourseStatus(row.status),
            opened_on=row.opened_on,
            completed_on=row.completed_on,
            band=nhs_bands.Band(row.band) if row.band else None,
            patient_charge=_money(row.charge_minor, row.currency),
            band_charge=_money(row.band_charge_minor, row.currency),
            udas_hundredths=row.udas_hundredths,
            exemption=nhs_bands.Exemption(row.exemption) if row.exemption else None,
            exemption_maximum=_money(row.exemption_max_minor, row.currency),
            evidence_seen=row.evidence_seen,
            evidence_seen_by_user_id=_id(row.evidence_seen_by_user_id)
            if row.evidence_seen_by_user_id
            else None,
            evidence_seen_at=row.evidence_seen_at,
            items=[NhsCourseItem.from_model(i) for i in view.items],
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
            course_uuid=UUID(str(row.id)),
        )


@strawberry.type(description="A procedure a membership plan covers, so many times a year.")
class MembershipCover:
    procedure_code: str = strawberry.field(description="The catalogue procedure code.")
    per_year: int = strawberry.field(description="How many a membership year includes.")


@strawberry.type(description="A practice's membership (capitation) plan.")
class MembershipPlan:
    id: strawberry.ID
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    name: str = strawberry.field(description="The plan's name.")
    monthly_fee: MoneyType = strawberry.field(description="What a member pays a month.")
    covers: list[MembershipCover] = strawberry.field(description="What it includes.")
    discount_basis_points: int = strawberry.field(
        description="Discount on other private treatment (1000 = 10 %)."
    )
    active: bool = strawberry.field(description="Open to new members.")

    @classmethod
    def from_model(cls, row: PlanModel) -> MembershipPlan:
        return cls(
            id=_id(row.id),
            practice_id=_id(row.practice_id),
            name=row.name,
            monthly_fee=MoneyType.from_money(Money(int(row.monthly_fee_minor), row.currency)),
            covers=[
                MembershipCover(procedure_code=c.code, per_year=c.per_year)
                for c in memberships.covers_of(row)
            ],
            discount_basis_points=row.discount_basis_points,
            active=row.active,
        )


@strawberry.type(description="A patient's enrolment in a membership plan.")
class PatientMembership:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The member.")
    plan: MembershipPlan = strawberry.field(description="The plan.")
    status: MembershipStatus = strawberry.field(description="ACTIVE or ENDED.")  # type: ignore[valid-type]
    started_on: date = strawberry.field(description="First day.")
    ended_on: date | None = strawberry.field(description="Last day, once ended.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]
    membership_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord(
            "PatientMembership", self.membership_uuid, self.patient_uuid, self.practice_uuid
        )

    @classmethod
    def from_view(cls, view: memberships.MembershipView) -> PatientMembership:
        row = view.membership
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            plan=MembershipPlan.from_model(view.plan),
            status=memberships.MembershipStatus(row.status),
            started_on=row.started_on,
            ended_on=row.ended_on,
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
            membership_uuid=UUID(str(row.id)),
        )


@strawberry.input(description="A new private fee schedule.")
class CreateFeeScheduleInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    name: str = strawberry.field(description="Its name, e.g. 'Private fees 2026'.")
    valid_from: date = strawberry.field(description="First day it applies.")
    valid_to: date | None = strawberry.field(default=None, description="Last day; null: open.")
    currency: str = strawberry.field(default="GBP", description="ISO 4217 code.")


@strawberry.input(description="One fee to set: a procedure code or a product, not both.")
class FeeInput(IdFields):
    procedure_code: str | None = strawberry.field(default=None, description="Catalogue code.")
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="An aesthetic product (price per unit or ml)."
    )
    unit_amount: int = strawberry.field(description="Price of one before VAT, in minor units.")
    vat_category: VatCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default EXEMPT for procedures, STANDARD for products."
    )


@strawberry.input(description="Fees to add or replace in a schedule, all or none.")
class SetFeesInput(IdFields):
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")
    fees: list[FeeInput] = strawberry.field(description="At most 500 fees.")


@strawberry.input(description="End a schedule on a day (shortened, never lengthened).")
class CloseFeeScheduleInput(IdFields):
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")
    last_day: date = strawberry.field(description="Its last day.")


@strawberry.type(description="The schedule after the change.")
class FeeSchedulePayload:
    schedule: FeeSchedule | None = strawberry.field(description="The schedule.")


@strawberry.input(description="Open an NHS England course of treatment for a patient.")
class OpenNhsCourseInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    opened_on: date | None = strawberry.field(default=None, description="Default today.")


@strawberry.input(description="A procedure for a course: a plan item, a chart entry or a code.")
class NhsCourseItemInput(IdFields):
    plan_item_id: strawberry.ID | None = strawberry.field(default=None, description="Plan item.")
    chart_entry_id: strawberry.ID | None = strawberry.field(
        default=None, description="A PROCEDURE chart entry."
    )
    procedure_code: str | None = strawberry.field(default=None, description="Catalogue code.")
    tooth_fdi: int | None = strawberry.field(default=None, description="FDI tooth, with a code.")


@strawberry.input(description="Procedures to add to an OPEN course.")
class AddToNhsCourseInput(IdFields):
    course_id: strawberry.ID = strawberry.field(description="The course.")
    items: list[NhsCourseItemInput] = strawberry.field(description="1 to 100 items.")


@strawberry.input(description="The exemption a patient claims on an OPEN course.")
class RecordExemptionInput(IdFields):
    course_id: strawberry.ID = strawberry.field(description="The course.")
    exemption: NhsExemption | None = strawberry.field(  # type: ignore[valid-type]
        description="The category; null clears it."
    )
    evidence_seen: bool = strawberry.field(description="You saw the evidence (recorded as you).")
    maximum_contribution: MoneyInput | None = strawberry.field(
        default=None, description="HC3 only: the most the patient pays."
    )


@strawberry.input(description="A course to complete or cancel.")
class NhsCourseIdInput(IdFields):
    course_id: strawberry.ID = strawberry.field(description="The course.")
    completed_on: date | None = strawberry.field(
        default=None, description="Completion day (complete only); default today."
    )


@strawberry.type(description="The course after the change.")
class NhsCoursePayload:
    course: NhsCourse | None = strawberry.field(description="The course.")


@strawberry.input(description="A procedure a plan covers.")
class MembershipCoverInput:
    procedure_code: str = strawberry.field(description="Catalogue code.")
    per_year: int = strawberry.field(description="How many a year (1-52).")


@strawberry.input(description="A new membership plan.")
class CreateMembershipPlanInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    name: str = strawberry.field(description="The plan's name.")
    monthly_fee: MoneyInput = strawberry.field(description="Monthly fee.")
    covers: list[MembershipCoverInput] = strawberry.field(
        default_factory=list, description="What it includes."
    )
    discount_basis_points: int = strawberry.field(
        default=0, description="Discount on other private treatment (1000 = 10 %)."
    )


@strawberry.input(description="Changes to a membership plan; null leaves a value.")
class UpdateMembershipPlanInput(IdFields):
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    name: str | None = strawberry.field(default=None, description="New name.")
    monthly_fee: MoneyInput | None = strawberry.field(default=None, description="New fee.")
    covers: list[MembershipCoverInput] | None = strawberry.field(
        default=None, description="New list of what it includes (replaces the old)."
    )
    discount_basis_points: int | None = strawberry.field(default=None, description="Discount.")
    active: bool | None = strawberry.field(default=None, description="Open to new members.")


@strawberry.type(description="The plan after the change.")
class MembershipPlanPayload:
    plan: MembershipPlan | None = strawberry.field(description="The plan.")


@strawberry.input(description="Enrol a patient in a plan.")
class EnrolMembershipInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    plan_id: strawberry.ID = strawberry.field(description="An active plan of their practice.")
    started_on: date | None = strawberry.field(default=None, description="Default today.")


@strawberry.input(description="End a patient's membership.")
class EndMembershipInput(IdFields):
    membership_id: strawberry.ID = strawberry.field(description="The membership.")
    ended_on: date | None = strawberry.field(default=None, description="Last day; default today.")


@strawberry.type(description="The membership after the change.")
class PatientMembershipPayload:
    membership: PatientMembership | None = strawberry.field(description="The membership.")

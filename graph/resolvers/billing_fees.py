"""Fee schedule, NHS course and membership plan queries and mutations: parse ids, call one
service, map back. Every NHS course a query returns is put in the request's read trail (entity
``NhsCourse``) by ``AuditReads``; ``Patient.memberships`` records ``PatientMembership`` the same
way."""

from __future__ import annotations

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.billing_fees import (
    AddToNhsCourseInput,
    CloseFeeScheduleInput,
    CreateFeeScheduleInput,
    CreateMembershipPlanInput,
    EndMembershipInput,
    EnrolMembershipInput,
    FeeSchedule,
    FeeSchedulePayload,
    MembershipCoverInput,
    MembershipPlan,
    MembershipPlanPayload,
    NhsCourse,
    NhsCourseIdInput,
    NhsCoursePayload,
    OpenNhsCourseInput,
    PatientMembership,
    PatientMembershipPayload,
    RecordExemptionInput,
    SetFeesInput,
    UpdateMembershipPlanInput,
)
from services.billing import fees, memberships, nhs_bands, nhs_courses, vat
from services.policy import Scope


def _covers(values: list[MembershipCoverInput] | None) -> list[memberships.Cover] | None:
    if values is None:
        return None
    return [memberships.Cover(c.procedure_code, c.per_year) for c in values]


def _course(view: nhs_courses.CourseView) -> NhsCoursePayload:
    return NhsCoursePayload(course=NhsCourse.from_view(view))


@strawberry.type
class FeeQueries:
    @strawberry.field(
        description="A practice's private fee schedules, oldest first, with their fees "
        "(billing:read in the practice).",
        extensions=requires(Scope.BILLING_READ),
    )
    async def fee_schedules(
        self, info: Info, practice_id: strawberry.ID
    ) -> list[FeeSchedule] | None:
        found = await fees.schedules(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return [FeeSchedule.from_view(v) for v in found]

    @strawberry.field(
        description="One fee schedule with its fees (billing:read).",
        extensions=requires(Scope.BILLING_READ),
    )
    async def fee_schedule(self, info: Info, id: strawberry.ID) -> FeeSchedule | None:
        found = await fees.schedule(info.context.principal, schedule_id=id_argument(id=id))
        return FeeSchedule.from_view(found)

    @strawberry.field(
        description="A patient's NHS England courses of treatment, newest first (billing:read "
        "in the patient's practice; the patient their own; a partner app while the patient "
        "shares data with it). Each course read is audited.",
        extensions=[*requires(Scope.BILLING_READ), AuditReads()],
    )
    async def nhs_courses(self, info: Info, patient_id: strawberry.ID) -> list[NhsCourse] | None:
        found = await nhs_courses.courses_of(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
        )
        return [NhsCourse.from_view(v) for v in found]

    @strawberry.field(
        description="A practice's membership plans by name (billing:read in the practice).",
        extensions=requires(Scope.BILLING_READ),
    )
    async def membership_plans(
        self, info: Info, practice_id: strawberry.ID
    ) -> list[MembershipPlan] | None:
        found = await memberships.plans(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return [MembershipPlan.from_model(p) for p in found]


@strawberry.type
class FeeMutations:
    @strawberry.mutation(
        description="Create a private fee schedule for a range of days; one overlapping "
        "another of the practice is CONFLICT (billing:write)."
    )
    async def create_fee_schedule(
        self, info: Info, input: CreateFeeScheduleInput
    ) -> FeeSchedulePayload | None:
        view = await fees.create_schedule(
            info.context.principal,
            practice_id=input.ids.practice_id,
            name=input.name,
            valid_from=input.valid_from,
            valid_to=input.valid_to,
            currency=input.currency,
        )
        return FeeSchedulePayload(schedule=FeeSchedule.from_view(view))

    @strawberry.mutation(
        description="Add or replace fees of a schedule in bulk, all or none; a schedule that "
        "has ended is not edited (billing:write)."
    )
    async def set_fees(self, info: Info, input: SetFeesInput) -> FeeSchedulePayload | None:
        changes = [
            fees.FeeChange(
                unit_minor=f.unit_amount,
                procedure_code=f.procedure_code,
                product_id=f.optional_ids.product_id,
                vat_category=None if f.vat_category is None else vat.VatCategory(f.vat_category),
            )
            for f in input.fees
        ]
        view = await fees.set_fees(
            info.context.principal, schedule_id=input.ids.schedule_id, changes=changes
        )
        return FeeSchedulePayload(schedule=FeeSchedule.from_view(view))

    @strawberry.mutation(description="End a fee schedule on a day (billing:write).")
    async def close_fee_schedule(
        self, info: Info, input: CloseFeeScheduleInput
    ) -> FeeSchedulePayload | None:
        view = await fees.close_schedule(
            info.context.principal, schedule_id=input.ids.schedule_id, last_day=input.last_day
        )
        return FeeSchedulePayload(schedule=FeeSchedule.from_view(view))

    @strawberry.mutation(
        description="Open an NHS England course of treatment (practices in England; one open "
        "course per patient) (billing:write)."
    )
    async def open_nhs_course(
        self, info: Info, input: OpenNhsCourseInput
    ) -> NhsCoursePayload | None:
        return _course(
            await nhs_courses.open_course(
                info.context.principal, patient_id=input.ids.patient_id, opened_on=input.opened_on
            )
        )

    @strawberry.mutation(
        description="Add procedures (plan items, chart entries or catalogue codes with their "
        "NHS band) to an OPEN course (billing:write)."
    )
    async def add_to_nhs_course(
        self, info: Info, input: AddToNhsCourseInput
    ) -> NhsCoursePayload | None:
        items = [
            nhs_courses.NewCourseItem(
                plan_item_id=i.optional_ids.plan_item_id,
                chart_entry_id=i.optional_ids.chart_entry_id,
                code=i.procedure_code,
                tooth=i.tooth_fdi,
            )
            for i in input.items
        ]
        return _course(
            await nhs_courses.add_items(
                info.context.principal, course_id=input.ids.course_id, items=items
            )
        )

    @strawberry.mutation(
        description="Record (or clear) the exemption claimed on an OPEN course and whether the "
        "evidence was seen, by you, now (billing:write)."
    )
    async def record_exemption(
        self, info: Info, input: RecordExemptionInput
    ) -> NhsCoursePayload | None:
        cap = input.maximum_contribution
        return _course(
            await nhs_courses.record_exemption(
                info.context.principal,
                course_id=input.ids.course_id,
                exemption=None if input.exemption is None else nhs_bands.Exemption(input.exemption),
                evidence_seen=input.evidence_seen,
                max_contribution=None if cap is None else cap.to_money("maximumContribution"),
            )
        )

    @strawberry.mutation(
        description="Complete an OPEN course: its band (most complex item), patient charge and "
        "UDAs are computed from the table in force on the opening day and frozen; completing "
        "twice is CONFLICT (billing:write)."
    )
    async def complete_nhs_course(
        self, info: Info, input: NhsCourseIdInput
    ) -> NhsCoursePayload | None:
        return _course(
            await nhs_courses.complete(
                info.context.principal,
                course_id=input.ids.course_id,
                completed_on=input.completed_on,
            )
        )

    @strawberry.mutation(description="Cancel an OPEN course (billing:write).")
    async def cancel_nhs_course(
        self, info: Info, input: NhsCourseIdInput
    ) -> NhsCoursePayload | None:
        return _course(
            await nhs_courses.cancel(info.context.principal, course_id=input.ids.course_id)
        )

    @strawberry.mutation(description="Create a membership plan (billing:write).")
    async def create_membership_plan(
        self, info: Info, input: CreateMembershipPlanInput
    ) -> MembershipPlanPayload | None:
        row = await memberships.create_plan(
            info.context.principal,
            practice_id=input.ids.practice_id,
            name=input.name,
            monthly_fee=input.monthly_fee.to_money("monthlyFee"),
            covers=_covers(input.covers) or [],
            discount_basis_points=input.discount_basis_points,
        )
        return MembershipPlanPayload(plan=MembershipPlan.from_model(row))

    @strawberry.mutation(description="Change a membership plan (billing:write).")
    async def update_membership_plan(
        self, info: Info, input: UpdateMembershipPlanInput
    ) -> MembershipPlanPayload | None:
        row = await memberships.update_plan(
            info.context.principal,
            plan_id=input.ids.plan_id,
            change=memberships.PlanChange(
                name=input.name,
                monthly_fee=None
                if input.monthly_fee is None
                else input.monthly_fee.to_money("monthlyFee"),
                covers=_covers(input.covers),
                discount_basis_points=input.discount_basis_points,
                active=input.active,
            ),
        )
        return MembershipPlanPayload(plan=MembershipPlan.from_model(row))

    @strawberry.mutation(
        description="Enrol a patient in an active plan of their practice; overlapping "
        "memberships are CONFLICT (billing:write)."
    )
    async def enrol_membership(
        self, info: Info, input: EnrolMembershipInput
    ) -> PatientMembershipPayload | None:
        view = await memberships.enrol(
            info.context.principal,
            patient_id=input.ids.patient_id,
            plan_id=input.ids.plan_id,
            started_on=input.started_on,
        )
        return PatientMembershipPayload(membership=PatientMembership.from_view(view))

    @strawberry.mutation(description="End a patient's membership (billing:write).")
    async def end_membership(
        self, info: Info, input: EndMembershipInput
    ) -> PatientMembershipPayload | None:
        view = await memberships.end_membership(
            info.context.principal, membership_id=input.ids.membership_id, ended_on=input.ended_on
        )
        return PatientMembershipPayload(membership=PatientMembership.from_view(view))

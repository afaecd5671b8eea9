"""Erasing a patient's financial records takes their NHS courses (items first: the keys are
RESTRICT) and memberships, and leaves other patients' alone."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from db.models import MembershipPlan, NhsCourse, NhsCourseItem, PatientMembership
from db.uow import unit_of_work
from services.consent import anonymise
from tests import factories


async def test_erase_financial_takes_courses_with_their_items(db: str) -> None:
    practice = await factories.practice()
    patients = [await factories.patient(practice) for _ in range(2)]
    plan = await MembershipPlan.create(
        id=uuid4(), practice_id=practice.id, name="Plan", monthly_fee_minor=1000
    )
    for patient in patients:
        course = await NhsCourse.create(
            id=uuid4(), practice_id=practice.id, patient_id=patient.id, opened_on=date(2025, 5, 1)
        )
        await NhsCourseItem.create(
            id=uuid4(),
            practice_id=practice.id,
            patient_id=patient.id,
            course_id=course.id,
            code="EXAM",
            nhs_band="BAND_1",
        )
        await PatientMembership.create(
            id=uuid4(),
            practice_id=practice.id,
            patient_id=patient.id,
            plan_id=plan.id,
            started_on=date(2025, 5, 1),
        )
    async with unit_of_work() as uow:
        removed = await anonymise.erase_financial(patients[0], uow.connection)
    assert removed == 3
    for model in (NhsCourse, NhsCourseItem, PatientMembership):
        assert await model.filter(patient_id=patients[0].id).count() == 0
        assert await model.filter(patient_id=patients[1].id).count() == 1

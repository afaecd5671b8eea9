"""Merging a duplicate record: what moves to the survivor, what is dropped as a duplicate, and
that another practice's record cannot be merged in (nor named: it answers like a random id)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from db.models import (
    Appointment,
    GuardianLink,
    MedicalHistory,
    Membership,
    Patient,
    PatientInsurance,
    PatientStatus,
    ProcedureItem,
    TreatmentPlan,
    TreatmentPlanItem,
)
from services.clinical import catalogue
from services.errors import NotFound
from services.patients import merge
from services.policy import Role
from tests import factories
from tests.scheduling_fixtures import diary
from tests.services.test_consent_ledger import as_principal
from tests.sql_counter import count_statements

T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)


async def _history(patient: Patient, version: int, attested_at: datetime, alert: bool) -> None:
    await MedicalHistory.create(
        practice_id=patient.practice_id,
        patient_id=patient.id,
        version=version,
        content="x",
        has_alert=alert,
        attestation="CLINICIAN_CONFIRMED",
        attested_at=attested_at,
    )


async def _link(minor: Patient, guardian: Patient) -> None:
    await GuardianLink.create(
        practice_id=minor.practice_id,
        patient_id=minor.id,
        guardian_id=guardian.id,
        relationship="mother",
    )


async def test_merge_moves_the_duplicates_rows_to_the_survivor(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await diary()
    practice = world.practice
    admin = await world.principal(await factories.user(Role.PRACTICE_ADMIN, practice))
    survivor = await factories.patient(practice, first_name="Ann", email=None)
    duplicate = await factories.patient(practice, first_name="Ann")
    minor = await factories.patient(practice, first_name="Kid")
    other_minor = await factories.patient(practice, first_name="Kid2")
    await _history(survivor, 1, T0 + timedelta(days=2), alert=False)
    await _history(duplicate, 1, T0, alert=False)
    await _history(duplicate, 2, T0 + timedelta(days=5), alert=True)
    await PatientInsurance.create(
        practice_id=practice.id, patient_id=duplicate.id, provider="Denplan"
    )
    await _link(minor, survivor)
    await _link(minor, duplicate)  # the same pair once merged: dropped
    await _link(other_minor, duplicate)  # moves to the survivor
    portal = await factories.user(Role.PATIENT, practice, patient_id=duplicate.id)
    visit = await Appointment.create(
        practice_id=practice.id,
        patient_id=duplicate.id,
        practitioner_id=world.dentist.id,
        room_id=world.room.id,
        appointment_type_id=world.exam.id,
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=30),
    )

    await catalogue.seed_practice(practice.id)
    exam = await ProcedureItem.get(practice_id=practice.id, code="EXAM")
    plan = await TreatmentPlan.create(
        practice_id=practice.id, patient_id=duplicate.id, plan_id=uuid4(), status="PROPOSED"
    )
    await TreatmentPlanItem.create(
        practice_id=practice.id,
        patient_id=duplicate.id,
        plan_version_id=plan.id,
        procedure_id=exam.id,
        code="EXAM",
        fee_pence=5500,
    )

    with count_statements(monkeypatch) as statements:
        kept, moved = await merge.merge_patients(
            admin, survivor_id=survivor.id, duplicate_id=duplicate.id
        )

    assert kept.id == survivor.id
    assert {"medicalHistory", "appointments", "insurance", "guardians", "treatmentPlans"} <= set(
        moved
    )
    assert str((await TreatmentPlan.get(id=plan.id)).patient_id) == str(survivor.id)
    assert await TreatmentPlanItem.filter(patient_id=survivor.id).count() == 1
    histories = await MedicalHistory.filter(patient_id=survivor.id).order_by("version")
    assert [(h.version, h.attested_at) for h in histories] == [
        (1, T0),
        (2, T0 + timedelta(days=2)),
        (3, T0 + timedelta(days=5)),
    ]
    assert (await Patient.get(id=survivor.id)).has_medical_alert is True
    assert str((await Appointment.get(id=visit.id)).patient_id) == str(survivor.id)
    assert await PatientInsurance.filter(patient_id=survivor.id).count() == 1
    pairs = {
        (str(link.patient_id), str(link.guardian_id))
        for link in await GuardianLink.filter(practice_id=practice.id)
    }
    assert pairs == {(str(minor.id), str(survivor.id)), (str(other_minor.id), str(survivor.id))}
    membership = await Membership.get(user_id=portal.id)
    assert str(membership.patient_id) == str(survivor.id)
    stub = await Patient.get(id=duplicate.id)
    assert stub.status == PatientStatus.MERGED.value
    assert str(stub.merged_into_id) == str(survivor.id)
    # Three histories re-numbered twice, the rest a fixed number: nothing per row elsewhere.
    assert len(statements.matching('UPDATE "medical_history"')) == 6


async def test_another_practices_record_cannot_be_merged(db: str) -> None:
    practice = await factories.practice()
    elsewhere = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    principal = await as_principal(admin)
    survivor = await factories.patient(practice)
    foreign = await factories.patient(elsewhere)
    with pytest.raises(NotFound):
        await merge.merge_patients(principal, survivor_id=survivor.id, duplicate_id=foreign.id)
    assert (await Patient.get(id=foreign.id)).status != PatientStatus.MERGED.value

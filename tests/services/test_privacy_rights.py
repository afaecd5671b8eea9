"""Export completeness, erasure per category, retention dry run vs apply, portal age rule,
breach impact from a scripted access pattern."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from db.models import (
    AuditEvent,
    ConsentRecord,
    ContactPreference,
    DataSubjectRequest,
    GuardianLink,
    LegalHold,
    MedicalHistory,
    Membership,
    Patient,
    PatientInsurance,
    ProcessingRestriction,
    User,
)
from db.models.consent import ConsentPurpose
from db.models.patients import ResponsibilityEvidence
from db.models.privacy import RequestKind
from services import audit
from services.consent import (
    breach,
    erasure,
    export,
    ledger,
    portal,
    preferences,
    requests,
    retention,
)
from services.consent.anonymise import TABLE_CATEGORY
from services.consent.registry import patient_linked_tables
from services.errors import PolicyDenied
from services.patients import guardians
from services.policy import Role
from services.principal import Principal
from tests import factories
from tests.factories import PASSWORD
from tests.services.test_consent_ledger import as_principal, decision, staff

BIRTH_CERTIFICATE = ResponsibilityEvidence.BIRTH_CERTIFICATE
LONG_AGO = datetime(2000, 1, 10, tzinfo=UTC)


async def _rich_patient(practice: object, **overrides: object) -> Patient:
    patient = await factories.patient(
        practice, email="v1.k.abc", mobile_phone="v1.k.def", **overrides
    )  # type: ignore[arg-type]
    await MedicalHistory.create(
        practice_id=patient.practice_id,
        patient_id=patient.id,
        version=1,
        content="x",
        attestation="CLINICIAN_CONFIRMED",
        attested_at=datetime.now(UTC),
    )
    await PatientInsurance.create(
        practice_id=patient.practice_id, patient_id=patient.id, provider="Denplan"
    )
    await ContactPreference.create(
        practice_id=patient.practice_id, patient_id=patient.id, sms=False
    )
    await factories.user(Role.PATIENT, practice, patient_id=patient.id)  # type: ignore[arg-type]
    return patient


async def test_registry_finds_tables_and_each_has_an_erasure_category(db: str) -> None:
    tables = patient_linked_tables()
    assert {"patient", "medical_history", "consent_record", "audit_event", "membership"} <= tables
    assert sorted(tables - set(TABLE_CATEGORY)) == []


async def test_export_contains_every_patient_linked_table(db: str) -> None:
    practice = await factories.practice()
    patient = await _rich_patient(practice)
    desk = await staff(practice)
    await ledger.record(desk, patient_id=patient.id, decision=decision(ConsentPurpose.RESEARCH))
    await audit.write(
        [
            audit.record_for(
                desk,
                action="READ query Card",
                practice_id=practice.id,
                patient_id=patient.id,
                entity_type="Patient",
                entity_id=patient.id,
                fields=["email"],
            )
        ]
    )
    doc = await export.export_patient_data(desk, patient_id=patient.id)
    assert set(doc["tables"]) == patient_linked_tables()
    assert doc["records"]["patient"][0]["first_name"] == "Alice"
    assert doc["records"]["patient"][0]["clinical_notes"] == "Allergic to penicillin."
    assert "email_index" not in doc["records"]["patient"][0]
    assert len(doc["records"]["consent_record"]) == 1
    assert len(doc["records"]["medical_history"]) == 1
    readers = {entry["action"] for entry in doc["access_log"]}
    assert "READ query Card" in readers
    assert "consent record: 1 record" in doc["summary"]


async def _erasure_request(desk: Principal, patient: Patient) -> DataSubjectRequest:
    return await requests.receive(
        desk, patient_id=patient.id, kind=RequestKind.ERASURE, received_at=None
    )


async def test_erasure_inside_retention_keeps_clinical_and_financial_only(db: str) -> None:
    practice = await factories.practice()
    patient = await _rich_patient(practice)
    desk = await staff(practice, Role.PRACTICE_ADMIN)
    await ledger.record(
        desk, patient_id=patient.id, decision=decision(ConsentPurpose.MARKETING_EMAIL)
    )
    request = await _erasure_request(desk, patient)
    verdicts = {v.category: v for v in await erasure.erase(desk, request_id=request.id)}
    assert {c: v.action for c, v in verdicts.items()} == {
        "ACCOUNT_CONTACT": "ERASED",
        "FINANCIAL": "KEPT",
        "CLINICAL": "KEPT",
        "EVIDENCE": "KEPT",
        "AUDIT": "KEPT",
    }
    assert verdicts["CLINICAL"].until == date.today().replace(year=date.today().year + 15)
    after = await Patient.get(id=patient.id)
    assert (after.email, after.mobile_phone, after.first_name) == (None, None, "Alice")
    assert after.clinical_notes is not None
    suppressed = await ContactPreference.get(patient_id=patient.id)  # do-not-contact row
    assert (suppressed.email, suppressed.sms, suppressed.service_messages) == (False, False, False)
    assert not await Membership.exists(patient_id=patient.id)
    assert await PatientInsurance.exists(patient_id=patient.id)
    assert await MedicalHistory.exists(patient_id=patient.id)
    latest = await ConsentRecord.filter(patient_id=patient.id).order_by("-seq").first()
    assert latest is not None
    assert latest.granted is False
    assert await ProcessingRestriction.exists(patient_id=patient.id, lifted_at__isnull=True)
    stored = await DataSubjectRequest.get(id=request.id)
    assert stored.status == "PARTIALLY_COMPLETED"
    assert stored.erase_after == verdicts["CLINICAL"].until


async def test_erasure_after_retention_anonymises_everything_but_evidence(db: str) -> None:
    practice = await factories.practice()
    patient = await _rich_patient(practice, last_activity_at=LONG_AGO)
    desk = await staff(practice, Role.PRACTICE_ADMIN)
    request = await _erasure_request(desk, patient)
    verdicts = {v.category: v.action for v in await erasure.erase(desk, request_id=request.id)}
    assert verdicts["CLINICAL"] == "ANONYMISED"
    assert verdicts["FINANCIAL"] == "ERASED"
    after = await Patient.get(id=patient.id)
    assert after.first_name == "Anonymised"
    assert after.clinical_notes is None
    assert after.date_of_birth == date(1980, 7, 1)  # year kept for statistics
    assert not await MedicalHistory.exists(patient_id=patient.id)
    assert not await PatientInsurance.exists(patient_id=patient.id)
    assert (await DataSubjectRequest.get(id=request.id)).status == "COMPLETED"
    assert await AuditEvent.filter(action="ERASE patient data", patient_id=patient.id).count() == 1


async def test_retention_dry_run_changes_nothing_and_apply_anonymises(db: str) -> None:
    practice = await factories.practice()
    old = await _rich_patient(practice, last_activity_at=LONG_AGO)
    held = await _rich_patient(practice, last_activity_at=LONG_AGO)
    recent = await _rich_patient(practice)
    await LegalHold.create(practice_id=practice.id, patient_id=held.id, reason="Litigation")
    audit_before = await AuditEvent.all().count()
    dry = await retention.run(apply=False)
    assert {(a.patient_id, a.record_class.value) for a in dry.actions} == {
        (old.id, "FINANCIAL"),
        (old.id, "ACCOUNT_CONTACT"),
        (old.id, "CLINICAL"),
    }
    assert held.id in dry.held
    assert recent.id not in dry.held
    assert (await Patient.get(id=old.id)).first_name == "Alice"
    assert await AuditEvent.all().count() == audit_before
    done = await retention.run(apply=True)
    assert done.applied
    assert len(done.actions) == 3
    assert (await Patient.get(id=old.id)).first_name == "Anonymised"
    assert (await Patient.get(id=held.id)).first_name == "Alice"
    assert (await Patient.get(id=recent.id)).email is not None
    assert await AuditEvent.filter(action__startswith="RETENTION", patient_id=old.id).count() == 3
    assert (await retention.run(apply=False)).actions == []  # nothing left to do


async def test_no_portal_account_under_16_but_guardian_route(db: str) -> None:
    practice = await factories.practice()
    child = await factories.patient(practice, date_of_birth=date.today() - timedelta(days=365 * 12))
    parent = await factories.patient(practice, first_name="Pat")
    admin = await staff(practice, Role.PRACTICE_ADMIN)
    with pytest.raises(PolicyDenied, match="under 16"):
        await portal.create_account(
            admin, patient_id=child.id, email="kid@example.test", password=PASSWORD
        )
    assert not await User.exists(email="kid@example.test")
    user = await portal.create_account(
        admin, patient_id=parent.id, email="pat@example.test", password=PASSWORD
    )
    await GuardianLink.create(
        practice_id=practice.id, patient_id=child.id, guardian_id=parent.id, relationship="mother"
    )
    await portal.grant_guardian_access(
        admin, patient_id=child.id, guardian_id=parent.id, evidence=BIRTH_CERTIFICATE
    )
    principal = await as_principal(user)
    assert principal.patient_ids == {parent.id, child.id}
    assert (await preferences.get(principal, patient_id=child.id)).email is True


@pytest.mark.parametrize("ending", ["unlink", "responsibility withdrawn"])
async def test_ending_parental_responsibility_ends_the_guardians_portal_access(
    db: str, ending: str
) -> None:
    practice = await factories.practice()
    child = await factories.patient(practice, date_of_birth=date.today() - timedelta(days=365 * 10))
    parent = await factories.patient(practice, first_name="Pat")
    admin = await staff(practice, Role.PRACTICE_ADMIN)
    user = await portal.create_account(
        admin, patient_id=parent.id, email="pat@example.test", password=PASSWORD
    )
    await guardians.link_guardian(
        admin, patient_id=child.id, guardian_id=parent.id, relationship="father"
    )
    await portal.grant_guardian_access(
        admin, patient_id=child.id, guardian_id=parent.id, evidence=BIRTH_CERTIFICATE
    )
    assert (await as_principal(user)).patient_ids == {parent.id, child.id}

    if ending == "unlink":
        await guardians.unlink_guardian(admin, patient_id=child.id, guardian_id=parent.id)
    else:
        await guardians.link_guardian(
            admin,
            patient_id=child.id,
            guardian_id=parent.id,
            relationship="father",
            parental_responsibility=False,
        )

    assert (await as_principal(user)).patient_ids == {parent.id}
    revoked = await AuditEvent.filter(action="REVOKE guardian portal access", patient_id=child.id)
    assert [str(row.entity_id) for row in revoked] == [str(user.id)]


async def test_breach_impact_lists_exactly_the_patients_touched_in_the_window(db: str) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    a, b, c = [await factories.patient(practice) for _ in range(3)]
    suspect_user = await factories.user(Role.RECEPTIONIST, practice)
    suspect = await as_principal(suspect_user)
    bystander = await staff(practice)
    for who, patient in ((suspect, a), (suspect, b), (bystander, c)):
        await audit.write(
            [
                audit.record_for(
                    who, action="READ query Card", practice_id=practice.id, patient_id=patient.id
                )
            ]
        )
    await ledger.record(suspect, patient_id=b.id, decision=decision(ConsentPurpose.RESEARCH))
    admin = await as_principal(await factories.user(Role.PRACTICE_ADMIN, practice))
    now = datetime.now(UTC)
    touched = await breach.impact(
        admin,
        user_id=suspect_user.id,
        client_id=None,
        since=now - timedelta(hours=1),
        until=now + timedelta(minutes=1),
    )
    assert [
        (t.patient_id, t.reads, t.changes) for t in sorted(touched, key=lambda t: str(t.patient_id))
    ] == sorted([(a.id, 1, 0), (b.id, 1, 1)], key=lambda t: str(t[0]))
    later = await breach.impact(
        admin,
        user_id=suspect_user.id,
        client_id=None,
        since=now + timedelta(minutes=1),
        until=now + timedelta(hours=1),
    )
    assert later == []
    with pytest.raises(PolicyDenied):
        await breach.impact(
            suspect,
            user_id=suspect_user.id,
            client_id=None,
            since=now - timedelta(hours=1),
            until=now,
        )
    incident = await breach.record_incident(
        admin, organization_id=org.id, title="Laptop lost", description="", detected_at=now
    )
    assert breach.deadline(incident) == now + timedelta(hours=72)

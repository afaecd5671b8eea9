"""Consent ledger: append-only history, derived current state, can_contact, partner gate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise.exceptions import OperationalError, TransactionManagementError
from tortoise.transactions import in_transaction

from db.models import AuditEvent, ConsentRecord, DomainEvent, Practice, User
from db.models.consent import CaptureMethod, ConsentPurpose
from db.models.privacy import RestrictionKind
from db.queries import consent as consent_queries
from services.auth import clients
from services.auth.principal_loader import principal_for_user
from services.consent import contact, ledger, restriction
from services.consent.ledger import Decision
from services.errors import Conflict, PolicyDenied
from services.policy import Role
from services.principal import Principal, RequestMeta
from tests import factories

P = ConsentPurpose


async def as_principal(user: User) -> Principal:
    return await principal_for_user(user, mfa_passed=True, claims={}, meta=RequestMeta())


async def staff(practice: Practice, role: Role = Role.RECEPTIONIST) -> Principal:
    return await as_principal(await factories.user(role, practice))


def decision(purpose: ConsentPurpose, granted: bool = True, **extra: object) -> Decision:
    return Decision(
        purpose=purpose,
        granted=granted,
        policy_version="privacy-2026-01",
        method=extra.pop("method", CaptureMethod.RECEPTION),  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


async def test_history_is_appended_and_current_state_is_the_latest(db: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice, email="x")
    desk = await staff(practice)
    await ledger.record(desk, patient_id=patient.id, decision=decision(P.MARKETING_EMAIL))
    await ledger.record(
        desk, patient_id=patient.id, decision=decision(P.MARKETING_EMAIL, False), withdrawal=True
    )
    await ledger.record(desk, patient_id=patient.id, decision=decision(P.RESEARCH))
    rows = await ConsentRecord.filter(patient_id=patient.id).order_by("seq")
    assert [(r.seq, r.purpose, r.granted) for r in rows] == [
        (1, "MARKETING_EMAIL", True),
        (2, "MARKETING_EMAIL", False),
        (3, "RESEARCH", True),
    ]
    current = await ledger.current(desk, patient_id=patient.id)
    assert {(r.purpose, r.granted) for r in current} == {
        ("MARKETING_EMAIL", False),
        ("RESEARCH", True),
    }
    events = await DomainEvent.filter(topic="consent").order_by("sequence")
    assert [e.type for e in events] == ["consent.granted", "consent.withdrawn", "consent.granted"]
    assert all(e.patient_id == patient.id for e in events)
    assert await AuditEvent.filter(action="WITHDRAW consent", patient_id=patient.id).count() == 1


async def test_withdrawing_nothing_is_a_conflict(db: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    with pytest.raises(Conflict):
        await ledger.record(
            await staff(practice),
            patient_id=patient.id,
            decision=decision(P.RESEARCH, False),
            withdrawal=True,
        )
    assert await ConsentRecord.all().count() == 0


async def test_database_refuses_to_rewrite_history_on_postgres(db: str, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the service")
    practice = await factories.practice()
    patient = await factories.patient(practice)
    row = await ledger.record(
        await staff(practice), patient_id=patient.id, decision=decision(P.RESEARCH)
    )
    for statement in (
        ConsentRecord.filter(id=row.id).update(granted=False),
        ConsentRecord.filter(id=row.id).delete(),
    ):
        with pytest.raises((OperationalError, TransactionManagementError, Exception)) as refused:
            async with in_transaction():
                await statement
        assert "append-only" in str(refused.value)
    assert (await ConsentRecord.get(id=row.id)).granted is True


async def test_patient_manages_own_marketing_only_via_portal(db: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    me = await as_principal(await factories.user(Role.PATIENT, practice, patient_id=patient.id))
    row = await ledger.record(
        me, patient_id=patient.id, decision=decision(P.MARKETING_SMS, method=CaptureMethod.PORTAL)
    )
    assert row.recorded_by_role == "PATIENT"
    with pytest.raises(PolicyDenied):
        await ledger.record(
            me, patient_id=patient.id, decision=decision(P.RESEARCH, method=CaptureMethod.PORTAL)
        )
    with pytest.raises(PolicyDenied):
        await ledger.record(me, patient_id=patient.id, decision=decision(P.MARKETING_SMS))


async def test_can_contact_honours_consent_preferences_and_restriction(db: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice, email="token", mobile_phone="token")
    desk = await staff(practice)
    email, marketing, service = (
        contact.Channel.EMAIL,
        contact.ContactPurpose.MARKETING,
        contact.ContactPurpose.SERVICE,
    )
    assert not (await contact.can_contact(patient, email, marketing)).allowed
    assert (await contact.can_contact(patient, email, service)).allowed
    await ledger.record(desk, patient_id=patient.id, decision=decision(P.MARKETING_EMAIL))
    assert (await contact.can_contact(patient, email, marketing)).allowed
    assert not (
        await contact.can_contact(patient, contact.Channel.POST, service)
    ).allowed  # no address
    await restriction.place(
        desk, patient_id=patient.id, kind=RestrictionKind.OBJECTION, reason="Phoned to object"
    )
    refused = await contact.can_contact(patient, email, marketing)
    assert (refused.allowed, refused.reason) == (False, "The patient objected to direct marketing.")
    assert (await contact.can_contact(patient, email, service)).allowed  # care continues
    await restriction.place(
        desk, patient_id=patient.id, kind=RestrictionKind.RESTRICTION, reason="Disputes accuracy"
    )
    held = await contact.can_contact(patient, email, service)
    assert (held.allowed, held.reason) == (False, "Processing is restricted.")


async def test_data_sharing_gate_follows_latest_decision_and_restriction(db: str) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    patient = await factories.patient(practice)
    partner = await clients.register(
        organization_id=org.id, name="Lab", scopes=["patient:read"], practice_ids=[practice.id]
    )
    desk = await staff(practice)
    sharing = decision(P.DATA_SHARING, partner_client_id=partner.client_id)
    assert await consent_queries.shared_with_partner(partner.client_id, [patient.id]) == set()
    await ledger.record(desk, patient_id=patient.id, decision=sharing)
    assert await consent_queries.shared_with_partner(partner.client_id, [patient.id]) == {
        patient.id
    }
    await restriction.place(
        desk, patient_id=patient.id, kind=RestrictionKind.RESTRICTION, reason="Accuracy contested"
    )
    assert await consent_queries.shared_with_partner(partner.client_id, [patient.id]) == set()
    assert await consent_queries.shared_in_practice(partner.client_id, practice.id) == frozenset()


async def test_effective_time_cannot_be_in_the_future(db: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    future = datetime(2999, 1, 1, tzinfo=UTC)
    from services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        await ledger.record(
            await staff(practice),
            patient_id=patient.id,
            decision=decision(P.RESEARCH, effective_at=future),
        )

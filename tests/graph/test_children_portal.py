"""Nobody under 16 keeps a portal login: the rule holds at sign-in and when a date of birth is
corrected, not only at account creation; guardians reach a child through a recorded grant."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from db.models import AuditEvent, GuardianLink, Patient, User
from services.policy import Role
from tests import factories
from tests.factories import PASSWORD, gql

PORTAL = """
mutation A($input: CreatePortalAccountInput!) { createPortalAccount(input: $input) { userId } }"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { accessToken } }
}"""
UPDATE = """
mutation Up($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { changedFields }
}"""
LINK = """
mutation L($input: LinkGuardianInput!) { linkGuardian(input: $input) { patient { id } } }"""
GRANT = """
mutation G($input: GrantGuardianPortalAccessInput!) {
  grantGuardianPortalAccess(input: $input) { userId patientId evidence }
}"""
READ = "query P($id: ID!) { patient(id: $id) { id firstName } }"


def years_ago(years: int) -> date:
    today = date.today()
    return today.replace(year=today.year - years) - timedelta(days=1)


async def _portal_login(client: httpx.AsyncClient, admin: str, patient: Patient, email: str) -> str:
    made = await gql(
        client,
        PORTAL,
        {"input": {"patientId": str(patient.id), "email": email, "password": PASSWORD}},
        token=admin,
    )
    assert made.errors == []
    return await _login(client, email)


async def _login(client: httpx.AsyncClient, email: str) -> Any:
    result = await gql(client, LOGIN, {"email": email, "password": PASSWORD})
    if result.errors:
        return result
    return result.data["login"]["session"]["accessToken"]


async def test_a_date_of_birth_corrected_to_age_10_suspends_the_portal_login(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice, date_of_birth=years_ago(20))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    token = await _portal_login(client, admin, patient, "young@example.test")
    assert (await gql(client, READ, {"id": str(patient.id)}, token=token)).errors == []

    corrected = {"dateOfBirth": years_ago(10).isoformat()}
    result = await gql(client, UPDATE, {"id": str(patient.id), "input": corrected}, token=admin)
    assert result.errors == []

    assert (await gql(client, READ, {"id": str(patient.id)}, token=token)).codes == [
        "UNAUTHENTICATED"
    ]
    again = await _login(client, "young@example.test")
    assert again.codes == ["UNAUTHENTICATED"]  # suspended: no login at all
    user = await User.get(email="young@example.test")
    assert user.is_active is False
    audited = await AuditEvent.filter(
        action="SUSPEND portal account (under 16)", patient_id=patient.id
    )
    assert [(row.entity_id, row.fields_read) for row in audited] == [
        (str(user.id), ["dateOfBirth"])
    ]


async def test_sign_in_refuses_and_suspends_a_login_whose_holder_is_under_16(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice, date_of_birth=years_ago(30))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    await _portal_login(client, admin, patient, "imported@example.test")
    # Written around the API (an import, a direct fix): only sign-in can catch it.
    await Patient.filter(id=patient.id).update(date_of_birth=years_ago(12))

    refused = await _login(client, "imported@example.test")

    assert refused.codes == ["FORBIDDEN"]
    assert (await User.get(email="imported@example.test")).is_active is False
    assert await AuditEvent.filter(
        action="SUSPEND portal account (under 16)", patient_id=patient.id
    ).exists()
    assert await AuditEvent.filter(action="LOGIN", outcome="DENIED").exists()


async def test_a_guardian_gets_portal_access_to_a_child_with_the_evidence_recorded(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    child = await factories.patient(practice, first_name="Kit", date_of_birth=years_ago(10))
    parent = await factories.patient(practice, first_name="Pat", date_of_birth=years_ago(40))
    desk_user = await factories.user(Role.RECEPTIONIST, practice)
    desk = factories.access_token(desk_user)
    parent_token = await _portal_login(client, desk, parent, "pat@example.test")
    pair = {"patientId": str(child.id), "guardianId": str(parent.id)}
    grant = {"input": {**pair, "evidence": "BIRTH_CERTIFICATE"}}

    unlinked = await gql(client, GRANT, grant, token=desk)
    assert unlinked.codes == ["NOT_FOUND"]
    linked = await gql(client, LINK, {"input": {**pair, "relationship": "Mother"}}, token=desk)
    assert linked.errors == []
    by_parent = await gql(client, GRANT, grant, token=parent_token)
    assert by_parent.codes == ["NOT_FOUND"]  # not theirs: the child is not visible to them

    granted = await gql(client, GRANT, grant, token=desk)

    assert granted.errors == []
    parent_user = await User.get(email="pat@example.test")
    assert granted.data["grantGuardianPortalAccess"] == {
        "userId": str(parent_user.id),
        "patientId": str(child.id),
        "evidence": "BIRTH_CERTIFICATE",
    }
    link = await GuardianLink.get(patient_id=child.id, guardian_id=parent.id)
    assert link.responsibility_evidence == "BIRTH_CERTIFICATE"
    assert str(link.evidence_checked_by_user_id) == str(desk_user.id)
    assert link.evidence_checked_at is not None
    audited = await AuditEvent.get(action="GRANT guardian portal access", patient_id=child.id)
    assert audited.fields_read == ["responsibilityEvidence"]
    # The guardian signs in (their access to a child is not a child's own login) and reads it.
    fresh = await _login(client, "pat@example.test")
    assert isinstance(fresh, str)
    seen = await gql(client, READ, {"id": str(child.id)}, token=fresh)
    assert seen.data == {"patient": {"id": str(child.id), "firstName": "Kit"}}

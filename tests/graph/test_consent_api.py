"""Consent over GraphQL: a partner loses a patient on its very next request after withdrawal;
exact error codes for callers who may not record consent."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from services.auth import clients
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.test_partner_oauth import token_for

RECORD = """
mutation R($input: RecordConsentInput!) {
  recordConsent(input: $input) { consent { id sequence purpose granted partnerClientId } }
}"""
WITHDRAW = """
mutation W($input: WithdrawConsentInput!) {
  withdrawConsent(input: $input) { consent { sequence granted } }
}"""
CURRENT = "query C($p: ID!) { patientConsents(patientId: $p) { purpose granted } }"
HISTORY = """
query H($p: ID!, $after: String) {
  consentHistory(patientId: $p, first: 1, after: $after) {
    edges { node { sequence granted } } pageInfo { hasNextPage endCursor }
  }
}"""
PATIENT = "query P($id: ID!) { patient(id: $id) { id } }"
PORTAL = """
mutation A($input: CreatePortalAccountInput!) { createPortalAccount(input: $input) { userId } }"""


def sharing(patient_id: object, client_id: str) -> dict[str, object]:
    return {
        "patientId": str(patient_id),
        "purpose": "DATA_SHARING",
        "partnerClientId": client_id,
        "policyVersion": "share-v2",
        "method": "PAPER",
        "evidenceRef": "scan-0042",
    }


async def test_partner_sees_patient_only_while_data_sharing_is_granted(
    client: httpx.AsyncClient,
) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    patient = await factories.patient(practice)
    registered = await clients.register(
        organization_id=org.id,
        name="Ortho lab",
        scopes=["patient:read"],
        practice_ids=[practice.id],
    )
    partner = (await token_for(client, registered.client_id, registered.client_secret)).json()
    partner_token = partner["access_token"]
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    variables = {"id": str(patient.id)}
    before = await gql(client, PATIENT, variables, token=partner_token)
    assert before.codes == ["NOT_FOUND"]  # opt-in: no consent, no access
    granted = await gql(
        client, RECORD, {"input": sharing(patient.id, registered.client_id)}, token=desk
    )
    assert granted.errors == [], granted.errors
    assert (await gql(client, PATIENT, variables, token=partner_token)).data == {
        "patient": {"id": str(patient.id)}
    }
    withdrawn = await gql(
        client, WITHDRAW, {"input": sharing(patient.id, registered.client_id)}, token=desk
    )
    assert withdrawn.data["withdrawConsent"]["consent"] == {"sequence": 2, "granted": False}
    after = await gql(client, PATIENT, variables, token=partner_token)
    assert after.codes == ["NOT_FOUND"]
    listed = await gql(
        client,
        "query S($p: ID!) { patients(practiceId: $p) { edges { node { id } } } }",
        {"p": str(practice.id)},
        token=partner_token,
    )
    assert listed.data["patients"]["edges"] == []


async def test_current_state_and_paged_history(client: httpx.AsyncClient) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    patient = await factories.patient(practice)
    desk = factories.access_token(await factories.user(Role.DENTIST, practice))
    base = {
        "patientId": str(patient.id),
        "purpose": "CLINICAL_PHOTOGRAPHY",
        "policyVersion": "f1",
        "method": "RECEPTION",
    }
    await gql(client, RECORD, {"input": base}, token=desk)
    await gql(client, WITHDRAW, {"input": base}, token=desk)
    current = await gql(client, CURRENT, {"p": str(patient.id)}, token=desk)
    assert current.data == {
        "patientConsents": [{"purpose": "CLINICAL_PHOTOGRAPHY", "granted": False}]
    }
    first = await gql(client, HISTORY, {"p": str(patient.id)}, token=desk)
    page = first.data["consentHistory"]
    assert [e["node"] for e in page["edges"]] == [{"sequence": 2, "granted": False}]
    second = await gql(
        client, HISTORY, {"p": str(patient.id), "after": page["pageInfo"]["endCursor"]}, token=desk
    )
    assert [e["node"] for e in second.data["consentHistory"]["edges"]] == [
        {"sequence": 1, "granted": True}
    ]


async def test_error_codes_for_callers_who_may_not(client: httpx.AsyncClient) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    other = await factories.practice(org)
    patient = await factories.patient(practice)
    stranger = factories.access_token(await factories.user(Role.RECEPTIONIST, other))
    org_admin = factories.access_token(await factories.user(Role.ORG_ADMIN, practice, org=org))
    me = factories.access_token(await factories.user(Role.PATIENT, practice, patient_id=patient.id))
    base = {
        "patientId": str(patient.id),
        "purpose": "RESEARCH",
        "policyVersion": "r1",
        "method": "RECEPTION",
    }
    assert (await gql(client, RECORD, {"input": base}, token=stranger)).codes == ["NOT_FOUND"]
    assert (await gql(client, RECORD, {"input": base}, token=org_admin)).codes == ["FORBIDDEN"]
    assert (await gql(client, RECORD, {"input": base}, token=me)).codes == ["FORBIDDEN"]
    mine = {**base, "purpose": "MARKETING_EMAIL", "method": "PORTAL"}
    assert (await gql(client, RECORD, {"input": mine}, token=me)).errors == []
    assert (
        await gql(
            client,
            WITHDRAW,
            {"input": base},
            token=factories.access_token(await factories.user(Role.RECEPTIONIST, practice)),
        )
    ).codes == ["CONFLICT"]


async def test_portal_account_refused_under_16(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    child = await factories.patient(practice, date_of_birth=date.today() - timedelta(days=365 * 15))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    result = await gql(
        client,
        PORTAL,
        {
            "input": {
                "patientId": str(child.id),
                "email": "kid@example.test",
                "password": factories.PASSWORD,
            }
        },
        token=admin,
    )
    assert result.codes == ["FORBIDDEN"]
    assert result.data == {"createPortalAccount": None}

"""Breach response respects practice tenancy inside an organisation.

Practices of one organisation are separate tenants for a practice-level role: a practice admin's
breach report names only their own practices' patients, and another practice's user (or partner
client) as the subject answers exactly like a random id. An organisation admin reaches every
practice of the organisation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from db.models import BreachIncident, Practice
from services import audit
from services.policy import Role
from services.principal import Principal
from tests import factories
from tests.factories import gql

IMPACT = """query($user: ID, $client: String, $from: DateTime!, $to: DateTime!) {
  breachImpact(userId: $user, clientId: $client, from: $from, to: $to) { patientId }
}"""
RECORD = """mutation($input: RecordBreachIncidentInput!) {
  recordBreachIncident(input: $input) { incident { id } }
}"""


async def _organisation_with_two_practices() -> dict[str, Any]:
    org = await factories.organization()
    mine, theirs = await factories.practice(org), await factories.practice(org)
    my_patient, their_patient = await factories.patient(mine), await factories.patient(theirs)
    my_user = await factories.user(Role.RECEPTIONIST, mine)
    their_user = await factories.user(Role.RECEPTIONIST, theirs)
    for user, practice, patient in (
        (my_user, mine, my_patient),
        (their_user, theirs, their_patient),
    ):
        await audit.write(
            [
                audit.record_for(
                    Principal(user_id=user.id, roles=frozenset({Role.RECEPTIONIST})),
                    action="READ query Card",
                    organization_id=org.id,
                    practice_id=practice.id,
                    entity_type="Patient",
                    entity_id=patient.id,
                    patient_id=patient.id,
                )
            ]
        )
    return {
        "org": org,
        "my_patient": my_patient,
        "their_patient": their_patient,
        "my_user": my_user,
        "their_user": their_user,
        "practice_admin": factories.access_token(
            await factories.user(Role.PRACTICE_ADMIN, mine), mfa=True
        ),
        "org_admin": factories.access_token(await factories.user(Role.ORG_ADMIN, org=org)),
    }


def _window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }


def _error_shape(result: factories.GraphQLResult) -> list[tuple[Any, str, Any]]:
    return [
        (e.get("extensions", {}).get("code"), e["message"], e.get("path")) for e in result.errors
    ]


async def test_practice_admin_breach_impact_of_another_practices_user_answers_like_a_random_id(
    client: httpx.AsyncClient,
) -> None:
    world = await _organisation_with_two_practices()
    token = world["practice_admin"]
    foreign = await gql(
        client, IMPACT, {"user": str(world["their_user"].id), **_window()}, token=token
    )
    random = await gql(client, IMPACT, {"user": str(uuid.uuid4()), **_window()}, token=token)
    assert str(world["their_patient"].id) not in str(foreign.body)
    assert foreign.data == random.data
    assert _error_shape(foreign) == _error_shape(random)
    own = await gql(client, IMPACT, {"user": str(world["my_user"].id), **_window()}, token=token)
    assert own.data["breachImpact"] == [{"patientId": str(world["my_patient"].id)}]


async def test_practice_admin_breach_impact_never_names_another_practices_patients(
    client: httpx.AsyncClient,
) -> None:
    """A user who worked in both practices: the practice admin sees only their own practice's."""
    world = await _organisation_with_two_practices()
    both = world["my_user"]
    their_practice_id = world["their_patient"].practice_id
    await audit.write(
        [
            audit.record_for(
                Principal(user_id=both.id, roles=frozenset({Role.RECEPTIONIST})),
                action="READ query Card",
                organization_id=world["org"].id,
                practice_id=their_practice_id,
                entity_type="Patient",
                entity_id=world["their_patient"].id,
                patient_id=world["their_patient"].id,
            )
        ]
    )
    result = await gql(
        client, IMPACT, {"user": str(both.id), **_window()}, token=world["practice_admin"]
    )
    assert result.data["breachImpact"] == [{"patientId": str(world["my_patient"].id)}]


async def test_org_admin_breach_impact_reaches_every_practice_of_the_organisation(
    client: httpx.AsyncClient,
) -> None:
    world = await _organisation_with_two_practices()
    result = await gql(
        client, IMPACT, {"user": str(world["their_user"].id), **_window()}, token=world["org_admin"]
    )
    assert result.data["breachImpact"] == [{"patientId": str(world["their_patient"].id)}]


async def test_record_breach_incident_refuses_another_practices_user_like_a_random_id(
    client: httpx.AsyncClient,
) -> None:
    world = await _organisation_with_two_practices()
    token = world["practice_admin"]

    def incident(subject: str) -> dict[str, Any]:
        return {
            "input": {
                "organizationId": str(world["org"].id),
                "title": "Laptop lost",
                "detectedAt": datetime.now(UTC).isoformat(),
                "subjectUserId": subject,
            }
        }

    foreign = await gql(client, RECORD, incident(str(world["their_user"].id)), token=token)
    random = await gql(client, RECORD, incident(str(uuid.uuid4())), token=token)
    assert foreign.codes == ["NOT_FOUND"]
    assert _error_shape(foreign) == _error_shape(random)
    assert await BreachIncident.all().count() == 0
    own = await gql(client, RECORD, incident(str(world["my_user"].id)), token=token)
    assert own.errors == []
    as_org_admin = await gql(
        client, RECORD, incident(str(world["their_user"].id)), token=world["org_admin"]
    )
    assert as_org_admin.errors == []
    assert await BreachIncident.all().count() == 2


INCIDENTS = "{ breachIncidents { id title practiceId } }"


async def test_the_incident_register_is_per_practice_for_practice_level_roles(
    client: httpx.AsyncClient,
) -> None:
    world = await _organisation_with_two_practices()
    theirs = world["their_user"]
    their_practice = world["their_patient"].practice_id
    their_admin = factories.access_token(
        await factories.user(Role.PRACTICE_ADMIN, await Practice.get(id=their_practice))
    )

    def incident(title: str, **extra: str) -> dict[str, Any]:
        return {
            "input": {
                "organizationId": str(world["org"].id),
                "title": title,
                "detectedAt": datetime.now(UTC).isoformat(),
                **extra,
            }
        }

    mine = await gql(client, RECORD, incident("Ours"), token=world["practice_admin"])
    assert mine.errors == []
    other = await gql(
        client, RECORD, incident("Theirs", subjectUserId=str(theirs.id)), token=their_admin
    )
    assert other.errors == []
    whole = await gql(client, RECORD, incident("Organisation-wide"), token=world["org_admin"])
    assert whole.errors == []

    seen_by_me = await gql(client, INCIDENTS, token=world["practice_admin"])
    assert {i["title"] for i in seen_by_me.data["breachIncidents"]} == {"Ours"}
    seen_by_them = await gql(client, INCIDENTS, token=their_admin)
    assert {i["title"] for i in seen_by_them.data["breachIncidents"]} == {"Theirs"}
    assert {i["practiceId"] for i in seen_by_them.data["breachIncidents"]} == {str(their_practice)}
    seen_by_org = await gql(client, INCIDENTS, token=world["org_admin"])
    assert {i["title"] for i in seen_by_org.data["breachIncidents"]} == {
        "Ours",
        "Theirs",
        "Organisation-wide",
    }
    # Filing under another practice of the organisation answers like a random practice id.
    foreign = await gql(
        client,
        RECORD,
        incident("Sneaky", practiceId=str(their_practice)),
        token=world["practice_admin"],
    )
    random = await gql(
        client,
        RECORD,
        incident("Sneaky", practiceId=str(uuid.uuid4())),
        token=world["practice_admin"],
    )
    assert foreign.codes == ["NOT_FOUND"]
    assert _error_shape(foreign) == _error_shape(random)

"""Professional registrations over GraphQL: numbers checked per body, an expired one refused on
create, one per body, audited with a board event, listed on the practitioner, admins only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from db.models import AuditEvent, DomainEvent, ProfessionalRegistration
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.scheduling_fixtures import Diary, diary

RECORD = """
mutation R($input: RecordRegistrationInput!) {
  recordRegistration(input: $input) {
    registration { id practitionerId body number expiresOn prescriber revokedAt }
  }
}"""
UPDATE = """
mutation U($input: UpdateRegistrationInput!) {
  updateRegistration(input: $input) { registration { id number expiresOn prescriber } }
}"""
REVOKE = """
mutation V($input: RevokeRegistrationInput!) {
  revokeRegistration(input: $input) { registration { id revokedAt } }
}"""
LIST = """
query P($practiceId: ID!) {
  practitioners(practiceId: $practiceId) {
    edges { node { id registrations { body number expiresOn prescriber revokedAt } } }
  }
}"""
NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


async def _admin(d: Diary) -> str:
    return factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))


def recording(d: Diary, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "practiceId": str(d.practice.id),
            "practitionerId": str(d.dentist.id),
            "body": "GMC",
            "number": "1234567",
            "expiresOn": NEXT_YEAR,
            "prescriber": True,
            **overrides,
        }
    }


async def test_recording_is_audited_announced_and_listed_on_the_practitioner(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await _admin(d)
    result = await gql(client, RECORD, recording(d), token=admin)
    assert result.errors == []
    made = result.data["recordRegistration"]["registration"]
    assert (made["body"], made["number"], made["prescriber"]) == ("GMC", "1234567", True)
    assert await AuditEvent.filter(action="RECORD_REGISTRATION", entity_id=made["id"]).count() == 1
    event = await DomainEvent.get(entity_id=made["id"])
    assert (event.type, event.payload["entity"], event.payload["change"]) == (
        "setup.changed",
        "REGISTRATION",
        "CREATED",
    )
    listed = await gql(client, LIST, {"practiceId": str(d.practice.id)}, token=d.token)
    nodes = {n["node"]["id"]: n["node"] for n in listed.data["practitioners"]["edges"]}
    assert nodes[str(d.dentist.id)]["registrations"] == [
        {
            "body": "GMC",
            "number": "1234567",
            "expiresOn": NEXT_YEAR,
            "prescriber": True,
            "revokedAt": None,
        }
    ]


@pytest.mark.parametrize(
    ("body", "number", "stored"),
    [
        ("GMC", "1234567", "1234567"),
        ("NMC", "12a3456e", "12A3456E"),
        ("GDC", "123456", "123456"),
        ("GPHC", "2012 345", "2012345"),
        ("GMC", "123456", None),
        ("GMC", "12345678", None),
        ("NMC", "1234567E", None),
        ("GDC", "12AB", None),
        ("GPHC", "GB12345", None),
    ],
)
async def test_numbers_are_checked_per_body(
    client: httpx.AsyncClient, body: str, number: str, stored: str | None
) -> None:
    d = await diary()
    result = await gql(
        client, RECORD, recording(d, body=body, number=number), token=await _admin(d)
    )
    if stored is None:
        assert result.codes == ["BAD_USER_INPUT"]
        assert result.errors[0]["extensions"]["field"] == "number"
        assert await ProfessionalRegistration.filter(practitioner_id=d.dentist.id).count() == 0
    else:
        assert result.errors == []
        assert result.data["recordRegistration"]["registration"]["number"] == stored


async def test_bad_input_and_strangers_change_nothing(client: httpx.AsyncClient) -> None:
    d = await diary()
    admin = await _admin(d)
    other = await diary()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    cases = [
        (recording(d, expiresOn=yesterday), admin, "BAD_USER_INPUT", "expiresOn"),
        (recording(d, body="HCPC"), admin, "BAD_USER_INPUT", None),
        (recording(d, practitionerId=str(other.dentist.id)), admin, "NOT_FOUND", None),
        (recording(d, practitionerId="nope"), admin, "BAD_USER_INPUT", "practitionerId"),
        (recording(d), d.token, "FORBIDDEN", None),  # reception: no practice:write
        (recording(other), admin, "NOT_FOUND", None),  # like a random practice
    ]
    for variables, token, code, field in cases:
        result = await gql(client, RECORD, variables, token=token)
        assert result.codes == [code], (variables, result.errors)
        if field is not None:
            assert result.errors[0]["extensions"]["field"] == field
    assert await ProfessionalRegistration.all().count() == 0


async def test_update_revoke_and_record_again(client: httpx.AsyncClient) -> None:
    d = await diary()
    admin = await _admin(d)
    made = await gql(client, RECORD, recording(d), token=admin)
    reg_id = made.data["recordRegistration"]["registration"]["id"]
    twice = await gql(client, RECORD, recording(d, number="7654321"), token=admin)
    assert twice.codes == ["CONFLICT"]
    assert twice.errors[0]["extensions"]["field"] == "body"
    lapse = (date.today() - timedelta(days=3)).isoformat()
    change = {
        "practiceId": str(d.practice.id),
        "registrationId": reg_id,
        "number": "7654321",
        "expiresOn": lapse,
        "prescriber": False,
    }
    updated = await gql(client, UPDATE, {"input": change}, token=admin)
    assert updated.errors == []
    assert updated.data["updateRegistration"]["registration"]["expiresOn"] == lapse
    audit = await AuditEvent.get(action="UPDATE_REGISTRATION", entity_id=reg_id)
    assert sorted(audit.fields_read) == ["expires_on", "number", "prescriber"]
    ids = {"practiceId": str(d.practice.id), "registrationId": reg_id}
    first = await gql(client, REVOKE, {"input": ids}, token=admin)
    assert first.data["revokeRegistration"]["registration"]["revokedAt"] is not None
    again = await gql(client, REVOKE, {"input": ids}, token=admin)
    assert again.errors == []
    assert await AuditEvent.filter(action="REVOKE_REGISTRATION", entity_id=reg_id).count() == 1
    stale = await gql(client, UPDATE, {"input": change}, token=admin)
    assert stale.codes == ["CONFLICT"]
    renewed = await gql(client, RECORD, recording(d, number="1111111"), token=admin)
    assert renewed.errors == []
    row = renewed.data["recordRegistration"]["registration"]
    assert (row["id"], row["revokedAt"], row["number"]) == (reg_id, None, "1111111")
    foreign = await gql(
        client,
        REVOKE,
        {"input": {"practiceId": str(d.practice.id), "registrationId": str(d.practice.id)}},
        token=admin,
    )
    assert foreign.codes == ["NOT_FOUND"]

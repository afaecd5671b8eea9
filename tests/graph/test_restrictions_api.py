"""Restriction and objection over GraphQL: placed, listed, lifted; who may lift what."""

from __future__ import annotations

import uuid

import httpx

from db.models import AuditEvent, ProcessingRestriction
from services.policy import Role
from tests import factories
from tests.factories import gql

PLACE = """
mutation P($input: PlaceRestrictionInput!) {
  placeRestriction(input: $input) { restrictionId kind }
}"""
LIFT = """
mutation L($input: LiftRestrictionInput!) {
  liftRestriction(input: $input) { restriction { id kind reason liftedAt } }
}"""
IN_FORCE = "query F($p: ID!) { restrictionsInForce(patientId: $p) { id kind reason liftedAt } }"


def placing(patient_id: object, kind: str, reason: str = "Patient asked") -> dict[str, object]:
    return {"input": {"patientId": str(patient_id), "kind": kind, "reason": reason}}


def lifting(restriction_id: str) -> dict[str, object]:
    return {"input": {"restrictionId": restriction_id}}


async def test_staff_place_list_and_lift_a_restriction(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    placed = await gql(
        client, PLACE, placing(patient.id, "RESTRICTION", "Disputes accuracy"), token=admin
    )
    assert placed.errors == [], placed.errors
    restriction_id = placed.data["placeRestriction"]["restrictionId"]

    listed = await gql(client, IN_FORCE, {"p": str(patient.id)}, token=admin)
    assert listed.data["restrictionsInForce"] == [
        {
            "id": restriction_id,
            "kind": "RESTRICTION",
            "reason": "Disputes accuracy",
            "liftedAt": None,
        }
    ]
    lifted = await gql(client, LIFT, lifting(restriction_id), token=admin)
    assert lifted.errors == [], lifted.errors
    assert lifted.data["liftRestriction"]["restriction"]["liftedAt"] is not None

    assert (await gql(client, IN_FORCE, {"p": str(patient.id)}, token=admin)).data == {
        "restrictionsInForce": []
    }
    again = await gql(client, LIFT, lifting(restriction_id), token=admin)
    assert again.codes == ["NOT_FOUND"]  # already lifted: nothing in force to lift
    assert await AuditEvent.filter(action="LIFT restriction", patient_id=patient.id).count() == 1
    reads = await AuditEvent.filter(action__startswith="READ", patient_id=patient.id)
    assert any("restrictions" in row.fields_read for row in reads)


async def test_a_patient_withdraws_their_objection_but_cannot_lift_a_restriction(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    me = factories.access_token(await factories.user(Role.PATIENT, practice, patient_id=patient.id))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    objection = await gql(client, PLACE, placing(patient.id, "OBJECTION"), token=me)
    assert objection.errors == [], objection.errors
    restriction = await gql(client, PLACE, placing(patient.id, "RESTRICTION"), token=admin)
    restriction_id = restriction.data["placeRestriction"]["restrictionId"]

    refused = await gql(client, LIFT, lifting(restriction_id), token=me)
    assert refused.codes == ["FORBIDDEN"]
    assert (await ProcessingRestriction.get(id=restriction_id)).lifted_at is None

    withdrawn = await gql(
        client, LIFT, lifting(objection.data["placeRestriction"]["restrictionId"]), token=me
    )
    assert withdrawn.errors == [], withdrawn.errors
    kinds = await gql(client, IN_FORCE, {"p": str(patient.id)}, token=me)
    assert [row["kind"] for row in kinds.data["restrictionsInForce"]] == ["RESTRICTION"]


async def test_another_practice_can_neither_see_nor_lift(client: httpx.AsyncClient) -> None:
    practice, elsewhere = await factories.practice(), await factories.practice()
    patient = await factories.patient(practice)
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    stranger = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, elsewhere))
    placed = await gql(client, PLACE, placing(patient.id, "RESTRICTION"), token=admin)
    restriction_id = placed.data["placeRestriction"]["restrictionId"]

    assert (await gql(client, LIFT, lifting(restriction_id), token=stranger)).codes == ["NOT_FOUND"]
    assert (await gql(client, IN_FORCE, {"p": str(patient.id)}, token=stranger)).codes == [
        "NOT_FOUND"
    ]
    bad = await gql(client, LIFT, lifting("not-an-id"), token=admin)
    assert bad.codes == ["BAD_USER_INPUT"]
    row = await ProcessingRestriction.get(id=restriction_id)
    assert row.lifted_at is None


async def test_another_patients_objection_answers_like_a_random_id_for_a_patient(
    client: httpx.AsyncClient,
) -> None:
    """Same practice, someone else's record: the patient learns nothing, message included."""
    practice = await factories.practice()
    me, other = await factories.patient(practice), await factories.patient(practice)
    theirs = await ProcessingRestriction.create(
        practice_id=practice.id, patient_id=other.id, kind="OBJECTION", reason="Marketing"
    )
    portal = await factories.user(Role.PATIENT, practice, patient_id=me.id)
    token = factories.access_token(portal)
    foreign = await gql(client, LIFT, lifting(str(theirs.id)), token=token)
    random = await gql(client, LIFT, lifting(str(uuid.uuid4())), token=token)
    assert [(e["extensions"]["code"], e["message"]) for e in foreign.errors] == [
        ("NOT_FOUND", "Restriction not found.")
    ]
    assert foreign.body["errors"][0]["path"] == random.body["errors"][0]["path"]
    assert foreign.errors[0]["message"] == random.errors[0]["message"]
    assert (await ProcessingRestriction.get(id=theirs.id)).lifted_at is None

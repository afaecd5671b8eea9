"""Legal holds over GraphQL: placed and lifted by holders of legal_hold:write, with who, why and
until when, audited; retention honours them while in force and only then."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from db.models import AuditEvent, LegalHold, Patient
from services.consent import retention
from services.policy import Role
from tests import factories
from tests.factories import gql

PLACE = """
mutation P($input: PlaceLegalHoldInput!) {
  placeLegalHold(input: $input) {
    hold { id patientId reason heldUntil placedById releasedAt }
  }
}"""
LIFT = """
mutation L($input: LiftLegalHoldInput!) {
  liftLegalHold(input: $input) { hold { id releasedAt releasedById releaseReason } }
}"""
LIST = """
query H($p: ID!, $all: Boolean!) { legalHolds(practiceId: $p, inForceOnly: $all) { id } }"""
LONG_AGO = datetime(2000, 1, 10, tzinfo=UTC)


async def test_an_admin_places_and_lifts_a_hold_and_retention_follows(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice, last_activity_at=LONG_AGO)
    admin_user = await factories.user(Role.PRACTICE_ADMIN, practice)
    admin = factories.access_token(admin_user)
    until = (date.today() + timedelta(days=365)).isoformat()
    hold_input = {
        "practiceId": str(practice.id),
        "patientId": str(patient.id),
        "reason": "Claim 2026/114 (solicitor's letter)",
        "until": until,
    }

    placed = await gql(client, PLACE, {"input": hold_input}, token=admin)

    assert placed.errors == []
    hold = placed.data["placeLegalHold"]["hold"]
    assert hold["patientId"] == str(patient.id)
    assert hold["reason"] == "Claim 2026/114 (solicitor's letter)"
    assert (hold["heldUntil"], hold["placedById"], hold["releasedAt"]) == (
        until,
        str(admin_user.id),
        None,
    )
    audited = await AuditEvent.get(action="PLACE legal hold", entity_id=hold["id"])
    assert (str(audited.patient_id), audited.fields_read) == (
        str(patient.id),
        ["heldUntil", "reason"],
    )
    assert patient.id in (await retention.run(apply=False)).held
    listed = await gql(client, LIST, {"p": str(practice.id), "all": True}, token=admin)
    assert listed.data == {"legalHolds": [{"id": hold["id"]}]}

    lifted = await gql(
        client, LIFT, {"input": {"holdId": hold["id"], "reason": "Claim settled"}}, token=admin
    )

    assert lifted.errors == []
    done = lifted.data["liftLegalHold"]["hold"]
    assert (done["releasedById"], done["releaseReason"]) == (str(admin_user.id), "Claim settled")
    assert done["releasedAt"] is not None
    assert await AuditEvent.exists(action="LIFT legal hold", entity_id=hold["id"])
    assert patient.id not in (await retention.run(apply=False)).held
    again = await gql(
        client, LIFT, {"input": {"holdId": hold["id"], "reason": "Twice"}}, token=admin
    )
    assert again.codes == ["CONFLICT"]


async def test_holds_need_the_scope_and_valid_input_and_change_nothing_otherwise(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    stranger = await factories.patient(await factories.practice())
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    base = {"practiceId": str(practice.id), "patientId": str(patient.id), "reason": "Inquest"}

    by_desk = await gql(client, PLACE, {"input": base}, token=desk)
    foreign = {**base, "patientId": str(stranger.id)}
    other_practice = await gql(client, PLACE, {"input": foreign}, token=admin)
    no_reason = await gql(client, PLACE, {"input": {**base, "reason": "  "}}, token=admin)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    past = await gql(client, PLACE, {"input": {**base, "until": yesterday}}, token=admin)

    assert by_desk.codes == ["FORBIDDEN"]
    assert other_practice.codes == ["NOT_FOUND"]
    assert no_reason.codes == ["BAD_USER_INPUT"]
    assert past.codes == ["BAD_USER_INPUT"]
    assert await LegalHold.all().count() == 0
    assert await AuditEvent.exists(action="PLACE legal hold", outcome="DENIED")


async def test_a_hold_past_its_end_date_no_longer_blocks_retention(db: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice, last_activity_at=LONG_AGO)
    ended = date.today() - timedelta(days=1)
    await LegalHold.create(
        practice_id=practice.id, patient_id=patient.id, reason="Ended", held_until=ended
    )
    report = await retention.run(apply=True)
    assert patient.id not in report.held
    assert (await Patient.get(id=patient.id)).first_name == "Anonymised"

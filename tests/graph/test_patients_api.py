"""The patient API end to end: every encrypted field round-trips, search, rectification."""

from __future__ import annotations

import uuid

import httpx

from db.models import AuditEvent, Patient
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.patient_support import (
    FULL,
    SECRETS,
    SET_INSURANCE,
    create,
    record_history,
    staff,
)

UPDATE = """
mutation Up($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { changedFields patient { email mobilePhone } }
}
"""


async def test_every_encrypted_field_round_trips(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.DENTIST, practice)
    created = await create(client, token, practice, sexAtBirth="FEMALE", **SECRETS)
    await record_history(client, token, created["id"])
    insurance = {
        "patientId": created["id"],
        "provider": "Denplan",
        "planType": "CAPITATION",
        "plan": "Essentials",
        "policyNumber": "SECRETPOL-778812",
        "paymentToken": "tok_secret_4242abcd",
    }
    _, billing = await staff(Role.PRACTICE_ADMIN, practice)
    assert (await gql(client, SET_INSURANCE, {"input": insurance}, token=billing)).errors == []
    update = {"clinicalNotes": "Secretclinical crown on 36"}
    assert (
        await gql(client, UPDATE, {"id": created["id"], "input": update}, token=token)
    ).errors == []

    result = await gql(client, FULL, {"id": created["id"]}, token=token)

    assert result.errors == []
    patient = result.data["patient"]
    assert patient["firstName"] == "Zoë"
    assert patient["lastName"] == "O'Brien"
    assert patient["patientNumber"] == 1
    assert patient["email"] == SECRETS["email"]
    assert patient["mobilePhone"] == SECRETS["mobilePhone"]
    assert patient["landlinePhone"] == SECRETS["landlinePhone"]
    assert patient["nhsNumber"] == "943 476 5919"
    assert patient["genderIdentity"] == SECRETS["genderIdentity"]
    assert patient["receptionNotes"] == SECRETS["receptionNotes"]
    assert patient["address"] == {
        "line1": "221B Secretbaker Street",
        "line2": None,
        "town": "London",
        "county": None,
        "postcode": "NW1 6XE",
    }
    assert patient["emergencyContact"] == {
        "name": "Marta Secretcontact",
        "phone": "07700 900456",
        "relationship": None,
    }
    assert patient["gp"]["practiceName"] == "Secretgp Surgery"
    assert patient["clinicalNotes"] == "Secretclinical crown on 36"
    assert patient["hasMedicalAlert"] is True
    assert patient["alerts"] == [
        "Allergy: Penicillin (severe)",
        "Takes anticoagulants (bleeding risk)",
    ]
    history = patient["medicalHistory"]
    assert history["version"] == 1
    assert history["attestation"] == "CLINICIAN_CONFIRMED"
    assert history["medications"] == [{"name": "Warfarin", "dose": "5mg daily"}]
    assert history["notes"] == "Secrethistory notes"
    assert patient["insurance"] == {
        "provider": "Denplan",
        "planType": "CAPITATION",
        "plan": "Essentials",
        "policyNumber": "SECRETPOL-778812",
        "paymentTokenLast4": "abcd",
        "validUntil": None,
    }


async def test_update_audits_changed_field_names_never_values(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    created = await create(client, token, practice, email="old@example.test")
    changes = {"email": "new@example.test", "mobilePhone": "07700 900999", "title": None}

    result = await gql(client, UPDATE, {"id": created["id"], "input": changes}, token=token)

    assert result.errors == []
    assert sorted(result.data["updatePatient"]["changedFields"]) == ["email", "mobilePhone"]
    rows = await AuditEvent.filter(action="UPDATE patient", patient_id=created["id"])
    assert [r.fields_read for r in rows] == [["email", "mobilePhone"]]
    assert "new@example.test" not in str([r.__dict__ for r in rows])


async def test_receptionist_cannot_change_clinical_notes(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    created = await create(client, token, practice)

    result = await gql(
        client, UPDATE, {"id": created["id"], "input": {"clinicalNotes": "x"}}, token=token
    )

    assert result.codes == ["FORBIDDEN"]


async def test_invalid_inputs_name_the_field(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    created = await create(client, token, practice)
    cases = {
        "nhsNumber": ("943 476 5918", "nhsNumber"),
        "email": ("not-an-email", "email"),
        "address": ({"line1": "1 Road", "postcode": "ZZ99 ZZZ9"}, "address.postcode"),
        "mobilePhone": ("12", "mobilePhone"),
        "firstName": ("", "firstName"),
    }
    for name, (value, field) in cases.items():
        result = await gql(
            client, UPDATE, {"id": created["id"], "input": {name: value}}, token=token
        )
        assert result.codes == ["BAD_USER_INPUT"], name
        assert result.errors[0]["extensions"]["field"] == field


async def test_duplicate_nhs_number_is_a_conflict(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    await create(client, token, practice, nhsNumber="9434765919")
    from tests.graph.patient_support import CREATE

    payload = {
        "practiceId": str(practice.id),
        "firstName": "Dup",
        "lastName": "Licate",
        "dateOfBirth": "1990-01-01",
        "nhsNumber": "943-476-5919",
    }
    result = await gql(client, CREATE, {"input": payload}, token=token)

    assert result.codes == ["CONFLICT"]
    assert result.errors[0]["extensions"]["field"] == "nhsNumber"


async def test_card_numbers_are_refused(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.PRACTICE_ADMIN, practice)
    created = await create(client, token, practice)
    insurance = {"patientId": created["id"], "provider": "X", "paymentToken": "4242424242424242"}

    result = await gql(client, SET_INSURANCE, {"input": insurance}, token=token)

    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "paymentToken"


async def test_create_patient_with_a_preferred_practitioner(client: httpx.AsyncClient) -> None:
    """Found by the generated foreign-id probe: the argument crashed (INTERNAL_SERVER_ERROR)."""
    from tests.graph.patient_support import CREATE

    org = await factories.organization()
    practice, neighbour = await factories.practice(org), await factories.practice(org)
    admin, token = await staff(Role.PRACTICE_ADMIN, practice)
    theirs = await factories.user(Role.DENTIST, neighbour, org=org)
    payload = {
        "practiceId": str(practice.id),
        "firstName": "Pref",
        "lastName": "Erred",
        "dateOfBirth": "1990-01-01",
    }
    answers = []
    for who in (str(theirs.id), str(uuid.uuid4())):
        result = await gql(
            client, CREATE, {"input": {**payload, "preferredPractitionerId": who}}, token=token
        )
        answers.append([(e["extensions"]["code"], e["message"]) for e in result.errors])
    assert answers[0] == answers[1] == [("NOT_FOUND", "Practitioner not found.")]
    mine = await gql(
        client,
        CREATE,
        {"input": {**payload, "preferredPractitionerId": str(admin.id)}},
        token=token,
    )
    assert mine.errors == []
    created = await Patient.get(id=mine.data["createPatient"]["patient"]["id"])
    assert str(created.preferred_practitioner_id) == str(admin.id)

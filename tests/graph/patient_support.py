"""Shared documents and builders for the patient API tests."""

from __future__ import annotations

from typing import Any

import httpx

from db.models import Practice, User
from services.policy import Role
from tests import factories
from tests.factories import gql

CREATE = """
mutation Create($input: CreatePatientInput!) {
  createPatient(input: $input) { patient { id patientNumber } }
}
"""
FULL = """
fragment Full on Patient {
  id firstName lastName dateOfBirth status patientNumber
  sexAtBirth genderIdentity email mobilePhone landlinePhone nhsNumber receptionNotes
  address { line1 line2 town county postcode }
  emergencyContact { name phone relationship }
  gp { practiceName doctorName phone address { line1 postcode } }
  hasMedicalAlert alerts clinicalNotes
  insurance { provider planType plan policyNumber paymentTokenLast4 validUntil }
  medicalHistory { version attestation conditions alerts allergies { substance severity }
                   medications { name dose } anticoagulants notes }
}
query One($id: ID!) { patient(id: $id) { ...Full } }
"""
SEARCH = """
query Search($practiceId: ID!, $search: String, $first: Int, $after: String) {
  patients(practiceId: $practiceId, search: $search, first: $first, after: $after) {
    edges { cursor node { id lastName } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
RECORD_HISTORY = """
mutation Record($input: RecordMedicalHistoryInput!) {
  recordMedicalHistory(input: $input) { medicalHistory { id version } patient { id } }
}
"""
SET_INSURANCE = """
mutation Ins($input: SetPatientInsuranceInput!) {
  setPatientInsurance(input: $input) { insurance { id } changedFields }
}
"""

SECRETS: dict[str, Any] = {
    "email": "zoe.secret@example.test",
    "mobilePhone": "07700 900123",
    "landlinePhone": "020 7946 0999",
    "nhsNumber": "943 476 5919",
    "genderIdentity": "Non-binary secretgender",
    "receptionNotes": "Prefers afternoon slots secretnote",
    "address": {"line1": "221B Secretbaker Street", "town": "London", "postcode": "nw1 6xe"},
    "emergencyContact": {"name": "Marta Secretcontact", "phone": "07700 900456"},
    "gp": {"practiceName": "Secretgp Surgery", "doctorName": "Dr Who", "phone": "020 7946 0000"},
}


async def staff(role: Role, practice: Practice) -> tuple[User, str]:
    user = await factories.user(role, practice)
    return user, factories.access_token(user)


async def create(
    client: httpx.AsyncClient, token: str, practice: Practice, **values: Any
) -> dict[str, Any]:
    payload = {
        "practiceId": str(practice.id),
        "firstName": values.pop("firstName", "Zoë"),
        "lastName": values.pop("lastName", "O'Brien"),
        "dateOfBirth": values.pop("dateOfBirth", "1985-03-14"),
        **values,
    }
    result = await gql(client, CREATE, {"input": payload}, token=token)
    assert result.errors == [], result.errors
    return dict(result.data["createPatient"]["patient"])


async def record_history(client: httpx.AsyncClient, token: str, patient_id: str) -> None:
    answers = {
        "patientId": patient_id,
        "attestation": "CLINICIAN_CONFIRMED",
        "conditions": ["Secretcondition asthma"],
        "allergies": [{"substance": "Penicillin", "severity": "SEVERE"}],
        "medications": [{"name": "Warfarin", "dose": "5mg daily"}],
        "anticoagulants": True,
        "notes": "Secrethistory notes",
    }
    result = await gql(client, RECORD_HISTORY, {"input": answers}, token=token)
    assert result.errors == [], result.errors

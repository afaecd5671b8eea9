"""The patient export: every patient-linked table including history, structured values as
nested objects, and a published JSON Schema (export.schema.json) that real exports satisfy."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator

from services.consent import export, export_format
from services.consent.anonymise import TABLE_CATEGORY
from services.consent.registry import patient_linked_tables
from services.policy import Role
from tests.factories import gql
from tests.graph.patient_support import SECRETS, record_history, staff
from tests.scheduling_fixtures import diary, iso

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "export.schema.json"
REGENERATE = "run `make schema` (aescrm export-format-schema --output export.schema.json)"
UPDATE = """
mutation Up($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { changedFields }
}"""
BOOK = """
mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { appointment { id } }
}"""
RESCHEDULE = """
mutation M($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { appointment { startsAt } }
}"""
EXPORT = """
mutation E($id: ID!) { exportPatientData(patientId: $id) { document summary } }"""
HISTORY_TABLES = {"appointment_change", "appointment_resource", "schedule_block"}


def _read_schema_file() -> str:
    assert SCHEMA_FILE.exists(), f"export.schema.json is missing: {REGENERATE}"
    return SCHEMA_FILE.read_text(encoding="utf-8")


async def test_registry_covers_history_tables_and_each_has_an_erasure_category(db: str) -> None:
    tables = patient_linked_tables()
    assert tables >= HISTORY_TABLES
    assert sorted(tables - set(TABLE_CATEGORY)) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_export_schema_file_is_up_to_date(db: str) -> None:
    assert _read_schema_file() == export_format.schema_text(), f"stale: {REGENERATE}"


async def test_an_export_has_history_and_nested_objects_and_matches_the_schema(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    patient_id = str(d.patient.id)
    structured = {k: SECRETS[k] for k in ("address", "emergencyContact", "gp")}
    changed = await gql(client, UPDATE, {"id": patient_id, "input": structured}, token=d.token)
    assert changed.errors == []
    _, dentist = await staff(Role.DENTIST, d.practice)
    await record_history(client, dentist, patient_id)
    booking = {
        "practiceId": str(d.practice.id),
        "patientId": patient_id,
        "practitionerId": str(d.dentist.id),
        "appointmentTypeId": str(d.exam.id),
        "startsAt": iso(d.at(7, 10)),
    }
    booked = await gql(client, BOOK, {"input": booking}, token=d.token)
    assert booked.errors == []
    appointment_id = booked.data["bookAppointment"]["appointment"]["id"]
    moved = {"appointmentId": appointment_id, "startsAt": iso(d.at(7, 11))}
    assert (await gql(client, RESCHEDULE, {"input": moved}, token=d.token)).errors == []

    result = await gql(client, EXPORT, {"id": patient_id}, token=d.token)

    assert result.errors == []
    doc = result.data["exportPatientData"]["document"]
    records = doc["records"]
    assert set(doc["tables"]) == patient_linked_tables()
    changes = records["appointment_change"]
    assert [c["appointment_id"] for c in changes] == [appointment_id] * len(changes)
    assert "RESCHEDULED" in {c["kind"] for c in changes}
    assert any(c["after"].get("starts_at", "").startswith(iso(d.at(7, 11))[:16]) for c in changes)
    person = records["patient"][0]
    assert person["address"]["line1"] == "221B Secretbaker Street"
    assert person["emergency_contact"]["name"] == "Marta Secretcontact"
    assert person["gp_details"]["practice_name"] == "Secretgp Surgery"
    content = records["medical_history"][0]["content"]
    assert isinstance(content, dict)
    assert "Secretcondition asthma" in content["conditions"]
    full = {**doc, "summary": result.data["exportPatientData"]["summary"]}
    schema = export_format.json_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(full)]
    assert problems == []


async def test_the_schema_refuses_json_text_where_an_object_belongs(db: str) -> None:
    schema = export_format.json_schema()
    row = schema["properties"]["records"]["properties"]["patient"]["items"]
    validator = Draft202012Validator(row["properties"]["address"])
    assert validator.is_valid({"line1": "1 High St"})
    assert validator.is_valid(None)
    assert not validator.is_valid('{"line1": "1 High St"}')
    assert schema["properties"]["format"]["const"] == export.FORMAT

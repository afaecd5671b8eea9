"""Every column holding free text or contact data is encrypted, or declared public with a reason.

The README promises what is encrypted at rest; this walks the Tortoise model registry so a new
text column fails here until someone decides: add it to the encrypted columns (which key
rotation also walks), or declare it in the model's ``plaintext_columns`` with the reason.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import httpx
from tortoise import Tortoise, connections
from tortoise import fields as tfields

from db.crypto import FieldContext
from db.migration_keys import MIGRATION_KEYRING
from db.models import Appointment
from services import runtime
from services.patients import key_rotation
from tests.factories import gql
from tests.scheduling_fixtures import diary, iso

TEXT_FIELDS = (tfields.CharField, tfields.TextField, tfields.JSONField)
NOTE = "Secretreception: prefers the ground-floor surgery"

BOOK = """
mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { appointment { id receptionNotes } }
}"""
BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) { appointments { receptionNotes } }
}"""


def _encrypted() -> set[tuple[str, str]]:
    return {
        (str(target.model._meta.db_table), column)
        for target in key_rotation.targets()
        for column in target.columns
    }


def _text_columns() -> list[tuple[Any, str]]:
    found: list[tuple[Any, str]] = []
    for app in Tortoise.apps.values():
        for model in app.values():
            for name, field in model._meta.fields_map.items():
                if isinstance(field, TEXT_FIELDS):
                    found.append((model, name))
    return found


async def test_every_text_column_is_encrypted_or_declared_public_with_a_reason(db: str) -> None:
    encrypted = _encrypted()
    undeclared: list[str] = []
    both: list[str] = []
    for model, column in _text_columns():
        table = str(model._meta.db_table)
        public: dict[str, str] = getattr(model, "plaintext_columns", {})
        reason = public.get(column, "").strip()
        if (table, column) in encrypted and column in public:
            both.append(f"{table}.{column}")
        elif (table, column) not in encrypted and len(reason) < 8:
            undeclared.append(f"{table}.{column}")
    assert undeclared == [], f"encrypt or declare in plaintext_columns with a reason: {undeclared}"
    assert both == []
    assert ("appointment", "reception_notes") in encrypted
    assert ("appointment", "clinical_note") in encrypted


async def test_declarations_name_real_text_columns(db: str) -> None:
    stale: list[str] = []
    for app in Tortoise.apps.values():
        for model in app.values():
            fields_map = model._meta.fields_map
            for column in getattr(model, "plaintext_columns", {}):
                if not isinstance(fields_map.get(column), TEXT_FIELDS):
                    stale.append(f"{model._meta.db_table}.{column}")
    assert stale == []


async def test_appointment_reception_notes_are_stored_encrypted(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    variables = {
        "input": {
            "practiceId": str(d.practice.id),
            "patientId": str(d.patient.id),
            "practitionerId": str(d.dentist.id),
            "appointmentTypeId": str(d.exam.id),
            "startsAt": iso(d.at(7, 10)),
            "receptionNotes": NOTE,
        }
    }
    made = await gql(client, BOOK, variables, token=d.token)
    assert made.errors == []
    appointment_id = made.data["bookAppointment"]["appointment"]["id"]
    assert made.data["bookAppointment"]["appointment"]["receptionNotes"] == NOTE
    (stored,) = await Appointment.filter(id=appointment_id).values_list(
        "reception_notes", flat=True
    )
    assert "Secretreception" not in stored
    assert stored.startswith("v1.")
    span = {"practiceId": str(d.practice.id), "from": iso(d.at(7, 0)), "to": iso(d.at(8, 0))}
    board = await gql(client, BOARD, span, token=d.token)
    assert board.errors == []
    assert [row["receptionNotes"] for row in board.data["schedule"]["appointments"]] == [NOTE]


async def test_migration_0007_encrypts_existing_plaintext_notes_once(db: str) -> None:
    migration = import_module("db.migrations.0007_privacy_promises")
    d = await diary()
    row = Appointment(
        practice_id=d.practice.id,
        patient_id=d.patient.id,
        practitioner_id=d.dentist.id,
        room_id=d.room.id,
        appointment_type_id=d.exam.id,
        starts_at=d.at(7, 10),
        ends_at=d.at(7, 10, 30),
    )
    await row.save()
    await Appointment.filter(id=row.id).update(reception_notes=NOTE)  # as stored before 0007
    editor = type("Editor", (), {"client": connections.get(Appointment._meta.default_connection)})
    token = MIGRATION_KEYRING.set(runtime.keyring())
    try:
        await migration.encrypt_notes(None, editor)
        (first,) = await Appointment.filter(id=row.id).values_list("reception_notes", flat=True)
        await migration.encrypt_notes(None, editor)  # a re-run leaves encrypted values alone
        (second,) = await Appointment.filter(id=row.id).values_list("reception_notes", flat=True)
    finally:
        MIGRATION_KEYRING.reset(token)
    assert first == second
    ctx = FieldContext(str(d.practice.id), "appointment", "reception_notes", str(row.id))
    assert runtime.keyring().decrypt(first, ctx) == NOTE

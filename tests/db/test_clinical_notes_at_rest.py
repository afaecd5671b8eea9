"""Clinical note text and amendments are ciphertext at rest, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx

from services.policy import Role
from tests import factories
from tests.graph.clinical_note_support import AMEND, SIGN, act, create_note
from tests.graph.patient_support import staff

PLAINTEXTS = ["Secretnotetext", "Secretfindings", "Secretamendtext", "Secretamendreason"]
TABLES = ("clinical_note", "clinical_note_amendment", "audit_event", "domain_event")


async def _raw_dump(database_url: str) -> bytes:
    if database_url.startswith("sqlite://"):
        main = Path(database_url.removeprefix("sqlite://"))
        files = [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-journal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    connection = await asyncpg.connect(database_url)
    try:
        rows = []
        for table in TABLES:
            rows += await connection.fetch(f'SELECT * FROM "{table}"')
    finally:
        await connection.close()
    return repr([dict(r) for r in rows]).encode()


async def test_no_note_plaintext_is_stored(client: httpx.AsyncClient, database_url: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, token = await staff(Role.DENTIST, practice)
    template = await client.post(
        "/graphql",
        json={
            "query": "mutation T($input: CreateNoteTemplateInput!) { createNoteTemplate("
            "input: $input) { template { id } } }",
            "variables": {
                "input": {
                    "practiceId": str(practice.id),
                    "name": "Examination",
                    "fields": [{"key": "findings", "label": "Findings"}],
                }
            },
        },
        headers={"authorization": f"Bearer {token}"},
    )
    template_id = template.json()["data"]["createNoteTemplate"]["template"]["id"]
    created = await create_note(
        client,
        token,
        patient.id,
        text="Secretnotetext about 46",
        templateId=template_id,
        fields=[{"key": "findings", "value": "Secretfindings mesial"}],
    )
    note_id = created.data["createClinicalNote"]["note"]["id"]
    assert (await act(client, SIGN, token, id=note_id)).errors == []
    amended = await act(
        client, AMEND, token, id=note_id, text="Secretamendtext", reason="Secretamendreason"
    )
    assert amended.errors == []

    dump = await _raw_dump(database_url)

    assert b"v1." in dump  # the ciphertext is there
    for secret in PLAINTEXTS:
        assert secret.encode() not in dump, secret
        assert secret.encode("utf-16-le") not in dump, secret

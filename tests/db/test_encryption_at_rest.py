"""Data at rest: no plaintext in a raw dump, tampering detected, rotation while serving."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import asyncpg
import httpx
import pytest

from db import audit_chain
from db.crypto import KeyRing
from db.models import MedicalHistory, Patient, PatientInsurance
from db.models.audit import AuditEvent
from services import runtime
from services.patients import key_rotation
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.patient_support import FULL, SECRETS, SET_INSURANCE, create, record_history, staff

PLAINTEXTS = [
    "zoe.secret@example.test",
    "900123",
    "9434765919",
    "943 476 5919",
    "secretgender",
    "secretnote",
    "Secretbaker",
    "Secretcontact",
    "Secretgp",
    "Secretcondition",
    "Warfarin",
    "Secrethistory",
    "SECRETPOL",
    "tok_secret",
]


async def _seed(client: httpx.AsyncClient) -> str:
    practice = await factories.practice()
    _, token = await staff(Role.PRACTICE_ADMIN, practice)
    _, dentist = await staff(Role.DENTIST, practice)
    created = await create(client, token, practice, **SECRETS)
    await record_history(client, dentist, created["id"])
    insurance = {
        "patientId": created["id"],
        "provider": "Bupa",
        "policyNumber": "SECRETPOL-1",
        "paymentToken": "tok_secret_1",
    }
    assert (await gql(client, SET_INSURANCE, {"input": insurance}, token=token)).errors == []
    return dentist


async def _raw_dump(database_url: str) -> bytes:
    if database_url.startswith("sqlite://"):
        main = Path(database_url.removeprefix("sqlite://"))
        # The write-ahead log holds recent pages: it is data at rest too.
        files = [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-journal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    connection = await asyncpg.connect(database_url)
    try:
        rows = []
        for table in ("patient", "medical_history", "patient_insurance", "audit_event"):
            rows += await connection.fetch(f'SELECT * FROM "{table}"')
    finally:
        await connection.close()
    return repr([dict(r) for r in rows]).encode()


async def test_raw_database_holds_no_plaintext(
    client: httpx.AsyncClient, database_url: str
) -> None:
    await _seed(client)

    dump = await _raw_dump(database_url)

    assert b"v1." in dump  # the ciphertext is there
    for secret in PLAINTEXTS:
        assert secret.encode() not in dump, secret
        assert secret.encode("utf-16-le") not in dump, secret


async def test_tampered_ciphertext_is_a_clear_logged_error(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = await _seed(client)
    patient = await Patient.first()
    assert patient is not None
    assert patient.email is not None
    head, payload = patient.email.rsplit(".", 1)
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    other = await factories.patient(await patient.practice)
    # One value tampered in place, one copied from another row.
    await Patient.filter(id=patient.id).update(email=f"{head}.{flipped}")
    await Patient.filter(id=other.id).update(email=patient.mobile_phone)

    with caplog.at_level(logging.ERROR, logger="aescrm.integrity"):
        result = await gql(client, FULL, {"id": str(patient.id)}, token=token)
        copied = await gql(
            client,
            "query($id: ID!) { patient(id: $id) { email } }",
            {"id": str(other.id)},
            token=token,
        )

    assert result.data["patient"]["email"] is None
    assert result.data["patient"]["mobilePhone"] == SECRETS["mobilePhone"]
    assert result.codes == ["DATA_INTEGRITY_ERROR"]
    assert result.errors[0]["path"] == ["patient", "email"]
    assert copied.codes == ["DATA_INTEGRITY_ERROR"]
    logged = [r for r in caplog.records if r.name == "aescrm.integrity"]
    assert len(logged) == 2
    assert logged[0].column == "email"  # type: ignore[attr-defined]
    assert SECRETS["email"] not in caplog.text


async def test_tampered_ciphertext_is_audited_as_an_integrity_failure(
    client: httpx.AsyncClient,
) -> None:
    token = await _seed(client)
    patient = await Patient.first()
    assert patient is not None
    assert patient.email is not None
    assert patient.mobile_phone is not None
    head, payload = patient.email.rsplit(".", 1)
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    await Patient.filter(id=patient.id).update(email=f"{head}.{flipped}")
    insurance = await PatientInsurance.get(patient_id=patient.id)
    other = await factories.patient(await patient.practice)
    # A policy number copied from another row's column: authentic, but not this value.
    await PatientInsurance.filter(id=insurance.id).update(policy_number=patient.mobile_phone)
    before = await AuditEvent.filter(patient_id=patient.id).count()

    result = await gql(client, FULL, {"id": str(patient.id)}, token=token)

    assert sorted(result.codes) == ["DATA_INTEGRITY_ERROR", "DATA_INTEGRITY_ERROR"]
    rows = await AuditEvent.filter(patient_id=patient.id).order_by("seq").offset(before)
    failures = {(r.entity_type, r.entity_id): r for r in rows if r.outcome == "INTEGRITY_ERROR"}
    assert set(failures) == {("Patient", str(patient.id)), ("PatientInsurance", str(insurance.id))}
    assert failures["Patient", str(patient.id)].fields_read == ["email"]
    assert failures["Patient", str(patient.id)].action == "INTEGRITY_FAILURE query One"
    assert failures["PatientInsurance", str(insurance.id)].fields_read == ["policyNumber"]
    assert all(r.practice_id == patient.practice_id for r in failures.values())
    # The OK read names what was shown, and no longer the value that could not be.
    (read,) = [r for r in rows if r.outcome == "OK" and r.entity_type == "Patient"]
    assert "email" not in read.fields_read
    assert "mobilePhone" in read.fields_read
    assert other.id not in {r.patient_id for r in rows}
    assert (await audit_chain.verify(str(read.chain))).ok


async def test_rotation_while_serving_with_old_and_new_keys(client: httpx.AsyncClient) -> None:
    token = await _seed(client)
    practice = await (await Patient.first()).practice  # type: ignore[union-attr]
    for n in range(30):
        await factories.patient(practice, last_name=f"Bulk{n}", email=None)
    old_ring = runtime.keyring()
    new_ring, new_key = old_ring.with_new_key()
    runtime.replace_keyring(new_ring)  # step 1 done: every server reads both, writes the new
    patient = await Patient.filter(email__not_isnull=True).first()
    assert patient is not None
    query = "query($id: ID!) { patient(id: $id) { email alerts insurance { policyNumber } } }"
    answers: list[dict[str, object]] = []

    async def keep_reading() -> None:
        for _ in range(15):
            result = await gql(client, query, {"id": str(patient.id)}, token=token)
            assert result.errors == []
            answers.append(result.data["patient"])
            await asyncio.sleep(0)

    reader = asyncio.create_task(keep_reading())
    report = await key_rotation.rotate(batch_size=7)
    await reader

    assert report.key_id == new_key
    assert report.rewritten["patient"] == 31
    assert report.rewritten["medical_history"] == 1
    assert report.rewritten["patient_insurance"] == 1
    assert await key_rotation.pending() == 0
    assert all(a["email"] == SECRETS["email"] for a in answers)
    assert all(a["insurance"] == {"policyNumber": "SECRETPOL-1"} for a in answers)
    for row in await Patient.all():
        assert row.clinical_notes is None or row.clinical_notes.startswith(f"v1.{new_key}.")
    history = await MedicalHistory.first()
    insurance = await PatientInsurance.first()
    assert history is not None
    assert history.content.startswith(f"v1.{new_key}.")
    assert insurance is not None
    assert str(insurance.policy_number).startswith(f"v1.{new_key}.")
    # The old ring alone can no longer read rotated values; a re-run finds nothing to do.
    with pytest.raises(Exception, match="unknown key id"):
        old_ring.decrypt(
            history.content,
            __import__("services.patients.sealing").patients.sealing.context(history, "content"),
        )
    assert (await key_rotation.rotate()).total == 0


async def test_blind_index_survives_rotation(client: httpx.AsyncClient) -> None:
    token = await _seed(client)
    practice_id = str((await Patient.first()).practice_id)  # type: ignore[union-attr]
    runtime.replace_keyring(runtime.keyring().with_new_key()[0])
    await key_rotation.rotate()
    search = (
        "query($p: ID!, $s: String) "
        "{ patients(practiceId: $p, search: $s) { edges { node { id } } } }"
    )

    result = await gql(
        client, search, {"p": practice_id, "s": SECRETS["email"].upper()}, token=token
    )

    assert len(result.data["patients"]["edges"]) == 1


def test_ring_type_is_the_crypto_ring() -> None:
    assert isinstance(KeyRing.generate(), KeyRing)

"""Uploading and opening documents over ``/documents``, on the file store and on S3."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from PIL import Image

from db.models import AuditEvent, Document
from graph.settings import Settings
from services import runtime
from services.patients import key_rotation
from services.policy import Role
from tests import factories
from tests.documents.conftest import jpeg, png, s3_objects
from tests.factories import gql
from tests.graph.visibility_world import partner_token

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 400


async def _clinic() -> dict[str, Any]:
    practice = await factories.practice()
    other = await factories.practice()
    patient = await factories.patient(practice)
    dentist = await factories.user(Role.DENTIST, practice)
    return {
        "practice": practice,
        "patient": patient,
        "dentist": factories.access_token(dentist),
        "reception": factories.access_token(await factories.user(Role.RECEPTIONIST, practice)),
        "stranger": factories.access_token(await factories.user(Role.DENTIST, other)),
        "other_patient": await factories.patient(other),
    }


async def _upload(
    client: httpx.AsyncClient,
    token: str | None,
    patient_id: object,
    data: bytes,
    content_type: str = "image/jpeg",
    **params: str,
) -> httpx.Response:
    query = {"patientId": str(patient_id), "kind": "XRAY", "title": "Bitewing left", **params}
    headers = {"content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.post("/documents", params=query, content=data, headers=headers)


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_an_xray_uploaded_opens_byte_for_byte_with_a_thumbnail_and_each_opening_is_audited(
    client: httpx.AsyncClient,
) -> None:
    clinic = await _clinic()
    image = jpeg()
    uploaded = await _upload(
        client, clinic["dentist"], clinic["patient"].id, image, filename="bitewing-L.jpg"
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert (body["width"], body["height"], body["sizeBytes"]) == (1200, 800, len(image))
    auth = {"authorization": f"Bearer {clinic['dentist']}"}
    opened = await client.get(f"/documents/{body['id']}", headers=auth)
    assert opened.status_code == 200
    assert opened.content == image
    assert opened.headers["content-type"] == "image/jpeg"
    assert opened.headers["cache-control"] == "no-store"
    assert "bitewing-L.jpg" in opened.headers["content-disposition"]
    thumb = await client.get(f"/documents/{body['id']}/thumbnail", headers=auth)
    assert thumb.status_code == 200
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert max(small.size) <= 320
    rows = await AuditEvent.filter(action="OPEN_DOCUMENT", entity_id=body["id"])
    assert sorted(r.fields_read[0] for r in rows) == ["content", "thumbnail"]
    assert {str(r.patient_id) for r in rows} == {str(clinic["patient"].id)}
    assert await AuditEvent.filter(action="UPLOAD_DOCUMENT", entity_id=body["id"]).count() == 1


async def test_no_plaintext_image_bytes_title_or_file_name_reach_the_store_or_the_database(
    client: httpx.AsyncClient, settings: Settings, store_kind: str
) -> None:
    clinic = await _clinic()
    image = jpeg(seed=3)
    uploaded = await _upload(
        client,
        clinic["dentist"],
        clinic["patient"].id,
        image,
        title="Fractured UR6 distal cusp",
        filename="fracture-ur6.jpg",
    )
    assert uploaded.status_code == 201
    if store_kind == "s3":
        assert settings.s3_endpoint_url is not None
        blobs = list((await s3_objects(settings.s3_endpoint_url)).values())
    else:
        root = Path(settings.var_dir) / "documents"
        blobs = [p.read_bytes() for p in root.rglob("*") if p.is_file()]
    assert len(blobs) >= 2  # the original and its thumbnail
    probes = [image[i : i + 32] for i in range(0, len(image) - 32, len(image) // 16)]
    for blob in blobs:
        assert not any(probe in blob for probe in probes)
        assert b"\xff\xd8\xff" not in blob[:16]  # not even a JPEG header
    row = await Document.get(id=uploaded.json()["id"])
    stored = " ".join(str(v) for v in (row.title, row.filename, row.wrapped_key))
    assert "Fractured" not in stored
    assert "fracture-ur6" not in stored


async def test_refused_uploads_change_nothing(client: httpx.AsyncClient) -> None:
    clinic = await _clinic()
    patient = clinic["patient"].id
    cases = [
        (await _upload(client, clinic["dentist"], patient, EXECUTABLE), 400, "contentType"),
        (await _upload(client, clinic["dentist"], patient, b""), 400, "file"),
        (
            await _upload(client, clinic["dentist"], patient, png(), "image/jpeg"),
            400,
            "contentType",
        ),
        (
            await _upload(client, clinic["dentist"], patient, b"#!/bin/sh\n", "text/x-sh"),
            400,
            "contentType",
        ),
        (await _upload(client, clinic["dentist"], patient, jpeg(), kind="SELFIE"), 400, "kind"),
        (await _upload(client, clinic["dentist"], patient, jpeg(), title=" "), 400, "title"),
        (await _upload(client, clinic["dentist"], "not-an-id", jpeg()), 400, "patientId"),
        (
            await _upload(client, clinic["dentist"], patient, jpeg(), "multipart/form-data"),
            400,
            "contentType",
        ),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.text
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    too_big = await _upload(client, clinic["dentist"], patient, b"\xff" * (3 * 1024 * 1024))
    assert too_big.status_code == 413
    assert (await _upload(client, None, patient, jpeg())).status_code == 401
    refused = await _upload(client, clinic["reception"], patient, jpeg())
    assert (refused.status_code, _code(refused)) == (403, "FORBIDDEN")
    assert await Document.all().count() == 0


async def test_another_practices_patient_and_document_answer_exactly_like_random_ids(
    client: httpx.AsyncClient,
) -> None:
    clinic = await _clinic()
    elsewhere = await _upload(client, clinic["stranger"], clinic["patient"].id, jpeg())
    random = await _upload(client, clinic["stranger"], uuid4(), jpeg())
    assert (elsewhere.status_code, elsewhere.json()) == (random.status_code, random.json())
    assert _code(elsewhere) == "NOT_FOUND"
    mine = (await _upload(client, clinic["dentist"], clinic["patient"].id, jpeg())).json()["id"]
    stranger = {"authorization": f"Bearer {clinic['stranger']}"}
    theirs = await client.get(f"/documents/{mine}", headers=stranger)
    unknown = await client.get(f"/documents/{uuid4()}", headers=stranger)
    assert (theirs.status_code, theirs.json()) == (unknown.status_code, unknown.json())
    assert theirs.status_code == 404


async def test_reception_cannot_open_clinical_documents_and_the_refusal_is_audited(
    client: httpx.AsyncClient,
) -> None:
    clinic = await _clinic()
    doc = (await _upload(client, clinic["dentist"], clinic["patient"].id, jpeg())).json()["id"]
    refused = await client.get(
        f"/documents/{doc}", headers={"authorization": f"Bearer {clinic['reception']}"}
    )
    assert (refused.status_code, _code(refused)) == (403, "FORBIDDEN")
    assert refused.content.find(b"\xff\xd8") == -1
    assert await AuditEvent.filter(action="OPEN_DOCUMENT", outcome="DENIED").count() == 1
    assert await AuditEvent.filter(action="OPEN_DOCUMENT", outcome="OK").count() == 0


async def test_a_tampered_blob_is_refused_not_served(
    client: httpx.AsyncClient, settings: Settings, store_kind: str
) -> None:
    clinic = await _clinic()
    doc = (
        await _upload(client, clinic["dentist"], clinic["patient"].id, png(), "image/png")
    ).json()
    doc = doc["id"]
    row = await Document.get(id=doc)
    if store_kind == "file":
        path = Path(settings.var_dir) / "documents" / row.blob_key
        data = bytearray(path.read_bytes())
        data[-5] ^= 1
        path.write_bytes(bytes(data))
    else:
        await Document.filter(id=doc).update(blob_key=row.thumbnail_key)  # a swapped blob
    opened = await client.get(
        f"/documents/{doc}", headers={"authorization": f"Bearer {clinic['dentist']}"}
    )
    assert opened.status_code == 500
    assert _code(opened) == "DATA_INTEGRITY_ERROR"


async def test_key_rotation_rewraps_document_keys_and_leaves_the_files_untouched(
    client: httpx.AsyncClient, settings: Settings, store_kind: str
) -> None:
    clinic = await _clinic()
    image = jpeg(seed=5)
    doc = (await _upload(client, clinic["dentist"], clinic["patient"].id, image)).json()["id"]
    before = await Document.get(id=doc)
    old_key_id = runtime.keyring().current_key_id
    runtime.replace_keyring(runtime.keyring().with_new_key()[0])
    await key_rotation.rotate()
    after = await Document.get(id=doc)
    new_key_id = runtime.keyring().current_key_id
    for column in ("wrapped_key", "title"):
        assert f".{old_key_id}." in getattr(before, column)
        assert f".{new_key_id}." in getattr(after, column)
    assert (after.blob_key, after.sha256) == (before.blob_key, before.sha256)  # file not rewritten
    opened = await client.get(
        f"/documents/{doc}", headers={"authorization": f"Bearer {clinic['dentist']}"}
    )
    assert opened.content == image


async def test_partners_open_documents_only_of_patients_who_consented_to_sharing(
    client: httpx.AsyncClient,
) -> None:
    clinic = await _clinic()
    practice, patient = clinic["practice"], clinic["patient"]
    doc = (await _upload(client, clinic["dentist"], patient.id, jpeg())).json()["id"]
    partner, with_consent = await partner_token(client, practice.id, practice.organization_id)
    _, without = await partner_token(client, practice.id, practice.organization_id)
    refused = await client.get(f"/documents/{doc}", headers={"authorization": f"Bearer {without}"})
    random = await client.get(
        f"/documents/{uuid4()}", headers={"authorization": f"Bearer {without}"}
    )
    assert (refused.status_code, refused.json()) == (random.status_code, random.json())
    assert refused.status_code == 404
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    shared = await gql(
        client,
        "mutation R($input: RecordConsentInput!) "
        "{ recordConsent(input: $input) { consent { id } } }",
        {
            "input": {
                "patientId": str(patient.id),
                "purpose": "DATA_SHARING",
                "partnerClientId": partner.client_id,
                "policyVersion": "share-v1",
                "method": "RECEPTION",
            }
        },
        token=admin,
    )
    assert shared.errors == []
    opened = await client.get(
        f"/documents/{doc}", headers={"authorization": f"Bearer {with_consent}"}
    )
    assert opened.status_code == 200
    still_refused = await client.get(
        f"/documents/{doc}", headers={"authorization": f"Bearer {without}"}
    )
    assert still_refused.status_code == 404

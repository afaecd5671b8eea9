"""Documents under the privacy rules: erasure shreds them, exports list them without keys."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from db.models import Document
from db.models.privacy import RequestKind
from graph.settings import Settings
from services.consent import erasure, export, requests
from services.policy import Role
from tests import factories
from tests.documents.conftest import jpeg, s3_objects
from tests.services.test_consent_ledger import staff


async def _blobs(settings: Settings, store_kind: str) -> set[str]:
    if store_kind == "s3":
        assert settings.s3_endpoint_url is not None
        return {
            k.removeprefix(settings.s3_prefix) for k in await s3_objects(settings.s3_endpoint_url)
        }
    root = Path(settings.var_dir) / "documents"
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


async def test_erasing_a_clinical_record_past_retention_shreds_its_documents(
    client: httpx.AsyncClient, settings: Settings, store_kind: str
) -> None:
    practice = await factories.practice()
    long_gone = datetime(2001, 3, 1, tzinfo=UTC)
    patient = await factories.patient(
        practice, date_of_birth=date(1931, 1, 1), last_activity_at=long_gone
    )
    keeper = await factories.patient(practice)
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    for owner in (patient, keeper):
        response = await client.post(
            "/documents",
            params={"patientId": str(owner.id), "kind": "XRAY", "title": "Pan"},
            content=jpeg(300, 200),
            headers={"authorization": f"Bearer {dentist}", "content-type": "image/jpeg"},
        )
        assert response.status_code == 201
    kept = await Document.get(patient_id=keeper.id)
    before = await _blobs(settings, store_kind)
    assert len(before) >= 4  # two originals, two thumbnails (plus other tests' on S3)
    admin = await staff(practice, Role.PRACTICE_ADMIN)
    request = await requests.receive(
        admin, patient_id=patient.id, kind=RequestKind.ERASURE, received_at=None
    )
    verdicts = {v.category: v.action for v in await erasure.erase(admin, request_id=request.id)}
    assert verdicts["CLINICAL"] != "KEPT"
    assert await Document.filter(patient_id=patient.id).count() == 0  # and its key with it
    after = await _blobs(settings, store_kind)
    assert before - after  # the erased patient's blobs left the store
    assert {kept.blob_key, kept.thumbnail_key} <= after  # the other patient's stayed


async def test_an_export_lists_documents_without_key_material(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    response = await client.post(
        "/documents",
        params={"patientId": str(patient.id), "kind": "XRAY", "title": "Periapical UR1"},
        content=jpeg(300, 200),
        headers={"authorization": f"Bearer {dentist}", "content-type": "image/jpeg"},
    )
    assert response.status_code == 201
    document = await export.document(patient.id)
    text = str(document)
    assert "Periapical UR1" in text
    row = await Document.get(patient_id=patient.id)
    for secret in (row.wrapped_key, row.blob_key, row.thumbnail_key):
        assert secret is not None
        assert secret not in text

"""``aescrm sweep-documents``: blobs no row names go; named and young ones stay."""

from __future__ import annotations

from datetime import timedelta

import httpx

from db.models import Document
from services.documents import stores, sweep
from services.documents.storage import new_key
from services.policy import Role
from tests import factories
from tests.documents.conftest import jpeg


async def test_orphaned_blobs_are_counted_then_deleted_and_named_ones_kept(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    token = factories.access_token(await factories.user(Role.DENTIST, practice))
    uploaded = await client.post(
        "/documents",
        params={"patientId": str(patient.id), "kind": "XRAY", "title": "Pan"},
        content=jpeg(200, 150),
        headers={"authorization": f"Bearer {token}", "content-type": "image/jpeg"},
    )
    assert uploaded.status_code == 201
    row = await Document.get(id=uploaded.json()["id"])
    store = stores.current()
    orphan = new_key()  # as if an upload crashed between the store and the commit
    await store.put(orphan, b"sealed bytes nobody can open")

    young = await sweep.sweep(apply=True)  # default grace: an in-flight upload is left alone
    assert young.deleted == 0
    assert await store.get(orphan)

    dry = await sweep.sweep(apply=False, grace=timedelta(0))
    assert dry.orphaned >= 1
    assert dry.deleted == 0
    assert await store.get(orphan)

    done = await sweep.sweep(apply=True, grace=timedelta(0))
    assert done.deleted == done.orphaned >= 1
    keys = {blob.key async for blob in store.listing()}
    assert orphan not in keys
    assert {row.blob_key, row.thumbnail_key} <= keys
    opened = await client.get(f"/documents/{row.id}", headers={"authorization": f"Bearer {token}"})
    assert opened.status_code == 200

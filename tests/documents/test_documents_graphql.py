"""Listing documents and opening them through signed links minted by ``createDocumentLink``."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from db.models import AuditEvent, User
from services.policy import Role
from tests import factories
from tests.documents.conftest import jpeg
from tests.factories import gql

LIST = """
query Docs($patientId: ID!, $first: Int, $after: String) {
  patientDocuments(patientId: $patientId, first: $first, after: $after) {
    edges { node { id kind title filename contentType width height hasThumbnail } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LINK = """
mutation Link($input: CreateDocumentLinkInput!) {
  createDocumentLink(input: $input) { url expiresAt }
}"""
ACCESS_LOG = """
query Log($id: ID!) { patient(id: $id) { accessLog { edges { node { action entityId } } } } }
"""


@pytest.fixture
def store_kind() -> str:
    return "file"  # both stores are covered by test_documents_http; links are store-agnostic


async def _upload(client: httpx.AsyncClient, token: str, patient_id: object, title: str) -> str:
    response = await client.post(
        "/documents",
        params={"patientId": str(patient_id), "kind": "INTRAORAL_PHOTO", "title": title},
        content=jpeg(400, 300),
        headers={"authorization": f"Bearer {token}", "content-type": "image/jpeg"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _setup(client: httpx.AsyncClient) -> dict[str, Any]:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    dentist = await factories.user(Role.DENTIST, practice)
    token = factories.access_token(dentist)
    ids = [await _upload(client, token, patient.id, f"Photo {n}") for n in range(3)]
    return {
        "practice": practice,
        "patient": patient,
        "dentist": dentist,
        "token": token,
        "ids": ids,
    }


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_documents_list_newest_first_in_pages_with_titles_for_clinicians_only(
    client: httpx.AsyncClient,
) -> None:
    setup = await _setup(client)
    variables = {"patientId": str(setup["patient"].id), "first": 2}
    first = await gql(client, LIST, variables, token=setup["token"])
    assert first.errors == []
    page = first.data["patientDocuments"]
    assert [e["node"]["title"] for e in page["edges"]] == ["Photo 2", "Photo 1"]
    assert page["pageInfo"]["hasNextPage"] is True
    listed = await AuditEvent.filter(entity_type="Document", action__startswith="READ")
    assert sorted(str(r.entity_id) for r in listed) == sorted(setup["ids"][1:])
    assert {tuple(r.fields_read) for r in listed} == {("filename", "title")}
    rest = await gql(
        client, LIST, {**variables, "after": page["pageInfo"]["endCursor"]}, token=setup["token"]
    )
    assert [e["node"]["id"] for e in rest.data["patientDocuments"]["edges"]] == [setup["ids"][0]]
    reception = factories.access_token(await factories.user(Role.RECEPTIONIST, setup["practice"]))
    refused = await gql(client, LIST, variables, token=reception)
    assert refused.data["patientDocuments"] is None
    assert refused.codes == ["FORBIDDEN"]


async def test_a_signed_link_opens_once_minted_needs_no_header_and_shows_in_the_access_log(
    client: httpx.AsyncClient,
) -> None:
    setup = await _setup(client)
    minted = await gql(
        client, LINK, {"input": {"documentId": setup["ids"][0]}}, token=setup["token"]
    )
    assert minted.errors == []
    url = minted.data["createDocumentLink"]["url"]
    opened = await client.get(_path(url))
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "image/jpeg"
    thumb = await gql(
        client,
        LINK,
        {"input": {"documentId": setup["ids"][0], "variant": "THUMBNAIL"}},
        token=setup["token"],
    )
    thumb_url = thumb.data["createDocumentLink"]["url"]
    assert (await client.get(_path(thumb_url))).status_code == 200
    # A link for the thumbnail does not open the original, nor another document.
    token = parse_qs(urlsplit(thumb_url).query)["link"][0]
    assert (await client.get(f"/documents/{setup['ids'][0]}?link={token}")).status_code == 401
    assert (await client.get(f"/documents/{setup['ids'][1]}?link={token}")).status_code == 401
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, setup["practice"]))
    log = await gql(client, ACCESS_LOG, {"id": str(setup["patient"].id)}, token=admin)
    opened_rows = [
        e["node"]
        for e in log.data["patient"]["accessLog"]["edges"]
        if e["node"]["action"] == "OPEN_DOCUMENT"
    ]
    assert len(opened_rows) == 2
    assert {row["entityId"] for row in opened_rows} == {setup["ids"][0]}


async def test_links_expire_die_with_the_account_and_cannot_be_minted_across_practices(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = await _setup(client)
    minted = await gql(
        client, LINK, {"input": {"documentId": setup["ids"][0]}}, token=setup["token"]
    )
    path = _path(minted.data["createDocumentLink"]["url"])
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    expired = await client.get(path)
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    monkeypatch.undo()
    assert (await client.get(path)).status_code == 200
    await User.filter(id=setup["dentist"].id).update(
        token_version=setup["dentist"].token_version + 1
    )
    assert (await client.get(path)).status_code == 401  # password reset, sign-out everywhere
    stranger = factories.access_token(
        await factories.user(Role.DENTIST, await factories.practice())
    )
    across = await gql(client, LINK, {"input": {"documentId": setup["ids"][1]}}, token=stranger)
    assert across.codes == ["NOT_FOUND"]
    assert across.data["createDocumentLink"] is None
    tampered = path.replace("link=", "link=9")
    assert (await client.get(tampered)).status_code == 401

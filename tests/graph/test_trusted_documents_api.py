"""Trusted documents over HTTP: a trusted-only partner app runs registered documents (with
variables; by documentId, GET or Apollo APQ) and nothing else; unknown ids and other apps' ids
answer the same; invalid documents are refused whole; removal bites at once; audited; the
first-party setting holds staff and anonymous callers to the first-party set."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx

from db.models import AuditEvent, PartnerClient, TrustedDocument
from services.trusted_documents import registry
from services.trusted_documents.ids import document_id_of
from tests.conftest import make_settings
from tests.factories import gql
from tests.graph.test_partner_oauth import serve
from tests.graph.trusted_documents_support import (
    LIST_DOCUMENTS,
    PRACTICES,
    REMOVE_DOCUMENTS,
    SCHEDULE,
    UPDATE_CLIENT,
    apq,
    partner_app,
    register,
    send,
    world,
)
from tests.graph.visibility_world import partner_token

RENAME = """mutation Rename($input: UpdatePartnerClientInput!) {
  updatePartnerClient(input: $input) { client { name } }
}"""


def _code(body: dict[str, object]) -> list[object]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e.get("extensions", {}).get("code") for e in errors]


async def test_trusted_only_app_runs_registered_documents_with_variables_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    w = await world()
    app = await partner_app(client, w, trusted_only=True)
    made = await register(client, w, app.client_id, SCHEDULE, PRACTICES)
    assert made.errors == [], made.errors
    ids = made.data["registerTrustedDocuments"]["documentIds"]
    assert ids == [document_id_of(SCHEDULE), document_id_of(PRACTICES)]
    assert ids[0] == "sha256:" + hashlib.sha256(SCHEDULE.encode()).hexdigest()
    day = {"practiceId": str(w.practice.id)}

    ad_hoc = await send(client, app.token, {"query": SCHEDULE, "variables": day})
    assert ad_hoc.codes == ["TRUSTED_DOCUMENT_REQUIRED"]
    assert ad_hoc.data is None
    unregistered = await send(client, app.token, {"query": "{ practices { name } }"})
    assert unregistered.codes == ["TRUSTED_DOCUMENT_REQUIRED"]

    by_id = await send(client, app.token, {"documentId": ids[0], "variables": day})
    assert by_id.errors == [], by_id.errors
    assert by_id.data == {"schedule": {"appointments": []}}
    wrong_variable = await send(client, app.token, {"documentId": ids[0], "variables": {}})
    assert wrong_variable.codes == ["BAD_USER_INPUT"]  # the document runs with its variables
    practices = await send(client, app.token, {"documentId": ids[1]})
    assert practices.data == {"practices": [{"id": str(w.practice.id)}]}
    by_apq = await send(client, app.token, {"extensions": apq(SCHEDULE), "variables": day})
    assert by_apq.data == {"schedule": {"appointments": []}}
    same_text = await send(client, app.token, {"query": PRACTICES, "extensions": apq(PRACTICES)})
    assert same_text.data == practices.data  # APQ with its own text: still the registered one
    other_text = await send(client, app.token, {"query": SCHEDULE, "extensions": apq(PRACTICES)})
    assert other_text.codes == ["BAD_USER_INPUT"]

    over_get = await client.get(
        "/graphql",
        params={"documentId": ids[0], "variables": json.dumps(day)},
        headers={"authorization": f"Bearer {app.token}"},
    )
    assert over_get.json()["data"] == {"schedule": {"appointments": []}}
    get_ad_hoc = await client.get(
        "/graphql", params={"query": PRACTICES}, headers={"authorization": f"Bearer {app.token}"}
    )
    assert _code(get_ad_hoc.json()) == ["TRUSTED_DOCUMENT_REQUIRED"]


async def test_unknown_ids_and_other_apps_ids_answer_exactly_the_same(
    client: httpx.AsyncClient,
) -> None:
    w, elsewhere = await world(), await world()
    app = await partner_app(client, w, trusted_only=True)
    sibling = await partner_app(client, w, trusted_only=True)
    foreign = await partner_app(client, elsewhere, trusted_only=False)
    assert (await register(client, w, sibling.client_id, PRACTICES)).errors == []
    assert (await register(client, elsewhere, foreign.client_id, SCHEDULE)).errors == []
    random_id = "sha256:" + hashlib.sha256(b"never registered").hexdigest()

    answers = [
        (await send(client, app.token, {"documentId": document_id})).body
        for document_id in (
            random_id,
            document_id_of(PRACTICES),  # the sibling app's
            document_id_of(SCHEDULE),  # another organisation's app's
            "sha256:NOT-HEX",
            "md5:abc",
        )
    ]
    assert _code(answers[0]) == ["PERSISTED_DOCUMENT_NOT_FOUND"]
    assert answers[0]["data"] is None
    assert all(answer == answers[0] for answer in answers), answers
    by_apq = await send(client, app.token, {"extensions": apq(PRACTICES)})
    assert by_apq.body == answers[0]
    # The sibling itself runs it: the refusal above was about ownership, not the document.
    assert (await send(client, sibling.token, {"documentId": document_id_of(PRACTICES)})).data


async def test_invalid_documents_are_refused_whole_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    w = await world()
    app = await partner_app(client, w, trusted_only=True)
    for bad in ("{ practices { noSuchField } }", "query {", "query($x: Int) { practices { id } "):
        refused = await register(client, w, app.client_id, PRACTICES, bad)
        assert refused.codes == ["BAD_USER_INPUT"], refused.body
        assert refused.errors[0]["extensions"]["field"] == "documents"
        assert refused.data == {"registerTrustedDocuments": None}
    assert (await register(client, w, app.client_id)).codes == ["BAD_USER_INPUT"]
    assert await TrustedDocument.filter(owner=app.client_id).count() == 0
    assert (await send(client, app.token, {"documentId": document_id_of(PRACTICES)})).codes == [
        "PERSISTED_DOCUMENT_NOT_FOUND"
    ]


async def test_listing_removal_and_audit(client: httpx.AsyncClient) -> None:
    w = await world()
    app = await partner_app(client, w, trusted_only=True)
    assert (await register(client, w, app.client_id, SCHEDULE)).errors == []
    assert (await register(client, w, app.client_id, PRACTICES, SCHEDULE)).errors == []
    again = await register(client, w, app.client_id, PRACTICES)  # already there: a no-op
    assert again.data["registerTrustedDocuments"]["documentIds"] == [document_id_of(PRACTICES)]

    first = await gql(
        client, LIST_DOCUMENTS, {"clientId": app.client_id, "first": 1}, token=w.admin
    )
    page = first.data["trustedDocuments"]
    assert [e["node"]["document"] for e in page["edges"]] == [SCHEDULE]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        client,
        LIST_DOCUMENTS,
        {"clientId": app.client_id, "after": page["pageInfo"]["endCursor"]},
        token=w.admin,
    )
    assert [e["node"]["documentId"] for e in rest.data["trustedDocuments"]["edges"]] == [
        document_id_of(PRACTICES)
    ]
    assert rest.data["trustedDocuments"]["edges"][0]["node"]["registeredByUserId"]

    assert (await send(client, app.token, {"documentId": document_id_of(PRACTICES)})).data
    removed = await gql(
        client,
        REMOVE_DOCUMENTS,
        {"input": {"clientId": app.client_id, "documentIds": [document_id_of(PRACTICES), "x"]}},
        token=w.admin,
    )
    assert removed.data["removeTrustedDocuments"]["removedDocumentIds"] == [
        document_id_of(PRACTICES)
    ]
    gone = await send(client, app.token, {"documentId": document_id_of(PRACTICES)})
    assert gone.codes == ["PERSISTED_DOCUMENT_NOT_FOUND"]  # at once, though it was cached
    assert (await PartnerClient.get(client_id=app.client_id)).documents_version == 1

    actions = await AuditEvent.filter(entity_id=app.client_id).order_by("occurred_at")
    trail = [(a.action, a.fields_read) for a in actions if a.action.startswith("TRUSTED")]
    assert trail == [  # one row per change, naming only what changed
        ("TRUSTED_DOCUMENTS_REGISTERED", [document_id_of(SCHEDULE)]),
        ("TRUSTED_DOCUMENTS_REGISTERED", [document_id_of(PRACTICES)]),
        ("TRUSTED_DOCUMENTS_REMOVED", [document_id_of(PRACTICES)]),
    ]
    created = next(a for a in actions if a.action == "PARTNER_CLIENT_CREATED")
    assert "trusted_documents_only" in created.fields_read


async def test_switching_an_app_to_trusted_only_bites_its_issued_tokens_at_once(
    client: httpx.AsyncClient,
) -> None:
    w = await world()
    app = await partner_app(client, w, trusted_only=False)
    assert (await send(client, app.token, {"query": PRACTICES})).errors == []
    assert (await register(client, w, app.client_id, PRACTICES)).errors == []
    assert (await send(client, app.token, {"documentId": document_id_of(PRACTICES)})).data

    switched = await gql(
        client,
        UPDATE_CLIENT,
        {"input": {"clientId": app.client_id, "trustedDocumentsOnly": True}},
        token=w.admin,
    )
    assert switched.data["updatePartnerClient"]["client"] == {"trustedDocumentsOnly": True}
    assert (await send(client, app.token, {"query": PRACTICES})).codes == [
        "TRUSTED_DOCUMENT_REQUIRED"
    ]
    assert (await send(client, app.token, {"documentId": document_id_of(PRACTICES)})).data
    updated = await AuditEvent.filter(entity_id=app.client_id, action="PARTNER_CLIENT_UPDATED")
    assert [a.fields_read for a in updated] == [["trusted_documents_only"]]


async def test_only_the_organisations_admins_manage_its_apps_documents(
    client: httpx.AsyncClient,
) -> None:
    w, elsewhere = await world(), await world()
    app = await partner_app(client, w, trusted_only=True)
    foreign = await register(client, elsewhere, app.client_id, PRACTICES)
    random = await register(client, elsewhere, "pc_000000000000000000000000", PRACTICES)
    assert foreign.codes == ["NOT_FOUND"]
    assert foreign.body == random.body
    listed = await gql(client, LIST_DOCUMENTS, {"clientId": app.client_id}, token=elsewhere.admin)
    assert listed.codes == ["NOT_FOUND"]
    by_partner = await register(client, w, app.client_id, PRACTICES)
    assert by_partner.errors == []
    as_partner = await send(
        client,
        app.token,
        {
            "query": "mutation($input: RegisterTrustedDocumentsInput!) "
            "{ registerTrustedDocuments(input: $input) { documentIds } }"
        },
    )
    assert as_partner.codes == ["TRUSTED_DOCUMENT_REQUIRED"]


async def test_first_party_setting_holds_staff_and_anonymous_callers_to_the_first_party_set(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, trusted_documents_first_party=True)
    async with serve(settings) as served:
        transport = httpx.ASGITransport(app=served, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            w = await world()
            # Partner apps are registered here by the operator's path (GraphQL is held too).
            app, token = await partner_token(http, w.practice.id, w.org.id, ("practice:read",))
            rename = {"input": {"clientId": app.client_id, "name": "Changed"}}
            ad_hoc = await send(http, w.admin, {"query": RENAME, "variables": rename})
            assert ad_hoc.codes == ["TRUSTED_DOCUMENT_REQUIRED"]
            assert (await PartnerClient.get(client_id=app.client_id)).name != "Changed"
            anonymous = await send(http, None, {"query": PRACTICES})
            assert anonymous.codes == ["TRUSTED_DOCUMENT_REQUIRED"]

            ids = await registry.register_as_operator(
                client_id=None, documents=[RENAME, PRACTICES], check=lambda _text: None
            )
            ran = await send(http, w.admin, {"documentId": ids[0], "variables": rename})
            assert ran.data == {"updatePartnerClient": {"client": {"name": "Changed"}}}
            # A partner app is held by its own flag, and never runs the first-party set.
            assert (await send(http, token, {"query": PRACTICES})).errors == []
            assert (await send(http, token, {"documentId": ids[1]})).codes == [
                "PERSISTED_DOCUMENT_NOT_FOUND"
            ]

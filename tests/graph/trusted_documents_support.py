"""A world for trusted-document tests: an organisation with a practice, its admin, and partner
apps registered over GraphQL (optionally trusted documents only) with a token each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from services.policy import Role
from services.trusted_documents.ids import document_id_of
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.graph.test_partner_oauth import token_for

REGISTER_CLIENT = """
mutation($input: RegisterPartnerClientInput!) {
  registerPartnerClient(input: $input) { clientSecret client { clientId trustedDocumentsOnly } }
}"""
REGISTER_DOCUMENTS = """
mutation($input: RegisterTrustedDocumentsInput!) {
  registerTrustedDocuments(input: $input) { documentIds }
}"""
REMOVE_DOCUMENTS = """
mutation($input: RemoveTrustedDocumentsInput!) {
  removeTrustedDocuments(input: $input) { removedDocumentIds }
}"""
LIST_DOCUMENTS = """
query($clientId: String!, $first: Int, $after: String) {
  trustedDocuments(clientId: $clientId, first: $first, after: $after) {
    edges { node { documentId document registeredByUserId } }
    pageInfo { hasNextPage endCursor }
  }
}"""
UPDATE_CLIENT = """
mutation($input: UpdatePartnerClientInput!) {
  updatePartnerClient(input: $input) { client { trustedDocumentsOnly } }
}"""
PRACTICES = "query Practices { practices { id } }"
SCHEDULE = """query Day($practiceId: ID!) {
  schedule(practiceId: $practiceId, from: "2030-01-15T00:00:00Z", to: "2030-01-16T00:00:00Z") {
    appointments { id }
  }
}"""


@dataclass
class App:
    client_id: str
    token: str


@dataclass
class World:
    org: Any
    practice: Any
    admin: str  # an ORG_ADMIN's access token


async def world() -> World:
    org = await factories.organization()
    practice = await factories.practice(org, name="First")
    admin = factories.access_token(await factories.user(Role.ORG_ADMIN, org=org))
    return World(org, practice, admin)


async def partner_app(http: httpx.AsyncClient, w: World, *, trusted_only: bool) -> App:
    variables = {
        "input": {
            "organizationId": str(w.org.id),
            "name": "Recall SMS",
            "scopes": ["PRACTICE_READ", "SCHEDULE_READ"],
            "practiceIds": [str(w.practice.id)],
            "trustedDocumentsOnly": trusted_only,
        }
    }
    made = await gql(http, REGISTER_CLIENT, variables, token=w.admin)
    assert made.errors == [], made.errors
    registered = made.data["registerPartnerClient"]
    assert registered["client"]["trustedDocumentsOnly"] is trusted_only
    client_id = registered["client"]["clientId"]
    issued = await token_for(http, client_id, registered["clientSecret"])
    assert issued.status_code == 200, issued.text
    return App(client_id, issued.json()["access_token"])


async def register(
    http: httpx.AsyncClient, w: World, client_id: str, *documents: str
) -> GraphQLResult:
    variables = {"input": {"clientId": client_id, "documents": list(documents)}}
    return await gql(http, REGISTER_DOCUMENTS, variables, token=w.admin)


async def send(http: httpx.AsyncClient, token: str | None, body: dict[str, Any]) -> GraphQLResult:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json=body, headers=headers)
    return GraphQLResult(response.status_code, response.json())


def apq(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_id_of(text).split(":")[1]}}

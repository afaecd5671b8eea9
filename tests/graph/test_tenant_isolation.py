"""Tenant isolation: nothing of practice B ever reaches a caller of practice A.

Property-based: hypothesis picks the caller's role, the root field and which of B's ids to
probe; another tenant's id must answer exactly like a random id, and no response may contain
any of B's ids.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import audit_chain
from db.audit_chain import AuditRecord
from graph.schema import build_schema
from services import audit
from services.policy import Role
from tests import factories
from tests.factories import gql

ROLES = [r for r in Role if r not in (Role.PARTNER, Role.SYSTEM_OWNER, Role.PATIENT)]
QUERY_FIELDS = build_schema()._schema.type_map["Query"].fields  # type: ignore[union-attr]

BY_ID = {
    "practice": "query($id: ID!) { practice(id: $id) { id name organizationId } }",
    "patient": "query($id: ID!) { patient(id: $id) { __typename } }",
    "strandedAppointments": "query($id: ID!) { strandedAppointments(practiceId: $id, from: "
    '"2030-01-15T00:00:00Z", to: "2030-01-16T00:00:00Z") { reason appointment { id } } }',
    "onlineAppointmentTypes": "query($id: ID!) { onlineAppointmentTypes(practiceId: $id) { id } }",
}
LISTS = [
    "{ practices { id organizationId } organizations { name } }",
    "{ auditEvents(first: 50) { edges { node { id practiceId entityId patientId } } } }",
    "{ me { memberships { practiceId organizationId } } }",
]


async def _tenant(label: str) -> dict[str, Any]:
    org = await factories.organization(f"Org {label}")
    practice = await factories.practice(org, f"Practice {label}")
    patient = await factories.patient(practice, last_name=f"Tenant{label}")
    users = {role: await factories.user(role, practice, org=org) for role in ROLES}
    await audit.write(
        [
            AuditRecord(
                action="READ query Seed",
                organization_id=org.id,
                practice_id=practice.id,
                entity_type="Patient",
                entity_id=str(patient.id),
                patient_id=patient.id,
            )
        ]
    )
    return {
        "org": org,
        "practice": practice,
        "patient": patient,
        "tokens": {role: factories.access_token(u) for role, u in users.items()},
        "ids": {str(org.id), str(practice.id), str(patient.id)},
    }


@pytest.fixture
async def tenants(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    return await _tenant("A"), await _tenant("B")


def _shape(result: factories.GraphQLResult) -> tuple[object, list[tuple[str, str]]]:
    return result.data, [(e.get("extensions", {}).get("code"), e["message"]) for e in result.errors]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    role=st.sampled_from(ROLES),
    field=st.sampled_from(sorted(f for f in BY_ID if f in QUERY_FIELDS)),
    target=st.sampled_from(["practice", "patient", "org"]),
)
async def test_foreign_ids_answer_like_random_ids(
    client: httpx.AsyncClient,
    tenants: tuple[dict[str, Any], dict[str, Any]],
    role: Role,
    field: str,
    target: str,
) -> None:
    mine, theirs = tenants
    token = mine["tokens"][role]
    foreign = await gql(client, BY_ID[field], {"id": str(theirs[target].id)}, token=token)
    random = await gql(client, BY_ID[field], {"id": str(uuid.uuid4())}, token=token)
    assert _shape(foreign) == _shape(random)
    assert not any(i in str(foreign.body) for i in theirs["ids"])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(role=st.sampled_from(ROLES), query=st.sampled_from(LISTS))
async def test_lists_never_contain_another_tenants_ids(
    client: httpx.AsyncClient,
    tenants: tuple[dict[str, Any], dict[str, Any]],
    role: Role,
    query: str,
) -> None:
    mine, theirs = tenants
    result = await gql(client, query, token=mine["tokens"][role])
    assert not any(i in str(result.body) for i in theirs["ids"])


async def test_concurrent_mixed_tenant_requests_never_cross(client: httpx.AsyncClient) -> None:
    tenants = [await _tenant(label) for label in "CDEF"]
    calls = []
    for n in range(200):
        tenant = tenants[n % len(tenants)]
        role = ROLES[n % len(ROLES)]
        calls.append((tenant, gql(client, LISTS[n % len(LISTS)], token=tenant["tokens"][role])))
    results = await asyncio.gather(*(call for _, call in calls))
    everyone = set().union(*(t["ids"] for t in tenants))
    for (tenant, _), result in zip(calls, results, strict=True):
        leaked = {i for i in everyone - tenant["ids"] if i in str(result.body)}
        assert leaked == set()
    assert all(r.status == 200 for r in results)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_audit_log_is_scoped_to_the_readers_reach(client: httpx.AsyncClient) -> None:
    org = await factories.organization()
    first, second = await factories.practice(org), await factories.practice(org)
    for practice in (first, second):
        await audit.write(
            [AuditRecord(action="READ query X", organization_id=org.id, practice_id=practice.id)]
        )
    query = "{ auditEvents(first: 50) { edges { node { practiceId } } } }"

    def practices_seen(result: factories.GraphQLResult) -> set[str | None]:
        return {e["node"]["practiceId"] for e in result.data["auditEvents"]["edges"]}

    practice_admin = await factories.user(Role.PRACTICE_ADMIN, first)
    seen = practices_seen(await gql(client, query, token=factories.access_token(practice_admin)))
    assert seen == {str(first.id)}
    org_admin = await factories.user(Role.ORG_ADMIN, org=org)
    seen = practices_seen(await gql(client, query, token=factories.access_token(org_admin)))
    assert {str(first.id), str(second.id)} <= seen
    assert (await audit_chain.verify(str(org.id))).ok

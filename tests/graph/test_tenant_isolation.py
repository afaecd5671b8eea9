"""Tenant isolation: nothing of practice B ever reaches a caller of practice A.

Property-based: hypothesis picks the caller's role, the root field and which of B's ids to
probe; another tenant's id must answer exactly like a random id, and no response may contain
any of B's ids.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from uuid import UUID

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import audit_chain
from db.audit_chain import AuditRecord
from db.models import Patient
from graph.schema import build_schema
from services import audit
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph import id_probes
from tests.graph.permission_matrix import share_with_partner
from tests.graph.visibility_world import partner_token

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


# --- Every id argument: another tenant's id answers exactly like a random id ------------------

PROBES = id_probes.probes()
PROBE_ROLES = [Role.PRACTICE_ADMIN, Role.DENTIST, Role.ORG_ADMIN, Role.PATIENT, Role.PARTNER]


def test_every_id_argument_has_a_probe_or_a_reasoned_exemption() -> None:
    unbuildable = [p.label for p in PROBES if p.kind is None and p.label not in id_probes.EXEMPT]
    assert unbuildable == [], (
        f"give these a kind in id_probes.ID_KINDS or an exemption: {unbuildable}"
    )
    stale = set(id_probes.EXEMPT) - {p.label for p in PROBES}
    assert stale == set(), f"exemptions for arguments that no longer exist: {stale}"
    assert all(reason.strip() for reason in id_probes.EXEMPT.values())
    assert len(PROBES) >= 100  # the walker found the schema's id arguments
    # Subscriptions take ids too; they are probed over a real socket elsewhere.
    assert id_probes.subscription_id_fields() == [
        "scheduleChanged",
        "consentChanged",
        "clinicalChartChanged",
        "accountChanged",
        "billingChanged",
        "dashboardChanged",
    ], id_probes.SUBSCRIPTIONS_COVERED_BY


CHUNK = 10  # probes per operation, well inside the alias, token and cost limits


def _chunks() -> list[list[tuple[str, id_probes.Probe]]]:
    runnable = [p for p in PROBES if p.kind is not None and p.label not in id_probes.EXEMPT]
    chunks: list[list[tuple[str, id_probes.Probe]]] = []
    for root in id_probes.ROOTS:
        mine = [p for p in runnable if p.root == root]
        shared = [p for p in mine if id_probes.nullable_root(p)]
        chunks += [
            [(f"p{n}", p) for n, p in enumerate(shared[i : i + CHUNK])]
            for i in range(0, len(shared), CHUNK)
        ]
        chunks += [[("p0", p)] for p in mine if not id_probes.nullable_root(p)]
    return chunks


def _answers(
    result: factories.GraphQLResult, aliases: list[tuple[str, id_probes.Probe]]
) -> dict[str, tuple[object, list[tuple[object, ...]]]]:
    """Per probe: its data and its errors' (code, message, path), alias replaced by the field."""
    answers: dict[str, tuple[object, list[tuple[object, ...]]]] = {}
    for alias, probe in aliases:
        errors = [
            (
                e.get("extensions", {}).get("code"),
                e["message"],
                (probe.field, *(e.get("path") or [])[1:]),
            )
            for e in result.errors
            if (e.get("path") or [None])[0] == alias
        ]
        answers[probe.label] = ((result.data or {}).get(alias), errors)
    return answers


@pytest.mark.parametrize("role", PROBE_ROLES, ids=lambda r: r.value)
async def test_every_id_argument_answers_a_foreign_id_exactly_like_a_random_id(
    client: httpx.AsyncClient, role: Role
) -> None:
    """For a practice-level role (and a partner app registered on one practice) the other tenant
    is another practice of its own organisation (practices are separate tenants); for an
    organisation admin, another organisation. Kinds an organisation owns
    (``id_probes.ORGANIZATION_KINDS``) always come from another one."""
    org, other_org = await factories.organization(), await factories.organization()
    mine, neighbour = await factories.practice(org), await factories.practice(org)
    elsewhere = await factories.practice(other_org)
    own = await id_probes.tenant_objects(mine, org)
    foreign_practice = await id_probes.tenant_objects(neighbour, org)
    foreign_org = await id_probes.tenant_objects(elsewhere, other_org)
    theirs = foreign_org if role is Role.ORG_ADMIN else foreign_practice
    theirs = {**theirs, **{k: foreign_org[k] for k in id_probes.ORGANIZATION_KINDS}}
    if role is Role.PARTNER:  # a partner app with every scope it may hold; own patient shares
        partner, token = await partner_token(client, mine.id, org.id)
        await share_with_partner(await Patient.get(id=own["patient"]), partner.client_id)
    else:
        patient_id = UUID(own["patient"]) if role is Role.PATIENT else None
        caller = await factories.user(role, mine, org=org, patient_id=patient_id)
        token = factories.access_token(caller)
    differences: list[str] = []
    reached = ran = 0  # probes whose random id got as far as a NOT_FOUND lookup
    for chunk in _chunks():
        root = chunk[0][1].root
        foreign_calls, random_calls = [], []
        for alias, probe in chunk:
            assert probe.kind is not None
            foreign_calls.append(id_probes.call(probe, own, probe.foreign_value(theirs), alias))
            random_calls.append(id_probes.call(probe, own, probe.random_value(), alias))
        foreign = await gql(client, *id_probes.document(root, foreign_calls), token=token)
        random = await gql(client, *id_probes.document(root, random_calls), token=token)
        assert "data" in foreign.body, foreign.body  # executed, not refused as a document
        assert "data" in random.body, random.body
        foreign_answers, random_answers = _answers(foreign, chunk), _answers(random, chunk)
        for _, probe in chunk:
            if foreign_answers[probe.label] != random_answers[probe.label]:
                differences.append(
                    f"{probe.label}: foreign {foreign_answers[probe.label]} "
                    f"!= random {random_answers[probe.label]}"
                )
        leaked = {i for i in set(theirs.values()) if i in str(foreign.body)}
        if leaked:
            differences.append(f"{[p.label for _, p in chunk]}: another tenant's ids {leaked}")
    assert differences == []
    if role is Role.PRACTICE_ADMIN:  # the walker's values get most probes past validation
        assert reached >= 0.8 * ran, (reached, ran)

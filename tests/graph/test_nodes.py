"""``node`` and ``nodes`` answer exactly as each kind's typed field does.

Generated over ``graph.node_reads.KINDS``: every principal (each staff role, a patient, a
partner app) against one object of every kind in the permission-matrix world, through the
typed path and through ``node`` and ``nodes``: the object is shown on both or on neither, with
the same errors where the typed path reads one object. The foreign-vs-random probes of
``tests/graph/id_probes.py`` cover ``node``/``nodes`` per kind too.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from db.models import Appointment, AuditEvent, Patient, Practitioner
from graph import global_ids, node_reads
from services.policy import ROLE_SCOPES, Role
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.graph.clinical_note_support import MATRIX_NOTE_ID
from tests.graph.permission_matrix import (
    MATRIX_BATCH_ID,
    MATRIX_FEE_SCHEDULE_ID,
    MATRIX_FORM_ID,
    MATRIX_INVOICE_ID,
    MATRIX_TREATMENT_ID,
    PERIO_EXAM_ID,
    seed_objects,
    share_with_partner,
)
from tests.graph.visibility_world import partner_token
from tests.sql_counter import count_statements

NODE = "query($id: ID!) { node(id: $id) { __typename globalId ... on %s { id } } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename globalId %s } }"
# How the typed path reads one object of each kind; ``$id`` is its UUID.
TYPED: dict[str, str] = {
    "Appointment": "query($patientId: ID!) { patientAppointments(patientId: $patientId, "
    "first: 100) { edges { node { id } } } }",
    "Practitioner": "query($practiceId: ID!) { practitioners(practiceId: $practiceId, "
    "includeArchived: true, first: 100) { edges { node { id } } } }",
}
PRINCIPALS = [
    *(r.value for r in Role if r not in (Role.PARTNER, Role.SYSTEM_OWNER)),
    "PARTNER",
]


def _typed(type_name: str) -> str:
    kind = node_reads.KINDS[type_name]
    if kind.by_id:
        return f"query($id: ID!) {{ {kind.typed_field}(id: $id) {{ id }} }}"
    return TYPED[type_name]


async def _world(client: httpx.AsyncClient, principal: str) -> dict[str, Any]:
    org = await factories.organization()
    practice = await factories.practice(org)
    patient = await factories.patient(practice)
    await seed_objects(practice, patient)
    if principal == "PARTNER":
        partner, token = await partner_token(client, practice.id, org.id)
        await share_with_partner(patient, partner.client_id)
    else:
        role = Role(principal)
        own = patient.id if role is Role.PATIENT else None
        token = factories.access_token(
            await factories.user(role, practice, org=org, patient_id=own)
        )
    appointment = await Appointment.filter(patient_id=patient.id).first()
    practitioner = await Practitioner.filter(practice_id=practice.id).first()
    assert appointment is not None
    assert practitioner is not None
    objects = {
        "Practice": practice.id,
        "Patient": patient.id,
        "Appointment": appointment.id,
        "Practitioner": practitioner.id,
        "Invoice": MATRIX_INVOICE_ID,
        "ConsentForm": MATRIX_FORM_ID,
        "ClinicalNote": MATRIX_NOTE_ID,
        "PerioExam": PERIO_EXAM_ID,
        "InjectableTreatment": MATRIX_TREATMENT_ID,
        "StockBatch": MATRIX_BATCH_ID,
        "FeeSchedule": MATRIX_FEE_SCHEDULE_ID,
    }
    return {
        "token": token,
        "objects": {k: str(v) for k, v in objects.items()},
        "variables": {"practiceId": str(practice.id), "patientId": str(patient.id)},
        "patient": patient,
    }


def _errors(result: GraphQLResult) -> list[tuple[object, str]]:
    return [(e.get("extensions", {}).get("code"), e["message"]) for e in result.errors]


def test_every_node_kind_is_in_the_generated_tests() -> None:
    from tests.graph import id_probes

    assert set(node_reads.KINDS) == set(id_probes.NODE_KINDS)
    probed = {p.label for p in id_probes.probes() if p.field in ("node", "nodes")}
    assert len(probed) == 2 * len(node_reads.KINDS), probed  # node and nodes, every kind
    typed_lists = {t for t, k in node_reads.KINDS.items() if not k.by_id}
    assert typed_lists == set(TYPED)
    assert {"Patient", "Appointment", "ConsentForm", "Invoice", "Practice", "Practitioner"} <= set(
        node_reads.KINDS
    )


def test_each_kind_names_a_typed_field_that_reads_it() -> None:
    """``node`` borrows each kind's typed field (scopes, and resolver when it reads by id)."""
    from graphql import GraphQLInterfaceType, get_named_type, is_non_null_type

    from graph.schema import build_schema

    schema = build_schema()._schema
    query = schema.type_map["Query"].fields  # type: ignore[union-attr]
    node = schema.type_map["Node"]
    assert isinstance(node, GraphQLInterfaceType)
    assert {t.name for t in schema.get_possible_types(node)} == set(node_reads.KINDS)
    for type_name, kind in node_reads.KINDS.items():
        field = query[kind.typed_field]
        if kind.by_id:
            assert get_named_type(field.type).name == type_name
            assert list(field.args)[:1] == ["id"]
            others = [a for n, a in field.args.items() if n != "id"]
            assert not any(is_non_null_type(a.type) for a in others), type_name


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_node_answers_every_kind_like_its_typed_field(
    client: httpx.AsyncClient, principal: str
) -> None:
    world = await _world(client, principal)
    token, objects = world["token"], world["objects"]
    mismatches: list[str] = []
    shown: dict[str, bool] = {}
    for type_name, raw_id in objects.items():
        typed_doc = _typed(type_name)
        variables = {"id": raw_id, **world["variables"]}
        used = {k: v for k, v in variables.items() if f"${k}" in typed_doc}
        typed = await gql(client, typed_doc, used, token=token)
        global_id = global_ids.encode(type_name, raw_id)
        node = await gql(client, NODE % type_name, {"id": global_id}, token=token)
        typed_shows = raw_id in str(typed.data)
        node_shows = node.data is not None and node.data["node"] is not None
        shown[type_name] = node_shows
        if typed_shows != node_shows:
            mismatches.append(f"{type_name}: typed {typed.body} but node {node.body}")
        elif node_shows:
            assert node.data["node"] == {
                "__typename": type_name,
                "globalId": global_id,
                "id": raw_id,
            }
            assert node.errors == []
        elif node_reads.KINDS[type_name].by_id and _errors(typed) != _errors(node):
            mismatches.append(f"{type_name}: typed {typed.errors} but node {node.errors}")
        elif not node.errors or node.errors[0]["path"] != ["node"]:
            mismatches.append(f"{type_name}: node hid it without an error: {node.body}")
    assert mismatches == []
    # nodes: the same answers, batched, in the order asked.
    order = sorted(objects, reverse=True)
    fragments = " ".join(f"... on {t} {{ id }}" for t in sorted(objects))
    listed = await gql(
        client,
        NODES % fragments,
        {"ids": [global_ids.encode(t, objects[t]) for t in order]},
        token=token,
    )
    assert listed.errors == [], listed.body
    answered = {t: entry is not None for t, entry in zip(order, listed.data["nodes"], strict=True)}
    assert answered == {t: shown[t] for t in order}
    if principal == Role.DENTIST.value:  # the matrix world is all readable by a dentist
        assert all(shown.values()), shown
    if principal != "PARTNER" and Role(principal) is Role.RECEPTIONIST:
        assert ROLE_SCOPES[Role.RECEPTIONIST]  # and some kinds are withheld from reception
        assert not all(shown.values()), shown


async def _tenants(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A dentist's token in practice A, and practice B's world (another organisation)."""
    org_a = await factories.organization()
    practice_a = await factories.practice(org_a)
    dentist = await factories.user(Role.DENTIST, practice_a, org=org_a)
    theirs = await _world(client, Role.DENTIST.value)
    return factories.access_token(dentist), theirs


async def test_another_tenants_deleted_and_random_ids_answer_alike(
    client: httpx.AsyncClient,
) -> None:
    token, theirs = await _tenants(client)
    mine_org = await factories.organization()
    mine = await factories.practice(mine_org)
    gone = await factories.patient(mine)
    await Patient.filter(id=gone.id).delete()
    for type_name, raw_id in theirs["objects"].items():
        answers = []
        for candidate in (raw_id, str(uuid.uuid4())):
            result = await gql(
                client,
                NODE % type_name,
                {"id": global_ids.encode(type_name, candidate)},
                token=token,
            )
            answers.append((result.data, _errors(result), [e["path"] for e in result.errors]))
        assert answers[0] == answers[1], type_name
        assert answers[0][1][0][0] == "NOT_FOUND", (type_name, answers[0])
        assert raw_id not in str(answers[0])
    deleted = await gql(
        client, NODE % "Patient", {"id": global_ids.encode("Patient", gone.id)}, token=token
    )
    random = await gql(
        client, NODE % "Patient", {"id": global_ids.encode("Patient", uuid.uuid4())}, token=token
    )
    assert (deleted.data, _errors(deleted)) == (random.data, _errors(random))
    foreign_ids = [global_ids.encode(t, i) for t, i in theirs["objects"].items()]
    listed = await gql(client, NODES % "", {"ids": foreign_ids}, token=token)
    assert listed.errors == []
    assert listed.data["nodes"] == [None] * len(foreign_ids)


MALFORMED = [
    "not-a-global-id",
    str(uuid.uuid4()),  # a raw UUID is not a global id
    global_ids.encode("Patient", uuid.uuid4()) + "==",  # padded: not the canonical spelling
    global_ids.encode("Room", uuid.uuid4()),  # a type that is not a Node
    global_ids.encode("Patient", uuid.uuid4()).upper(),
    "",
]


@pytest.mark.parametrize("value", MALFORMED)
async def test_a_malformed_id_is_bad_user_input(client: httpx.AsyncClient, value: str) -> None:
    practice = await factories.practice()
    token = factories.access_token(await factories.user(Role.DENTIST, practice))
    one = await gql(client, NODE % "Patient", {"id": value}, token=token)
    assert one.data == {"node": None}
    assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in one.errors] == [
        ("BAD_USER_INPUT", "id")
    ]
    good = global_ids.encode("Practice", practice.id)
    many = await gql(client, NODES % "", {"ids": [good, value]}, token=token)
    assert many.data is None  # nodes is [Node]!: refused whole, nothing read
    assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in many.errors] == [
        ("BAD_USER_INPUT", "ids")
    ]


async def test_nodes_takes_at_most_100_ids(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    token = factories.access_token(await factories.user(Role.DENTIST, practice))
    ids = [global_ids.encode("Patient", uuid.uuid4()) for _ in range(101)]
    result = await gql(client, NODES % "", {"ids": ids}, token=token)
    assert result.codes == ["BAD_USER_INPUT"]
    result = await gql(client, NODES % "", {"ids": ids[:100]}, token=token)
    assert result.errors == []
    assert result.data["nodes"] == [None] * 100


async def test_global_ids_round_trip_and_reads_are_audited(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    dentist = await factories.user(Role.DENTIST, practice)
    token = factories.access_token(dentist)
    typed = await gql(
        client,
        "query($id: ID!) { patient(id: $id) { globalId } }",
        {"id": str(patient.id)},
        token=token,
    )
    global_id = typed.data["patient"]["globalId"]
    assert global_id == global_ids.encode("Patient", patient.id)
    assert global_ids.decode(global_id, "id") == ("Patient", patient.id)
    read = await gql(
        client,
        "query Fetch($id: ID!) { node(id: $id) { ... on Patient { lastName } } }",
        {"id": global_id},
        token=token,
    )
    assert read.data["node"]["lastName"] == patient.last_name
    audited = await AuditEvent.filter(actor_user_id=dentist.id, action="READ query Fetch")
    assert [(a.entity_type, a.entity_id, a.fields_read) for a in audited] == [
        ("Patient", str(patient.id), ["lastName"])
    ]


async def test_nodes_costs_the_same_statements_for_3_or_30_of_each_batched_kind(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    first = await factories.patient(practice)
    await seed_objects(practice, first)
    token = factories.access_token(await factories.user(Role.DENTIST, practice, org=org))
    template = await Appointment.filter(patient_id=first.id).first()
    assert template is not None
    patients = [first, *[await factories.patient(practice) for _ in range(29)]]
    appointments = []
    for n, patient in enumerate(patients):
        appointments.append(
            await Appointment.create(
                practice_id=practice.id,
                patient_id=patient.id,
                practitioner_id=template.practitioner_id,
                room_id=template.room_id,
                appointment_type_id=template.appointment_type_id,
                starts_at=template.starts_at.replace(year=2031 + n),
                ends_at=template.ends_at.replace(year=2031 + n),
            )
        )
    practitioner = await Practitioner.filter(practice_id=practice.id).first()
    assert practitioner is not None

    def ids(count: int) -> list[str]:
        return [
            *(global_ids.encode("Patient", p.id) for p in patients[:count]),
            *(global_ids.encode("Appointment", a.id) for a in appointments[:count]),
            global_ids.encode("Practice", practice.id),
            global_ids.encode("Practitioner", practitioner.id),
        ]

    query = NODES % "... on Patient { lastName } ... on Appointment { startsAt }"
    await gql(client, query, {"ids": ids(3)}, token=token)  # warm caches
    counts = {}
    for count in (3, 30):
        with count_statements(monkeypatch) as statements:
            result = await gql(client, query, {"ids": ids(count)}, token=token)
        assert result.errors == [], result.body
        assert None not in result.data["nodes"], result.body
        assert len(result.data["nodes"]) == 2 * count + 2
        counts[count] = [s for s in statements if "audit" not in s.lower()]
    assert len(counts[3]) == len(counts[30]), (counts[3], counts[30])
    assert len(counts[30]) <= 6, counts[30]

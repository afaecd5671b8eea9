"""Generated: no field that can carry patient data shows a patient to someone who may not see them.

The fields come from walking the schema (``visibility_world.patient_roots``), not from a list:
a new root field returning a patient-carrying type, or taking a ``patientId``, is called here
for every principal kind with every field below it selected. A root field the walker cannot
call (an argument it cannot fill) must be declared in ``UNREACHABLE`` with the reason, and the
test fails on an undeclared one. Subscriptions are the live test's
(``test_visibility_live.py``). Mutations are out of scope: each takes its patient through
``services.patients.patient_access`` (``services.visibility``).

For each (field, principal, target): the response never contains a hidden target's last name or
id; a field taking the patient answers a hidden one exactly like a random id (data, code,
message, path). A control (the practice admin) must see the targets through each field, so a
field that quietly shows nothing cannot pass by accident (``NOT_EXERCISED`` lists the few the
fixture cannot fill, with why).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLField, get_named_type, is_leaf_type
from graphql.pyutils import Undefined

from graph.app import create_app
from graph.schema import build_schema
from tests.conftest import make_settings
from tests.factories import GraphQLResult, gql
from tests.graph.visibility_world import (
    World,
    _required,
    build,
    patient_roots,
    selection,
    takes_node_ids,
)

SCHEMA = build_schema()._schema
# Root fields the walker cannot call generically: field -> why (the test fails on any other).
UNREACHABLE: dict[str, str] = {}
# Root fields the world cannot give data to, so the control sees nothing there: field -> why.
NOT_EXERCISED: dict[str, str] = {
    "subjectRequests": "lists data-subject requests; the world records none (staff-only: "
    "consent:write, refused to patients and partners in services.consent.requests.listed)",
    "clinicalNote": "takes a note id, not a patient id; the world writes no notes (a note of a "
    "hidden patient or another practice answers like a random id: "
    "tests/graph/test_clinical_notes.py::test_who_may_read_and_write_notes and "
    "test_a_patient_never_reads_another_patients_note)",
    "treatmentPlan": "takes a plan id, not a patient id (the world's plans are reached through "
    "treatmentPlans(patientId) and completedNotInvoiced here; a plan of another practice "
    "answers like a random id: tests/graph/test_treatment_plans.py::"
    "test_bad_input_gets_a_code_and_changes_nothing, and tests/graph/test_tenant_isolation.py)",
    "invoice": "takes an invoice id, not a patient id (the world's issued invoices are reached "
    "through patientInvoices(patientId) here; an invoice of a hidden patient, a draft asked by "
    "the patient, or another practice's answers like a random id: tests/graph/test_invoices.py::"
    "test_reads_staff_patient_and_other_tenants, and the id probes of test_tenant_isolation.py)",
    "perioExam": "takes an exam id, not a patient id; the world charts no perio exams (an "
    "exam of a hidden patient answers like a random id: tests/graph/test_perio.py, and "
    "another practice's exam: the id probes of test_tenant_isolation.py)",
    "injectableTreatment": "takes a treatment id, not a patient id (the world's treatments are "
    "reached through Patient.injectableTreatments and both recalls here; another practice's "
    "or a hidden patient's treatment answers like a random id: tests/graph/test_injectables.py"
    "::test_who_may_record_and_read and the id probes of test_tenant_isolation.py)",
    "consentForm": "takes a form id, not a patient id (the world's signed forms are reached "
    "through consentForms(patientId) here; a form of a hidden patient or another practice "
    "answers like a random id: tests/graph/test_consent_forms.py::test_who_may_read_and_sign, "
    "and the id probes of test_tenant_isolation.py)",
    "legalHolds": "lists legal holds; the world places none (staff-only: legal_hold:write, "
    "refused to patients and partners in services.consent.legal_holds; covered by "
    "tests/graph/test_legal_holds_api.py)",
}
LIVE = {
    "scheduleChanged",
    "consentChanged",
    "clinicalChartChanged",
    "accountChanged",
    "billingChanged",
}
OPTIONAL_FILLED = ("userId",)  # optional arguments filled too (breachImpact needs one of two)


@pytest.fixture
async def wide(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The real app in process, with room for the walker's every-field documents."""
    settings = make_settings(database_url, tmp_path, max_tokens=100_000, max_query_depth=20)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def document(
    world: World, root: str, name: str, f: GraphQLField, target: str
) -> tuple[str, dict[str, Any]] | None:
    """The field with every sub-field selected and its required arguments filled; None when
    an argument cannot be filled."""
    values: dict[str, Any] = {}
    for arg in [*_required(f), *(a for a in OPTIONAL_FILLED if a in f.args)]:
        value = world.argument(root, arg, f, target)
        if value is Undefined:
            return None
        values[arg] = value
    declared = ", ".join(f"${a}: {f.args[a].type}" for a in values)
    call = f"{name}({', '.join(f'{a}: ${a}' for a in values)})" if values else name
    kind = get_named_type(f.type)
    inner = "" if is_leaf_type(kind) else f" {{ {selection(kind)} }}"
    operation = "query" if root == "Query" else "subscription"
    head = f"{operation} Walk({declared})" if values else operation
    return f"{head} {{ {call}{inner} }}", values


def control(world: World, f: GraphQLField) -> str:
    """Who must see the targets through ``f``: the practice admin, or for a clinical field
    (which no admin scope reaches) a dentist."""
    return world.clinician if "CLINICAL_READ" in (f.description or "") else world.admin


def takes_patient(f: GraphQLField) -> bool:
    return (
        "patientId" in f.args
        or ("id" in f.args and get_named_type(f.type).name == "Patient")
        or takes_node_ids(f)
    )


def shape(result: GraphQLResult) -> tuple[object, list[tuple[object, ...]]]:
    errors = [
        (e.get("extensions", {}).get("code"), e.get("message"), tuple(e.get("path") or ()))
        for e in result.errors
    ]
    return result.data, sorted(errors, key=str)


def _roots() -> list[tuple[str, str, GraphQLField]]:
    return list(patient_roots(SCHEMA))


def test_the_walker_finds_the_patient_fields_and_every_one_is_callable_or_declared() -> None:
    found = {name for _, name, _ in _roots()}
    # The paths the visibility issue named are found by the walk, not listed by hand.
    assert {"patient", "patients", "schedule", "patientAppointments"} <= found
    assert {"node", "nodes"} <= found  # through the Node interface's patient-carrying types
    assert {name for root, name, _ in _roots() if root == "Subscription"} == LIVE
    world = World("p", {}, {}, {}, "u", {})
    uncallable = {
        name
        for root, name, f in _roots()
        if root == "Query" and document(world, root, name, f, "") is None
    }
    assert uncallable == set(UNREACHABLE), "declare each with the reason, or teach the walker"
    assert set(NOT_EXERCISED) <= found


async def test_no_field_shows_a_patient_to_a_principal_who_may_not_see_them(
    wide: httpx.AsyncClient,
) -> None:
    async def run(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        return (await gql(wide, query, variables, token=token)).body

    world = await build(wide, run)
    failures: list[str] = []
    for root, name, f in _roots():
        if root != "Query" or name in UNREACHABLE:
            continue
        per_patient = takes_patient(f)
        for kind, token in world.tokens.items():
            random = None
            if per_patient:
                built = document(world, root, name, f, "")
                assert built is not None
                random = await gql(wide, *built, token=token)
            for target in list(world.targets) if per_patient else [""]:
                built = document(world, root, name, f, target)
                assert built is not None
                result = await gql(wide, *built, token=token)
                assert result.status == 200, (name, kind, result.body)
                leaked = world.leaked(kind, result.body)
                if leaked:
                    failures.append(f"{name} shows {leaked} to {kind}")
                hidden = target and target not in world.sees[kind]
                if hidden and random is not None and shape(result) != shape(random):
                    failures.append(
                        f"{name}({target}) as {kind} differs from a random id: "
                        f"{shape(result)} != {shape(random)}"
                    )
                if kind == control(world, f) and name not in NOT_EXERCISED:
                    # A per-patient field answers for the target; a list names the targets.
                    answered = (result.data or {}).get(name) is not None
                    if per_patient and (not answered or "NOT_FOUND" in result.codes):
                        failures.append(f"control: {name}({target}) denies the admin")
                    if not per_patient and not world.shown(result.body):
                        failures.append(f"control: {name} shows the admin no target")
    assert failures == [], "\n".join(failures)


PATIENT = "query P($id: ID!) { patient(id: $id) { lastName } }"
BOARD = """
query B($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id startsAt receptionNotes patient { lastName hasMedicalAlert } }
  }
}"""


async def test_each_principal_sees_exactly_the_patients_it_may(wide: httpx.AsyncClient) -> None:
    """The positive side: visibility hides no one it should show (own record, the guardian's
    child, the consenting patient for the partner) and the board keeps hidden bookings as
    busy time, patient null with FORBIDDEN at its path."""

    async def run(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        return (await gql(wide, query, variables, token=token)).body

    world = await build(wide, run)
    for kind, token in world.tokens.items():
        for target, patient in world.targets.items():
            result = await gql(wide, PATIENT, {"id": str(patient.id)}, token=token)
            shown = (result.data or {}).get("patient")
            if target in world.sees[kind]:
                assert shown == {"lastName": patient.last_name}, (kind, target, result.body)
            else:
                assert shown is None
                assert result.codes in (["NOT_FOUND"], ["FORBIDDEN"])
    board_vars = {"practiceId": world.practice_id, **_window()}
    board = await gql(wide, BOARD, board_vars, token=world.tokens["PARTNER"])
    rows = board.data["schedule"]["appointments"]
    assert len(rows) == 3  # every booking is still busy time
    names = [r["patient"]["lastName"] if r["patient"] else None for r in rows]
    assert names == [world.targets["consented"].last_name, None, None]
    forbidden = [e["path"] for e in board.errors if e["extensions"]["code"] == "FORBIDDEN"]
    assert forbidden == [["schedule", "appointments", i, "patient"] for i in (1, 2)]
    assert all(r["receptionNotes"] is None for r in rows[1:])


def _window() -> dict[str, str]:
    from tests.graph.visibility_world import WINDOW

    return dict(WINDOW)

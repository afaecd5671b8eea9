"""Treatment plans through GraphQL: phases and estimates, valid transitions only, the signed
acceptance (document, consent, snapshot) surviving a new version, completion charting the
procedure and moving the recall, the billing work list, and refusals that change nothing."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from db.models import (
    AuditEvent,
    ConsentRecord,
    Document,
    DomainEvent,
    Patient,
    Practice,
    Recall,
    TreatmentPlan,
    TreatmentPlanItem,
)
from services.clinical import catalogue
from services.policy import Role
from services.scheduling.recalls import add_months
from tests import factories
from tests.factories import GraphQLResult, gql

PLAN_FIELDS = """
  id versionId version status patientId totalPence acceptedAt signedName
  signatureDocumentId witnessUserId consentRecordId snapshot snapshotSha256 supersededAt
  phases { number totalPence items { id phase procedureCode procedureName toothFdi surfaces
    feePence nhsBand completedAt chartEntryId } }
"""


def _mutation(name: str, input_type: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ plan {{ {PLAN_FIELDS} }} }} }}"
    )


CREATE = _mutation("createTreatmentPlan", "CreateTreatmentPlanInput")
ADD = _mutation("addPlanItem", "AddPlanItemInput")
UPDATE = _mutation("updatePlanItem", "UpdatePlanItemInput")
REMOVE = _mutation("removePlanItem", "PlanItemIdInput")
ACCEPT = _mutation("acceptTreatmentPlan", "AcceptTreatmentPlanInput")
DECLINE = _mutation("declineTreatmentPlan", "TreatmentPlanIdInput")
NEW_VERSION = _mutation("proposeNewVersion", "TreatmentPlanIdInput")
COMPLETE = _mutation("completePlanItem", "PlanItemIdInput")
ONE = "query P($id: ID!, $v: Int) { treatmentPlan(id: $id, version: $v) { " + PLAN_FIELDS + " } }"
LIST = "query L($p: ID!) { treatmentPlans(patientId: $p) { id version status totalPence } }"
UNINVOICED = """
query U($p: ID!) { completedNotInvoiced(practiceId: $p) {
  edges { node { itemId patientId procedureCode feePence completedAt } } } }"""
PAGE = """
query U($p: ID!, $after: String) { completedNotInvoiced(practiceId: $p, first: 1, after: $after) {
  edges { node { procedureCode } } pageInfo { hasNextPage endCursor } } }"""
RECORD = """
mutation R($input: RecordChartEntryInput!) { recordChartEntry(input: $input) { entry { id } } }"""
CHART = "query C($p: ID!) { toothChart(patientId: $p) { entries { id code toothFdi status } } }"


def _png() -> str:
    out = io.BytesIO()
    Image.new("L", (40, 12), 255).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def _world() -> tuple[Practice, Patient, str, Any]:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patient = await factories.patient(practice)
    dentist = await factories.user(Role.DENTIST, practice)
    return practice, patient, factories.access_token(dentist), dentist


async def _ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await gql(client, doc, {"input": values}, token=token)
    assert result.errors == [], result.errors
    plan: dict[str, Any] = next(iter(result.data.values()))["plan"]
    return plan


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _planned(
    client: httpx.AsyncClient, token: str, patient: Patient
) -> tuple[dict[str, Any], list[str]]:
    plan = await _ok(client, CREATE, token, patientId=str(patient.id))
    plan = await _ok(client, ADD, token, planId=plan["id"], code="EXAM")
    plan = await _ok(
        client, ADD, token, planId=plan["id"], code="AM2", tooth="36", surfaces="om", phase=2
    )
    items = [i["id"] for p in plan["phases"] for i in p["items"]]
    return plan, items


def _accept(plan: dict[str, Any]) -> dict[str, Any]:
    return {
        "planId": plan["id"],
        "signedName": "Zoë O'Brien",
        "signatureBase64": _png(),
        "signatureContentType": "image/png",
    }


async def test_phases_estimates_and_catalogue_fees(client: httpx.AsyncClient) -> None:
    _, patient, token, _ = await _world()
    plan, items = await _planned(client, token, patient)
    assert plan["status"] == "PROPOSED"
    assert [(p["number"], p["totalPence"]) for p in plan["phases"]] == [(1, 5500), (2, 11000)]
    assert plan["totalPence"] == 16500
    filling = plan["phases"][1]["items"][0]
    assert (filling["toothFdi"], filling["surfaces"], filling["nhsBand"]) == (36, "MO", "BAND_2")
    changed = await _ok(client, UPDATE, token, itemId=items[1], feePence=9900, phase=1)
    assert [(p["number"], p["totalPence"]) for p in changed["phases"]] == [(1, 15400)]
    removed = await _ok(client, REMOVE, token, itemId=items[0])
    assert removed["totalPence"] == 9900
    listed = await gql(client, LIST, {"p": str(patient.id)}, token=token)
    assert listed.data["treatmentPlans"] == [
        {"id": plan["id"], "version": 1, "status": "PROPOSED", "totalPence": 9900}
    ]


async def test_acceptance_is_signed_snapshotted_and_survives_a_new_version(
    client: httpx.AsyncClient,
) -> None:
    _, patient, token, dentist = await _world()
    plan, _ = await _planned(client, token, patient)
    accepted = await _ok(client, ACCEPT, token, **_accept(plan))
    assert accepted["status"] == "ACCEPTED"
    assert accepted["signedName"] == "Zoë O'Brien"
    assert accepted["witnessUserId"] == str(dentist.id)
    snapshot = accepted["snapshot"]
    assert hashlib.sha256(snapshot.encode()).hexdigest() == accepted["snapshotSha256"]
    assert json.loads(snapshot)["totalPence"] == 16500
    document = await Document.get(id=accepted["signatureDocumentId"])
    assert (document.kind, document.content_type) == ("SIGNATURE", "image/png")
    consent = await ConsentRecord.get(id=accepted["consentRecordId"])
    assert (consent.purpose, consent.subject, consent.granted) == ("TREATMENT", plan["id"], True)
    refused = await _do(client, ADD, token, planId=plan["id"], code="FV")
    assert refused.codes == ["CONFLICT"]

    second = await _ok(client, NEW_VERSION, token, planId=plan["id"])
    assert (second["id"], second["version"], second["status"]) == (plan["id"], 2, "PROPOSED")
    assert second["snapshot"] is None
    await _ok(client, ADD, token, planId=plan["id"], code="FV")
    await _ok(client, ADD, token, planId=plan["id"], code="CO1", tooth="11", surfaces="M")

    signed = await gql(client, ONE, {"id": plan["id"], "v": 1}, token=token)
    old = signed.data["treatmentPlan"]
    assert old["status"] == "SUPERSEDED"
    assert old["supersededAt"] is not None
    assert (old["snapshot"], old["snapshotSha256"]) == (snapshot, accepted["snapshotSha256"])
    assert old["totalPence"] == 16500
    newest = (await gql(client, ONE, {"id": plan["id"]}, token=token)).data["treatmentPlan"]
    assert (newest["version"], newest["totalPence"]) == (2, 16500 + 2500 + 12000)
    reads = await AuditEvent.filter(entity_type="TreatmentPlan", action__startswith="READ")
    assert {str(r.entity_id) for r in reads} >= {old["versionId"], newest["versionId"]}


async def test_only_valid_transitions(client: httpx.AsyncClient) -> None:
    _, patient, token, _ = await _world()
    plan, items = await _planned(client, token, patient)
    assert (await _do(client, COMPLETE, token, itemId=items[0])).codes == ["CONFLICT"]
    assert (await _do(client, NEW_VERSION, token, planId=plan["id"])).codes == ["CONFLICT"]
    declined = await _ok(client, DECLINE, token, planId=plan["id"])
    assert declined["status"] == "DECLINED"
    assert (await _do(client, ACCEPT, token, **_accept(plan))).codes == ["CONFLICT"]
    assert (await _do(client, DECLINE, token, planId=plan["id"])).codes == ["CONFLICT"]
    assert await Document.filter(patient_id=patient.id).count() == 0
    assert await ConsentRecord.filter(patient_id=patient.id).count() == 0


async def test_completing_items_charts_them_moves_the_recall_and_feeds_billing(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token, _ = await _world()
    planned = await gql(
        client,
        RECORD,
        {
            "input": {
                "patientId": str(patient.id),
                "kind": "PROCEDURE",
                "code": "AM2",
                "tooth": "36",
                "surfaces": "MO",
                "status": "PLANNED",
            }
        },
        token=token,
    )
    planned_id = planned.data["recordChartEntry"]["entry"]["id"]
    plan, items = await _planned(client, token, patient)
    await _ok(client, ACCEPT, token, **_accept(plan))
    events_before = await DomainEvent.filter(type="CHART_ENTRY_RECORDED").count()

    first = await _ok(client, COMPLETE, token, itemId=items[1])
    assert first["status"] == "IN_PROGRESS"
    entry_id = first["phases"][1]["items"][0]["chartEntryId"]
    chart = await gql(client, CHART, {"p": str(patient.id)}, token=token)
    shown = {e["id"]: e for e in chart.data["toothChart"]["entries"]}
    assert planned_id not in shown  # replaced by the completed entry
    assert (shown[entry_id]["code"], shown[entry_id]["status"]) == ("AM2", "COMPLETED")
    assert await DomainEvent.filter(type="CHART_ENTRY_RECORDED").count() == events_before + 1
    assert (await _do(client, COMPLETE, token, itemId=items[1])).codes == ["CONFLICT"]

    assert await Recall.filter(patient_id=patient.id).count() == 0
    done = await _ok(client, COMPLETE, token, itemId=items[0])
    assert done["status"] == "COMPLETED"
    recall = await Recall.get(patient_id=patient.id, kind="EXAM")
    assert recall.last_completed_at is not None
    today = recall.last_completed_at.astimezone(ZoneInfo("Europe/London")).date()
    assert recall.due_on == add_months(today, 6)  # the practice's default exam interval
    actions = await AuditEvent.filter(entity_type="TreatmentPlan").values_list("action", flat=True)
    assert {"ACCEPT treatment_plan", "COMPLETE treatment_plan_item"} <= set(actions)
    assert await DomainEvent.filter(type="TREATMENT_PLAN_CHANGED").count() >= 5

    billing = await gql(client, UNINVOICED, {"p": str(practice.id)}, token=token)
    nodes = [e["node"] for e in billing.data["completedNotInvoiced"]["edges"]]
    assert [(n["procedureCode"], n["feePence"]) for n in nodes] == [("AM2", 11000), ("EXAM", 5500)]
    page = await gql(client, PAGE, {"p": str(practice.id)}, token=token)
    first_page = page.data["completedNotInvoiced"]
    assert [e["node"]["procedureCode"] for e in first_page["edges"]] == ["AM2"]
    assert first_page["pageInfo"]["hasNextPage"] is True
    after = {"p": str(practice.id), "after": first_page["pageInfo"]["endCursor"]}
    rest = (await gql(client, PAGE, after, token=token)).data["completedNotInvoiced"]
    assert [e["node"]["procedureCode"] for e in rest["edges"]] == ["EXAM"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_bad_input_gets_a_code_and_changes_nothing(client: httpx.AsyncClient) -> None:
    _, patient, token, _ = await _world()
    other_practice, other_patient, other_token, _ = await _world()
    plan = await _ok(client, CREATE, token, patientId=str(patient.id))
    theirs = await _ok(client, CREATE, other_token, patientId=str(other_patient.id))

    foreign = await _do(client, ADD, token, planId=theirs["id"], code="EXAM")
    random = await _do(client, ADD, token, planId=str(uuid4()), code="EXAM")
    assert foreign.codes == random.codes == ["NOT_FOUND"]
    assert foreign.errors[0]["message"] == random.errors[0]["message"]
    on_their_patient = await _do(client, CREATE, token, patientId=str(other_patient.id))
    assert on_their_patient.codes == ["NOT_FOUND"]
    read = await gql(client, ONE, {"id": theirs["id"]}, token=token)
    assert read.codes == ["NOT_FOUND"]

    unknown_tooth = await _do(client, ADD, token, planId=plan["id"], code="XR-PA", tooth="19")
    assert unknown_tooth.codes == ["BAD_USER_INPUT"]
    assert unknown_tooth.errors[0]["extensions"]["field"] == "tooth"
    occlusal_incisor = await _do(
        client, ADD, token, planId=plan["id"], code="CO1", tooth="11", surfaces="O"
    )
    assert occlusal_incisor.codes == ["BAD_USER_INPUT"]
    assert occlusal_incisor.errors[0]["extensions"]["field"] == "surfaces"
    wrong_count = await _do(
        client, ADD, token, planId=plan["id"], code="AM2", tooth="36", surfaces="O"
    )
    assert wrong_count.codes == ["BAD_USER_INPUT"]
    negative = await _do(client, ADD, token, planId=plan["id"], code="EXAM", feePence=-1)
    assert negative.codes == ["BAD_USER_INPUT"]
    assert await TreatmentPlanItem.all().count() == 0
    assert other_practice.id != patient.practice_id


async def test_signature_must_be_a_real_small_image(client: httpx.AsyncClient) -> None:
    _, patient, token, _ = await _world()
    plan, _ = await _planned(client, token, patient)
    fake = base64.b64encode(b"MZ\x90\x00 not an image at all").decode()
    cases = [
        {"signatureBase64": fake},
        {"signatureContentType": "application/pdf"},
        {"signatureBase64": "***"},
        {"signatureBase64": base64.b64encode(b"\x89PNG" + b"0" * 100_000).decode()},
        {"signedName": "  "},
    ]
    for change in cases:
        refused = await _do(client, ACCEPT, token, **{**_accept(plan), **change})
        assert refused.codes == ["BAD_USER_INPUT"], change
    assert await Document.filter(patient_id=patient.id).count() == 0
    assert (await TreatmentPlan.get(id=plan["versionId"])).status == "PROPOSED"


async def test_reception_is_forbidden(client: httpx.AsyncClient) -> None:
    practice, patient, token, _ = await _world()
    plan, _ = await _planned(client, token, patient)
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    listed = await gql(client, LIST, {"p": str(patient.id)}, token=receptionist)
    assert listed.codes == ["FORBIDDEN"]
    assert listed.data["treatmentPlans"] is None
    created = await _do(client, CREATE, receptionist, patientId=str(patient.id))
    assert created.codes == ["FORBIDDEN"]
    added = await _do(client, ADD, receptionist, planId=plan["id"], code="FV")
    assert added.codes == ["FORBIDDEN"]
    billing = await gql(client, UNINVOICED, {"p": str(practice.id)}, token=receptionist)
    assert billing.codes == ["FORBIDDEN"]
    assert await TreatmentPlanItem.filter(code="FV").count() == 0


async def test_a_patient_reads_their_own_plan_and_never_anothers(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token, _ = await _world()
    other = await factories.patient(practice)
    mine, items = await _planned(client, token, patient)
    theirs, their_items = await _planned(client, token, other)
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    read = await gql(client, ONE, {"id": mine["id"]}, token=own)
    assert read.errors == []
    assert read.data["treatmentPlan"]["totalPence"] == 16500

    def shape(result: GraphQLResult) -> list[tuple[object, object]]:
        return [(e["extensions"]["code"], e["message"]) for e in result.errors]

    hidden = await gql(client, ONE, {"id": theirs["id"]}, token=own)
    random = await gql(client, ONE, {"id": str(uuid4())}, token=own)
    assert shape(hidden) == shape(random) == [("NOT_FOUND", "Treatment plan not found.")]
    hidden_item = await _do(client, COMPLETE, own, itemId=their_items[0])
    random_item = await _do(client, COMPLETE, own, itemId=str(uuid4()))
    assert shape(hidden_item) == shape(random_item)
    assert (await _do(client, COMPLETE, own, itemId=items[0])).codes == ["FORBIDDEN"]


async def test_demo_plans_are_proposed_in_two_phases(client: httpx.AsyncClient) -> None:
    import random

    from services.clinical import demo_plans

    practice, patient, token, dentist = await _world()
    assert await demo_plans.seed_plans(practice, [patient], dentist, random.Random(7)) == 1
    listed = await gql(client, LIST, {"p": str(patient.id)}, token=token)
    [plan] = listed.data["treatmentPlans"]
    assert plan["status"] == "PROPOSED"
    shown = (await gql(client, ONE, {"id": plan["id"]}, token=token)).data["treatmentPlan"]
    assert [p["number"] for p in shown["phases"]] == [1, 2]
    assert shown["totalPence"] == 6500 + 1500 + 11000
    accepted = await _ok(client, ACCEPT, token, **_accept(plan))
    assert accepted["status"] == "ACCEPTED"


async def test_an_acceptance_that_does_not_commit_leaves_no_signature_behind(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.clinical import plans
    from services.documents import stores
    from services.documents.storage import FileSystemStore
    from services.errors import Conflict

    _, patient, token, _ = await _world()
    plan, _ = await _planned(client, token, patient)

    async def refused(*_: object, **__: object) -> object:
        raise Conflict("The ledger refused.", field="planId")  # after the document row is saved

    monkeypatch.setattr(plans.ledger, "treatment_accepted_in", refused)
    store = stores.current()
    assert isinstance(store, FileSystemStore)
    before = {p for p in store.root.rglob("*") if p.is_file()} if store.root.exists() else set()
    failed = await _do(client, ACCEPT, token, **_accept(plan))
    assert failed.codes == ["CONFLICT"]
    assert await Document.filter(patient_id=patient.id).count() == 0
    after = {p for p in store.root.rglob("*") if p.is_file()} if store.root.exists() else set()
    assert after == before  # the sealed blob and thumbnail were removed
    assert (await TreatmentPlan.get(id=plan["versionId"])).status == "PROPOSED"
    assert await AuditEvent.filter(action="UPLOAD_DOCUMENT", patient_id=patient.id).count() == 0

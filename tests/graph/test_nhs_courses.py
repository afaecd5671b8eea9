"""NHS England courses through GraphQL: one charge per course from its most complex item, the
band table of the opening day, exemptions with evidence, frozen at completion, and refusals that
change nothing."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from db.models import AuditEvent, DomainEvent, NhsCourse, NhsCourseItem, Patient, Practice
from services.clinical import catalogue
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql

COURSE = """id patientId status openedOn completedOn band udasHundredths exemption evidenceSeen
  evidenceSeenByUserId evidenceSeenAt patientCharge { amount formatted } bandCharge { amount }
  exemptionMaximum { amount } items { procedureCode toothFdi nhsBand planItemId chartEntryId }"""


def _mutation(name: str, input_type: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ course {{ {COURSE} }} }} }}"
    )


OPEN = _mutation("openNhsCourse", "OpenNhsCourseInput")
ADD = _mutation("addToNhsCourse", "AddToNhsCourseInput")
EXEMPT = _mutation("recordExemption", "RecordExemptionInput")
COMPLETE = _mutation("completeNhsCourse", "NhsCourseIdInput")
CANCEL = _mutation("cancelNhsCourse", "NhsCourseIdInput")
LIST = f"query L($p: ID!) {{ nhsCourses(patientId: $p) {{ {COURSE} }} }}"
PLAN = """mutation P($input: CreateTreatmentPlanInput!) { createTreatmentPlan(input: $input) {
  plan { id } } }"""
PLAN_ADD = """mutation A($input: AddPlanItemInput!) { addPlanItem(input: $input) {
  plan { phases { items { id procedureCode } } } } }"""


async def _world() -> tuple[Practice, Patient, str, str, Any]:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patient = await factories.patient(practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    dentist = await factories.user(Role.DENTIST, practice)
    return (
        practice,
        patient,
        factories.access_token(receptionist),
        factories.access_token(dentist),
        receptionist,
    )


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await _do(client, doc, token, **values)
    assert result.errors == [], result.errors
    course: dict[str, Any] = next(iter(result.data.values()))["course"]
    return course


def _field(result: GraphQLResult) -> str | None:
    return result.errors[0].get("extensions", {}).get("field")


def _codes(*items: tuple[str, int | None]) -> list[dict[str, Any]]:
    return [{"procedureCode": code, "toothFdi": tooth} for code, tooth in items]


async def test_an_examination_and_scale_is_one_band_1_charge(client: httpx.AsyncClient) -> None:
    _, patient, token, dentist, _ = await _world()
    course = await _ok(client, OPEN, token, patientId=str(patient.id), openedOn="2025-05-01")
    assert (course["status"], course["band"], course["patientCharge"]) == ("OPEN", None, None)
    course = await _ok(
        client, ADD, token, courseId=course["id"], items=_codes(("EXAM", None), ("SP", None))
    )
    assert [i["nhsBand"] for i in course["items"]] == ["BAND_1", "BAND_1"]
    done = await _ok(client, COMPLETE, token, courseId=course["id"], completedOn="2025-05-20")
    assert (done["status"], done["band"], done["udasHundredths"]) == ("COMPLETED", "BAND_1", 100)
    assert done["patientCharge"] == {"amount": 2740, "formatted": "£27.40"}
    again = await _do(client, COMPLETE, token, courseId=course["id"])
    assert again.codes == ["CONFLICT"]
    late = await _do(client, ADD, token, courseId=course["id"], items=_codes(("FV", None)))
    assert late.codes == ["CONFLICT"]
    assert await NhsCourseItem.filter(course_id=course["id"]).count() == 2

    listed = await gql(client, LIST, {"p": str(patient.id)}, token=dentist)  # clinicians read
    assert [(c["id"], c["band"]) for c in listed.data["nhsCourses"]] == [(course["id"], "BAND_1")]
    reads = await AuditEvent.filter(entity_type="NhsCourse", action__startswith="READ")
    assert {str(r.entity_id) for r in reads} == {course["id"]}
    assert all(str(r.patient_id) == str(patient.id) for r in reads)
    events = await DomainEvent.filter(topic="billing", type="NHS_COURSE_CHANGED").count()
    assert events == 3  # open, add, complete


async def test_the_opening_days_table_prices_a_molar_root_canal(client: httpx.AsyncClient) -> None:
    _, patient, token, _, _ = await _world()
    course = await _ok(client, OPEN, token, patientId=str(patient.id), openedOn="2025-03-20")
    await _ok(
        client,
        ADD,
        token,
        courseId=course["id"],
        items=_codes(("EXAM", None), ("RCT-M", 36), ("AM2", 37)),
    )
    done = await _ok(client, COMPLETE, token, courseId=course["id"], completedOn="2025-04-10")
    # Opened under the 2024 table, completed after the 2025 one came in: the 2024 charge.
    assert (done["band"], done["udasHundredths"]) == ("BAND_2C", 700)
    assert (done["patientCharge"]["amount"], done["bandCharge"]["amount"]) == (7350, 7350)


async def test_fillings_on_three_teeth_from_the_plan_are_band_2b(
    client: httpx.AsyncClient,
) -> None:
    _, patient, token, dentist, _ = await _world()
    plan = (await _do(client, PLAN, dentist, patientId=str(patient.id))).data["createTreatmentPlan"]
    items: list[str] = []
    for code, tooth, surfaces in (("AM1", "36", "O"), ("AM2", "46", "MO"), ("CO1", "21", "M")):
        result = await _do(
            client,
            PLAN_ADD,
            dentist,
            planId=plan["plan"]["id"],
            code=code,
            tooth=tooth,
            surfaces=surfaces,
        )
        assert result.errors == [], result.errors
        found = result.data["addPlanItem"]["plan"]["phases"][0]["items"]
        items = [i["id"] for i in found]
    course = await _ok(client, OPEN, token, patientId=str(patient.id), openedOn="2025-06-01")
    added = await _ok(
        client, ADD, token, courseId=course["id"], items=[{"planItemId": i} for i in items]
    )
    assert {i["planItemId"] for i in added["items"]} == set(items)
    assert sorted(i["toothFdi"] for i in added["items"]) == [21, 36, 46]
    twice = await _do(client, ADD, token, courseId=course["id"], items=[{"planItemId": items[0]}])
    assert twice.codes == ["CONFLICT"]
    done = await _ok(client, COMPLETE, token, courseId=course["id"], completedOn="2025-06-02")
    assert (done["band"], done["udasHundredths"], done["patientCharge"]["amount"]) == (
        "BAND_2B",
        500,
        7530,
    )


async def test_exemptions_with_evidence(client: httpx.AsyncClient) -> None:
    _, patient, token, _, receptionist = await _world()
    course = await _ok(client, OPEN, token, patientId=str(patient.id), openedOn="2025-05-01")
    await _ok(client, ADD, token, courseId=course["id"], items=_codes(("CR-PBM", 11)))
    no_max = await _do(
        client, EXEMPT, token, courseId=course["id"], exemption="HC3_PARTIAL", evidenceSeen=True
    )
    assert (no_max.codes, _field(no_max)) == (["BAD_USER_INPUT"], "maximumContribution")
    marked = await _ok(
        client, EXEMPT, token, courseId=course["id"], exemption="UNDER_18", evidenceSeen=True
    )
    assert (marked["exemption"], marked["evidenceSeen"]) == ("UNDER_18", True)
    assert marked["evidenceSeenByUserId"] == str(receptionist.id)
    assert marked["evidenceSeenAt"] is not None
    done = await _ok(client, COMPLETE, token, courseId=course["id"], completedOn="2025-05-02")
    assert (done["band"], done["patientCharge"]["amount"], done["bandCharge"]["amount"]) == (
        "BAND_3",
        0,
        32670,
    )
    assert done["udasHundredths"] == 1200

    second = await _ok(client, OPEN, token, patientId=str(patient.id), openedOn="2025-06-01")
    await _ok(client, ADD, token, courseId=second["id"], items=_codes(("CR-PBM", 21)))
    capped = await _ok(
        client,
        EXEMPT,
        token,
        courseId=second["id"],
        exemption="HC3_PARTIAL",
        evidenceSeen=False,
        maximumContribution={"amount": 5000, "currency": "GBP"},
    )
    assert (capped["evidenceSeen"], capped["evidenceSeenByUserId"]) == (False, None)
    done = await _ok(client, COMPLETE, token, courseId=second["id"], completedOn="2025-06-01")
    assert done["patientCharge"]["amount"] == 5000
    assert done["exemptionMaximum"] == {"amount": 5000}


async def test_refusals_change_nothing(client: httpx.AsyncClient) -> None:
    practice, patient, token, dentist, _ = await _world()
    assert (await _do(client, OPEN, dentist, patientId=str(patient.id))).codes == ["FORBIDDEN"]
    too_early = await _do(client, OPEN, token, patientId=str(patient.id), openedOn="2024-01-01")
    assert (too_early.codes, _field(too_early)) == (["BAD_USER_INPUT"], "openedOn")
    other = await factories.patient(await factories.practice())
    assert (await _do(client, OPEN, token, patientId=str(other.id))).codes == ["NOT_FOUND"]
    course = await _ok(client, OPEN, token, patientId=str(patient.id), openedOn="2025-05-01")
    assert (await _do(client, OPEN, token, patientId=str(patient.id))).codes == ["CONFLICT"]
    private = await _do(client, ADD, token, courseId=course["id"], items=_codes(("VEN", 11)))
    assert (private.codes, _field(private)) == (["BAD_USER_INPUT"], "code")
    empty = await _do(client, COMPLETE, token, courseId=course["id"], completedOn="2025-05-02")
    assert (empty.codes, _field(empty)) == (["BAD_USER_INPUT"], "items")
    random = await _do(client, COMPLETE, token, courseId=str(uuid4()))
    assert random.codes == ["NOT_FOUND"]
    cancelled = await _ok(client, CANCEL, token, courseId=course["id"])
    assert cancelled["status"] == "CANCELLED"
    assert (await _do(client, COMPLETE, token, courseId=course["id"])).codes == ["CONFLICT"]
    row = await NhsCourse.get(id=course["id"])
    assert (row.status, row.band, row.charge_minor) == ("CANCELLED", None, None)
    assert await NhsCourseItem.filter(course_id=course["id"]).count() == 0

    practice.jurisdiction = "SCOTLAND"
    await practice.save()
    scottish = await _do(client, OPEN, token, patientId=str(patient.id))
    assert (scottish.codes, _field(scottish)) == (["BAD_USER_INPUT"], "patientId")


RECORD = """mutation R($input: RecordChartEntryInput!) { recordChartEntry(input: $input) {
  entry { id } } }"""


async def test_chart_entries_count_and_another_patients_do_not(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token, dentist, _ = await _world()
    other = await factories.patient(practice)
    ids: dict[str, str] = {}
    for name, who, code, tooth, surfaces in (
        ("rct", patient, "RCT-A", "11", ""),
        ("caries", patient, None, "16", "O"),
        ("theirs", other, "EXT", "48", ""),
    ):
        values: dict[str, Any] = {"patientId": str(who.id), "tooth": tooth, "surfaces": surfaces}
        if code is None:
            values |= {"kind": "CONDITION", "code": "CARIES", "status": "EXISTING"}
        else:
            values |= {"kind": "PROCEDURE", "code": code, "status": "COMPLETED"}
        recorded = await gql(client, RECORD, {"input": values}, token=dentist)
        assert recorded.errors == [], recorded.errors
        ids[name] = recorded.data["recordChartEntry"]["entry"]["id"]
    course = await _ok(client, OPEN, token, patientId=str(patient.id), openedOn="2025-07-01")
    theirs = await _do(
        client, ADD, token, courseId=course["id"], items=[{"chartEntryId": ids["theirs"]}]
    )
    assert theirs.codes == ["NOT_FOUND"]
    condition = await _do(
        client, ADD, token, courseId=course["id"], items=[{"chartEntryId": ids["caries"]}]
    )
    assert (condition.codes, _field(condition)) == (["BAD_USER_INPUT"], "chartEntryId")
    added = await _ok(
        client, ADD, token, courseId=course["id"], items=[{"chartEntryId": ids["rct"]}]
    )
    assert [(i["procedureCode"], i["toothFdi"], i["chartEntryId"]) for i in added["items"]] == [
        ("RCT-A", 11, ids["rct"])
    ]
    done = await _ok(client, COMPLETE, token, courseId=course["id"], completedOn="2025-07-01")
    assert (done["band"], done["udasHundredths"]) == ("BAND_2A", 300)

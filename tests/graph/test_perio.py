"""The perio chart and BPE end to end: a full-mouth exam saved as one mutation and read back with
CAL derived, missing teeth from the tooth chart, copy previous exam, comparison, BPE with its
follow-up, who may read and change them, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from db.models import AuditEvent, BpeRecord, DomainEvent, Patient, PerioExam, PerioFollowUp
from services.clinical import catalogue
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.sql_counter import count_statements

EXAM_FIELDS = """
id status examinedAt copiedFromId missingTeeth derivedBpe bleedingPercent plaquePercent
teeth { tooth toothFdi siteNames probingDepths gingivalMargins attachmentLevels bleeding
        suppuration plaque mobility furcation { site grade } }
"""
RECORD = f"""
mutation R($input: RecordPerioExamInput!) {{ recordPerioExam(input: $input) {{ exam {{
  {EXAM_FIELDS} }} }} }}"""
COPY = f"""
mutation C($patientId: ID!) {{ copyPreviousPerioExam(input: {{patientId: $patientId}}) {{
  exam {{ {EXAM_FIELDS} }} }} }}"""
EXAM = f"query E($id: ID!) {{ perioExam(id: $id) {{ {EXAM_FIELDS} }} }}"
EXAMS = """
query L($patientId: ID!, $first: Int, $after: String) {
  perioExams(patientId: $patientId, first: $first, after: $after) {
    edges { node { id status missingTeeth teeth { toothFdi } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
COMPARE = """
query P($patientId: ID!, $examIds: [ID!]) {
  perioComparison(patientId: $patientId, examIds: $examIds) {
    examIds worsenedSites improvedSites
    sites { tooth site probingDepths attachmentLevels probingDepthChange attachmentChange }
  }
}"""
BPE = """
mutation B($input: RecordBpeInput!) { recordBpe(input: $input) { bpe {
  id codes highest sextants followUp { id bpeId scope sextants dueOn doneAt doneByExamId } } } }"""
BPES = """
query Q($patientId: ID!) { bpeRecords(patientId: $patientId) { edges { node {
  id codes followUp { scope sextants doneByExamId } } } } }"""
CHART = """
mutation M($input: RecordChartEntryInput!) { recordChartEntry(input: $input) { entry { id } } }
"""
UPPER = (17, 16, 15, 14, 13, 12, 11, 21, 22, 23, 24, 25, 26, 27)
LOWER = (47, 46, 45, 44, 43, 42, 41, 31, 32, 33, 34, 35, 36, 37)


async def _world() -> tuple[Patient, str, Any]:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patient = await factories.patient(practice)
    dentist = await factories.user(Role.DENTIST, practice)
    return patient, factories.access_token(dentist), practice


def full_mouth(depth: int = 3, skip: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """All 28 teeth plus 18 and 48 charted, every site."""
    teeth = []
    for fdi in (18, *UPPER, *LOWER, 48):
        if fdi in skip:
            continue
        teeth.append(
            {
                "tooth": str(fdi),
                "probingDepths": [depth, 2, depth, 2, 2, depth],
                "gingivalMargins": [0, 0, -1, 0, 0, 0],
                "bleeding": [fdi % 2 == 0, False, False, False, False, False],
                "plaque": [False, False, False, False, False, fdi % 3 == 0],
                "suppuration": [False] * 6,
                "mobility": 0,
            }
        )
    return teeth


async def _exam(
    client: httpx.AsyncClient,
    token: str,
    patient: Patient,
    teeth: list[dict[str, Any]],
    **more: Any,
) -> dict[str, Any]:
    result = await gql(
        client, RECORD, {"input": {"patientId": str(patient.id), "teeth": teeth, **more}},
        token=token,
    )  # fmt: skip
    assert result.errors == [], result.errors
    exam: dict[str, Any] = result.data["recordPerioExam"]["exam"]
    return exam


async def _missing(client: httpx.AsyncClient, token: str, patient: Patient, tooth: str) -> None:
    entry = {"patientId": str(patient.id), "kind": "CONDITION", "code": "MISSING", "tooth": tooth}
    assert (await gql(client, CHART, {"input": entry}, token=token)).errors == []


async def test_a_full_mouth_exam_is_saved_whole_and_read_back_with_cal(
    client: httpx.AsyncClient,
) -> None:
    patient, token, _ = await _world()
    teeth = full_mouth()
    teeth[1] = {  # 17: a 5 mm pocket with 2 mm recession, furcations graded
        "tooth": "17",
        "probingDepths": [5, 3, 4, 3, 2, 3],
        "gingivalMargins": [-2, 0, -1, 0, 0, 1],
        "bleeding": [True, False, False, False, False, False],
        "suppuration": [True, False, False, False, False, False],
        "mobility": 1,
        "furcation": [{"site": "b", "grade": 1}, {"site": "DP", "grade": 2}],
    }
    saved = await _exam(client, token, patient, teeth)
    assert saved["status"] == "FINAL"
    assert len(saved["teeth"]) == 30
    assert await PerioExam.filter(patient_id=patient.id).count() == 1  # one row for 180 sites
    read = await gql(client, EXAM, {"id": saved["id"]}, token=token)
    assert read.errors == []
    exam = read.data["perioExam"]
    tooth17 = next(t for t in exam["teeth"] if t["toothFdi"] == 17)
    assert tooth17["siteNames"] == ["MB", "B", "DB", "MP", "P", "DP"]
    assert tooth17["attachmentLevels"] == [7, 3, 5, 3, 2, 2]
    assert tooth17["furcation"] == [{"site": "B", "grade": 1}, {"site": "DP", "grade": 2}]
    assert (tooth17["mobility"], tooth17["suppuration"][0]) == (1, True)
    # 17 has 5 mm with furcation: 3*; the rest 3 mm with some bleeding: 1.
    assert exam["derivedBpe"] == ["3*", "1", "1", "1", "1", "1"]
    # Bleeding at MB of the 14 even-numbered teeth and of 17: 15 of 180 sites.
    assert exam["bleedingPercent"] == round(100 * 15 / 180, 1)
    assert exam["teeth"][0]["toothFdi"] == 11  # FDI order

    change = await AuditEvent.get(action="RECORD perio_exam", entity_id=saved["id"])
    assert change.patient_id == patient.id
    event = await DomainEvent.get(entity_id=saved["id"])
    assert (event.topic, event.type, event.patient_id) == (
        "clinical",
        "PERIO_EXAM_RECORDED",
        patient.id,
    )
    reads = await AuditEvent.filter(entity_type="PerioExam", patient_id=patient.id).all()
    assert [(r.action, str(r.entity_id)) for r in reads if r.action.startswith("READ")] == [
        ("READ query E", saved["id"])
    ]
    assert "teeth" in next(r for r in reads if r.action.startswith("READ")).fields_read


async def test_missing_teeth_come_from_the_chart_as_of_the_exam(client: httpx.AsyncClient) -> None:
    patient, token, _ = await _world()
    early = await _exam(client, token, patient, full_mouth(), examinedAt=(
        datetime.now(UTC) - timedelta(days=30)).isoformat())  # fmt: skip
    await _missing(client, token, patient, "46")
    refused = await gql(
        client, RECORD, {"input": {"patientId": str(patient.id), "teeth": full_mouth()}},
        token=token,
    )  # fmt: skip
    assert refused.codes == ["BAD_USER_INPUT"]
    index = [t["tooth"] for t in full_mouth()].index("46")
    assert refused.errors[0]["extensions"]["field"] == f"teeth[{index}].tooth"
    now = await _exam(client, token, patient, full_mouth(skip=(46,)))
    assert now["missingTeeth"] == ["46"]
    then = await gql(client, EXAM, {"id": early["id"]}, token=token)
    assert then.data["perioExam"]["missingTeeth"] == []  # 46 was there a month ago

    listed = await gql(client, EXAMS, {"patientId": str(patient.id), "first": 1}, token=token)
    page = listed.data["perioExams"]
    assert [e["node"]["id"] for e in page["edges"]] == [now["id"]]
    more = await gql(
        client, EXAMS,
        {"patientId": str(patient.id), "first": 1, "after": page["pageInfo"]["endCursor"]},
        token=token,
    )  # fmt: skip
    assert [e["node"]["id"] for e in more.data["perioExams"]["edges"]] == [early["id"]]
    assert more.data["perioExams"]["edges"][0]["node"]["missingTeeth"] == []


async def test_bad_input_names_the_path_and_changes_nothing(client: httpx.AsyncClient) -> None:
    patient, token, _ = await _world()
    await _missing(client, token, patient, "36")
    before = (await AuditEvent.all().count(), await DomainEvent.all().count())
    good = {"tooth": "16", "probingDepths": [3, 3, 3, 3, 3, 3]}
    cases: list[tuple[list[dict[str, Any]], str]] = [
        ([good, {"tooth": "36"}], "teeth[1].tooth"),  # missing on the chart
        ([good, {"tooth": "19"}], "teeth[1].tooth"),  # not a tooth
        ([{"tooth": "16", "probingDepths": [3, 3, 16, 3, 3, 3]}], "teeth[0].probingDepths[2]"),
        ([{"tooth": "16", "gingivalMargins": [0, 0, 0, 0, 0, 11]}], "teeth[0].gingivalMargins[5]"),
        ([{"tooth": "16", "bleeding": [True]}], "teeth[0].bleeding"),
        ([{"tooth": "16", "mobility": 5}], "teeth[0].mobility"),
        ([{"tooth": "21", "furcation": [{"site": "B", "grade": 1}]}], "teeth[0].furcation[0].site"),
        ([], "teeth"),
    ]
    for teeth, field in cases:
        result = await gql(
            client, RECORD, {"input": {"patientId": str(patient.id), "teeth": teeth}}, token=token
        )
        assert result.codes == ["BAD_USER_INPUT"], (teeth, result.body)
        assert result.errors[0]["extensions"]["field"] == field, (teeth, result.errors)
    bad_bpe = await gql(
        client, BPE, {"input": {"patientId": str(patient.id), "codes": ["0"] * 5 + ["5"]}},
        token=token,
    )  # fmt: skip
    assert (bad_bpe.codes, bad_bpe.errors[0]["extensions"]["field"]) == (
        ["BAD_USER_INPUT"],
        "codes[5]",
    )
    tomorrow, pid = (datetime.now(UTC) + timedelta(days=1)).isoformat(), str(patient.id)
    future = [
        (RECORD, {"input": {"patientId": pid, "teeth": [good], "examinedAt": tomorrow}}),
        (BPE, {"input": {"patientId": pid, "codes": ["0"] * 6, "examinedAt": tomorrow}}),
    ]
    for query, variables in future:
        result = await gql(client, query, variables, token=token)
        assert (result.codes, result.errors[0]["extensions"]["field"]) == (
            ["BAD_USER_INPUT"],
            "examinedAt",
        )
    assert await PerioExam.filter(patient_id=patient.id).count() == 0
    assert await BpeRecord.filter(patient_id=patient.id).count() == 0
    assert (await AuditEvent.all().count(), await DomainEvent.all().count()) == before


async def test_copy_previous_exam_then_compare(client: httpx.AsyncClient) -> None:
    patient, token, _ = await _world()
    first = await _exam(client, token, patient, full_mouth(depth=4), examinedAt=(
        datetime.now(UTC) - timedelta(days=90)).isoformat())  # fmt: skip
    await _missing(client, token, patient, "18")
    copied = await gql(client, COPY, {"patientId": str(patient.id)}, token=token)
    assert copied.errors == [], copied.errors
    draft = copied.data["copyPreviousPerioExam"]["exam"]
    assert (draft["status"], draft["copiedFromId"]) == ("DRAFT", first["id"])
    assert [t["toothFdi"] for t in draft["teeth"]] == sorted(
        t["toothFdi"] for t in first["teeth"] if t["toothFdi"] != 18
    )
    # The nurse changes two sites on 16 and saves the draft whole, final this time.
    teeth = full_mouth(depth=4, skip=(18,))
    sixteen = next(t for t in teeth if t["tooth"] == "16")
    sixteen["probingDepths"] = [6, 2, 2, 2, 2, 4]
    sixteen["gingivalMargins"] = [-1, 0, -1, 0, 0, 0]
    done = await _exam(client, token, patient, teeth, examId=draft["id"])
    assert (done["id"], done["status"]) == (draft["id"], "FINAL")
    again = await gql(
        client, RECORD,
        {"input": {"patientId": str(patient.id), "teeth": teeth, "examId": draft["id"]}},
        token=token,
    )  # fmt: skip
    assert again.codes == ["CONFLICT"]  # a final exam never changes

    compared = await gql(client, COMPARE, {"patientId": str(patient.id)}, token=token)
    assert compared.errors == [], compared.errors
    result = compared.data["perioComparison"]
    assert result["examIds"] == [first["id"], done["id"]]
    sites = {(s["tooth"], s["site"]): s for s in result["sites"]}
    assert ("18", "MB") not in sites  # not in both exams
    mb, db = sites[("16", "MB")], sites[("16", "DB")]
    assert (mb["probingDepths"], mb["attachmentLevels"], mb["attachmentChange"]) == (
        [4, 6], [4, 7], 3,
    )  # fmt: skip
    assert (db["probingDepths"], db["probingDepthChange"], db["attachmentChange"]) == (
        [4, 2], -2, -2,
    )  # fmt: skip
    assert (result["worsenedSites"], result["improvedSites"]) == (1, 1)
    explicit = await gql(
        client, COMPARE, {"patientId": str(patient.id), "examIds": [done["id"], first["id"]]},
        token=token,
    )  # fmt: skip
    assert explicit.data["perioComparison"]["examIds"] == [first["id"], done["id"]]
    unknown = await gql(
        client, COMPARE,
        {"patientId": str(patient.id), "examIds": [first["id"], str(uuid.uuid4())]},
        token=token,
    )  # fmt: skip
    assert unknown.codes == ["NOT_FOUND"]


async def test_bpe_codes_and_the_follow_up_they_raise(client: httpx.AsyncClient) -> None:
    patient, token, _ = await _world()
    for tooth in ("24", "25", "26"):
        await _missing(client, token, patient, tooth)
    sextant3 = {"patientId": str(patient.id), "codes": ["3", "2", "0", "1", "1*", "0"]}
    refused = await gql(client, BPE, {"input": sextant3}, token=token)
    assert refused.errors[0]["extensions"]["field"] == "codes[2]"  # only 27 left: X
    recorded = await gql(
        client, BPE, {"input": {**sextant3, "codes": ["3", "2", "X", "1", "1*", "3"]}},
        token=token,
    )  # fmt: skip
    assert recorded.errors == [], recorded.errors
    found = recorded.data["recordBpe"]["bpe"]
    assert (found["codes"], found["highest"]) == (["3", "2", "X", "1", "1*", "3"], 3)
    follow = found["followUp"]
    assert (follow["bpeId"], follow["scope"], follow["sextants"]) == (
        found["id"],
        "SEXTANTS",
        ["17-14", "34-37"],
    )
    assert follow["dueOn"] > datetime.now(UTC).date().isoformat()  # after initial therapy
    raised = await AuditEvent.get(action="RAISE perio_follow_up", entity_id=follow["id"])
    assert raised.patient_id == patient.id

    deep = await gql(
        client, BPE, {"input": {**sextant3, "codes": ["2", "4*", "X", "0", "0", "0"]}},
        token=token,
    )  # fmt: skip
    whole = deep.data["recordBpe"]["bpe"]["followUp"]
    assert (whole["scope"], len(whole["sextants"])) == ("FULL_MOUTH", 6)
    assert whole["dueOn"] == datetime.now(UTC).date().isoformat()
    calm = await gql(
        client, BPE, {"input": {**sextant3, "codes": ["2", "1", "X", "0", "0", "2*"]}},
        token=token,
    )  # fmt: skip
    assert calm.data["recordBpe"]["bpe"]["followUp"] is None
    assert await PerioFollowUp.filter(patient_id=patient.id).count() == 2

    # A final exam probing every present tooth of 17-14 and 34-37 completes the first task only.
    teeth = [t for t in full_mouth() if int(t["tooth"]) in (17, 16, 15, 14, 34, 35, 36, 37)]
    exam = await _exam(client, token, patient, teeth)
    listed = await gql(client, BPES, {"patientId": str(patient.id)}, token=token)
    follow_ups = [e["node"]["followUp"] for e in listed.data["bpeRecords"]["edges"]]
    assert follow_ups == [
        None,
        {"scope": "FULL_MOUTH", "sextants": whole["sextants"], "doneByExamId": None},
        {"scope": "SEXTANTS", "sextants": ["17-14", "34-37"], "doneByExamId": exam["id"]},
    ]


async def test_who_may_read_and_change_the_perio_record(client: httpx.AsyncClient) -> None:
    patient, dentist, practice = await _world()
    exam = await _exam(client, dentist, patient, full_mouth())
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    hygienist = factories.access_token(await factories.user(Role.HYGIENIST, practice))
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    stranger = factories.access_token(
        await factories.user(Role.DENTIST, await factories.practice())
    )
    pid = str(patient.id)

    async def reads(token: str, patient_id: str, exam_id: str) -> list[GraphQLResult]:
        return [
            await gql(client, EXAMS, {"patientId": patient_id}, token=token),
            await gql(client, EXAM, {"id": exam_id}, token=token),
            await gql(client, COMPARE, {"patientId": patient_id}, token=token),
            await gql(client, BPES, {"patientId": patient_id}, token=token),
        ]

    for result in await reads(receptionist, pid, exam["id"]):
        assert result.codes == ["FORBIDDEN"], result.body
    for token in (hygienist, own):
        for result in await reads(token, pid, exam["id"]):
            assert result.errors == [], result.body
    other = await factories.patient(practice)
    someone_else = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=other.id)
    )
    for token in (stranger, someone_else):  # another practice; a patient who is not this one
        random = await reads(token, str(uuid.uuid4()), str(uuid.uuid4()))
        hidden = await reads(token, pid, exam["id"])
        for seen, baseline in zip(hidden, random, strict=True):
            assert seen.codes == ["NOT_FOUND"], seen.body
            message, expected = seen.errors[0]["message"], baseline.errors[0]["message"]
            assert (seen.data, message) == (baseline.data, expected)

    writes = [
        (RECORD, {"input": {"patientId": pid, "teeth": full_mouth()}}),
        (COPY, {"patientId": pid}),
        (BPE, {"input": {"patientId": pid, "codes": ["0"] * 6}}),
    ]
    for token, code in ((receptionist, "FORBIDDEN"), (own, "FORBIDDEN"), (stranger, "NOT_FOUND")):
        for query, variables in writes:
            result = await gql(client, query, variables, token=token)
            assert result.codes == [code], (query, result.body)
    assert await PerioExam.filter(patient_id=patient.id).count() == 1
    assert await BpeRecord.filter(patient_id=patient.id).count() == 0


async def test_demo_perio_records(client: httpx.AsyncClient) -> None:
    import random
    from datetime import date

    from services.clinical import demo_chart, demo_perio

    patient, token, practice = await _world()
    adults = [patient] + [
        await factories.patient(practice, date_of_birth=date(1970, 3, 1)) for _ in range(2)
    ]
    dentist = await factories.user(Role.DENTIST, practice)
    await demo_chart.seed_charts(practice, adults, dentist, random.Random(3))
    made = await demo_perio.seed_perio(practice, adults, dentist, random.Random(3))
    assert made == 3 + 2 * 2  # three BPEs, two exams each for two patients
    compared = await gql(client, COMPARE, {"patientId": str(patient.id)}, token=token)
    assert compared.errors == [], compared.errors
    assert len(compared.data["perioComparison"]["examIds"]) == 2
    assert compared.data["perioComparison"]["sites"]
    listed = await gql(client, BPES, {"patientId": str(patient.id)}, token=token)
    first = listed.data["bpeRecords"]["edges"][0]["node"]
    assert first["codes"][0] in ("3", "X")
    missing = await gql(client, EXAMS, {"patientId": str(patient.id)}, token=token)
    for edge in missing.data["perioExams"]["edges"]:
        charted = {t["toothFdi"] for t in edge["node"]["teeth"]}
        assert not charted & {int(t) for t in edge["node"]["missingTeeth"]}


async def test_listing_exams_costs_the_same_statements_however_many(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient, token, practice = await _world()
    busy = await factories.patient(practice)
    await _exam(client, token, patient, full_mouth())
    for tooth in ("18", "28", "38"):
        await _missing(client, token, busy, tooth)
    for depth in (3, 4, 5):
        await _exam(client, token, busy, full_mouth(depth, skip=(18, 28, 38)))
    await gql(client, EXAMS, {"patientId": str(patient.id)}, token=token)  # warm caches
    counts = {}
    for name, who in (("one", patient), ("three", busy)):
        with count_statements(monkeypatch) as statements:
            listed = await gql(client, EXAMS, {"patientId": str(who.id)}, token=token)
            assert listed.errors == []
        counts[name] = statements
    assert len(listed.data["perioExams"]["edges"]) == 3
    assert len(counts["one"]) == len(counts["three"]), (counts["one"], counts["three"])


async def test_postgres_keeps_final_exams_and_bpes_as_recorded(
    client: httpx.AsyncClient, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the trigger is PostgreSQL's; SQLite relies on the services")
    from tortoise.transactions import in_transaction

    patient, token, practice = await _world()
    draft = await _exam(client, token, patient, full_mouth(), final=False)
    await PerioExam.filter(id=draft["id"]).update(readings={})  # a draft may still change
    final = await _exam(client, token, patient, full_mouth())
    recorded = await gql(
        client, BPE, {"input": {"patientId": str(patient.id), "codes": ["1"] * 6}}, token=token
    )
    bpe_id = recorded.data["recordBpe"]["bpe"]["id"]
    for model, row_id, change in (
        (PerioExam, final["id"], {"readings": {}}),
        (PerioExam, final["id"], {"status": "DRAFT"}),
        (PerioExam, final["id"], {"examined_at": datetime.now(UTC)}),
        (BpeRecord, bpe_id, {"codes": ["0"] * 6}),
    ):
        with pytest.raises(Exception) as refused:  # noqa: PT011 - the driver's error class varies
            async with in_transaction():
                await model.filter(id=row_id).update(**change)
        assert "is final" in str(refused.value)
    kept = await PerioExam.get(id=final["id"])
    assert len(kept.readings) == 30
    # What the services may still do: move the rows to a merged record's survivor.
    survivor = await factories.patient(practice)
    await PerioExam.filter(id=final["id"]).update(patient_id=survivor.id)
    await BpeRecord.filter(id=bpe_id).update(patient_id=survivor.id)

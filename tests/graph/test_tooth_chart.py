"""The tooth chart end to end: as-of across a sequence of changes (a replacement, voids), tooth
notations, who may read and change it, bad input that changes nothing, audit and outbox rows,
and notes that never reach the database in clear."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from db.models import AuditEvent, ChartEntry, DomainEvent, Patient, Practice
from services.clinical import catalogue
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.sql_counter import count_statements

CHART = """
query Chart($patientId: ID!, $asOf: DateTime, $notation: ToothNotation, $voided: Boolean!) {
  toothChart(patientId: $patientId, asOf: $asOf, notation: $notation, includeVoided: $voided) {
    patientId notation
    entries { id code description tooth toothFdi toothType surfaces status notes voidReason }
  }
}"""
RECORD = """
mutation R($input: RecordChartEntryInput!) {
  recordChartEntry(input: $input) { entry { id tooth surfaces status recordedAt description } }
}"""
VOID = """
mutation V($input: VoidChartEntryInput!) {
  voidChartEntry(input: $input) { entry { id status voidReason } }
}"""
NOTATION = """
mutation N($n: ToothNotation!) { setToothNotation(input: {notation: $n}) { notation } }
"""
NOTE = "Secretnote deep distal lesion near pulp"


async def _world() -> tuple[Practice, Patient, str]:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patient = await factories.patient(practice)
    dentist = await factories.user(Role.DENTIST, practice)
    return practice, patient, factories.access_token(dentist)


async def _record(
    client: httpx.AsyncClient, token: str, patient: Patient, **values: Any
) -> dict[str, Any]:
    result = await gql(
        client, RECORD, {"input": {"patientId": str(patient.id), **values}}, token=token
    )
    assert result.errors == [], result.errors
    entry: dict[str, Any] = result.data["recordChartEntry"]["entry"]
    return entry


async def _chart(
    client: httpx.AsyncClient,
    token: str,
    patient: Patient,
    as_of: str | None = None,
    *,
    voided: bool = False,
    notation: str | None = None,
) -> GraphQLResult:
    variables = {
        "patientId": str(patient.id),
        "asOf": as_of,
        "voided": voided,
        "notation": notation,
    }
    return await gql(client, CHART, variables, token=token)


def _shown(result: GraphQLResult) -> list[tuple[str, str | None, str, str]]:
    assert result.errors == [], result.errors
    return [
        (e["code"], e["tooth"], e["surfaces"], e["status"])
        for e in result.data["toothChart"]["entries"]
    ]


async def test_the_chart_as_it_stood_at_each_instant(client: httpx.AsyncClient) -> None:
    _, patient, token = await _world()
    caries = await _record(
        client, token, patient, kind="CONDITION", code="caries", tooth="36", surfaces="do"
    )
    planned = await _record(
        client, token, patient, kind="PROCEDURE", code="CO2", tooth="36", surfaces="DO",
        status="PLANNED", notes=NOTE,
    )  # fmt: skip
    done = await _record(
        client, token, patient, kind="PROCEDURE", code="CO2", tooth="36", surfaces="OD",
        status="COMPLETED", replacesId=planned["id"],
    )  # fmt: skip
    wrong = await _record(client, token, patient, kind="CONDITION", code="MISSING", tooth="18")
    voided = await gql(
        client, VOID, {"input": {"entryId": wrong["id"], "reason": "Wrong side"}}, token=token
    )
    assert voided.data["voidChartEntry"]["entry"]["status"] == "ENTERED_IN_ERROR"
    right = await _record(client, token, patient, kind="CONDITION", code="MISSING", tooth="28")

    c, f = ("CARIES", "36", "OD", "EXISTING"), ("CO2", "36", "OD", "COMPLETED")
    p = ("CO2", "36", "OD", "PLANNED")
    assert caries["surfaces"] == "OD"
    assert _shown(await _chart(client, token, patient, caries["recordedAt"])) == [c]
    assert _shown(await _chart(client, token, patient, planned["recordedAt"])) == [c, p]
    assert _shown(await _chart(client, token, patient, done["recordedAt"])) == [c, f]
    missing_18 = ("MISSING", "18", "", "EXISTING")
    assert _shown(await _chart(client, token, patient, wrong["recordedAt"])) == [c, f, missing_18]
    missing_28 = ("MISSING", "28", "", "EXISTING")
    assert _shown(await _chart(client, token, patient, right["recordedAt"])) == [c, f, missing_28]
    now = await _chart(client, token, patient, voided=True)
    assert _shown(now) == [c, f, ("MISSING", "18", "", "ENTERED_IN_ERROR"), missing_28]
    assert now.data["toothChart"]["entries"][2]["voidReason"] == "Wrong side"
    before = await _chart(client, token, patient, caries["recordedAt"], voided=True)
    assert _shown(before) == [c]  # nothing recorded later leaks into an earlier chart

    # Voiding the completion brings back the plan it replaced: that completion never happened.
    undone = await gql(
        client, VOID, {"input": {"entryId": done["id"], "reason": "Not done yet"}}, token=token
    )
    assert undone.errors == []
    assert _shown(await _chart(client, token, patient)) == [c, p, missing_28]
    assert _shown(await _chart(client, token, patient, right["recordedAt"])) == [c, f, missing_28]
    assert await ChartEntry.filter(patient_id=patient.id).count() == 5  # nothing deleted
    plan_note = (await _chart(client, token, patient)).data["toothChart"]["entries"][1]["notes"]
    assert plan_note == NOTE


async def test_notation_setting_and_argument(client: httpx.AsyncClient) -> None:
    _, patient, token = await _world()
    await _record(client, token, patient, kind="CONDITION", code="CROWN", tooth="36")
    await _record(client, token, patient, kind="CONDITION", code="CARIES", tooth="55", surfaces="O")
    fdi = await _chart(client, token, patient)
    assert [e["tooth"] for e in fdi.data["toothChart"]["entries"]] == ["36", "55"]
    assert fdi.data["toothChart"]["notation"] == "FDI"
    assert (await gql(client, NOTATION, {"n": "PALMER"}, token=token)).errors == []
    palmer = await _chart(client, token, patient)
    assert [e["tooth"] for e in palmer.data["toothChart"]["entries"]] == ["LL6", "URE"]
    universal = await _chart(client, token, patient, notation="UNIVERSAL")
    assert [e["tooth"] for e in universal.data["toothChart"]["entries"]] == ["19", "A"]
    assert [e["toothFdi"] for e in universal.data["toothChart"]["entries"]] == [36, 55]
    me = await gql(client, "{ me { toothNotation } }", token=token)
    assert me.data["me"]["toothNotation"] == "PALMER"
    # A tooth written in the user's notation is read in it: LR8 is FDI 48.
    entry = await _record(client, token, patient, kind="CONDITION", code="UNERUPTED", tooth="LR8")
    assert entry["tooth"] == "LR8"
    assert await ChartEntry.filter(patient_id=patient.id, tooth=48).count() == 1


async def test_who_may_read_and_change_the_chart(client: httpx.AsyncClient) -> None:
    practice, patient, dentist = await _world()
    await _record(
        client, dentist, patient, kind="CONDITION", code="CARIES", tooth="11", surfaces="M"
    )
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    hygienist = factories.access_token(await factories.user(Role.HYGIENIST, practice))
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    other_patient = await factories.patient(practice)
    someone_else = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=other_patient.id)
    )
    elsewhere = await factories.practice()
    stranger = factories.access_token(await factories.user(Role.DENTIST, elsewhere))

    denied = await _chart(client, receptionist, patient)
    assert denied.data == {"toothChart": None}
    assert denied.codes == ["FORBIDDEN"]
    assert _shown(await _chart(client, hygienist, patient)) == [("CARIES", "11", "M", "EXISTING")]
    assert _shown(await _chart(client, own, patient)) == [("CARIES", "11", "M", "EXISTING")]

    random = await gql(
        client, CHART, {"patientId": str(uuid.uuid4()), "voided": False}, token=stranger
    )
    assert random.codes == ["NOT_FOUND"]
    for token in (stranger, someone_else):
        hidden = await _chart(client, token, patient)
        assert (hidden.data, hidden.errors[0]["message"], hidden.codes) == (
            random.data,
            random.errors[0]["message"],
            random.codes,
        )

    add = {"kind": "CONDITION", "code": "FRACTURE", "tooth": "21"}
    for token, code in ((receptionist, "FORBIDDEN"), (own, "FORBIDDEN"), (stranger, "NOT_FOUND")):
        result = await gql(
            client, RECORD, {"input": {"patientId": str(patient.id), **add}}, token=token
        )
        assert result.codes == [code]
    assert await ChartEntry.filter(patient_id=patient.id).count() == 1


async def test_bad_input_names_the_field_and_changes_nothing(client: httpx.AsyncClient) -> None:
    _, patient, token = await _world()
    before = (await AuditEvent.all().count(), await DomainEvent.all().count())
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "CONDITION", "code": "CARIES", "tooth": "19"}, "tooth"),
        ({"kind": "CONDITION", "code": "CARIES", "tooth": "99"}, "tooth"),
        ({"kind": "CONDITION", "code": "CARIES", "tooth": "11", "surfaces": "O"}, "surfaces"),
        ({"kind": "CONDITION", "code": "CARIES", "tooth": "46", "surfaces": "I"}, "surfaces"),
        ({"kind": "CONDITION", "code": "CARIES", "tooth": "46", "surfaces": "X"}, "surfaces"),
        ({"kind": "CONDITION", "code": "MISSING", "tooth": "46", "surfaces": "O"}, "surfaces"),
        ({"kind": "CONDITION", "code": "GREMLINS", "tooth": "46"}, "code"),
        ({"kind": "CONDITION", "code": "CARIES", "tooth": "46", "status": "PLANNED"}, "status"),
        ({"kind": "PROCEDURE", "code": "RCT-M", "tooth": "11"}, "tooth"),
        ({"kind": "PROCEDURE", "code": "CO2", "tooth": "46", "surfaces": "O"}, "surfaces"),
        ({"kind": "PROCEDURE", "code": "EXAM", "tooth": "46"}, "tooth"),
        ({"kind": "PROCEDURE", "code": "EXT"}, "tooth"),
        ({"kind": "PROCEDURE", "code": "NOPE", "tooth": "46"}, "code"),
        (
            {"kind": "PROCEDURE", "code": "EXT", "tooth": "46", "status": "ENTERED_IN_ERROR"},
            "status",
        ),
        ({"kind": "PROCEDURE", "code": "EXT", "tooth": "UL9", "notation": "PALMER"}, "tooth"),
    ]
    for values, field in cases:
        result = await gql(
            client, RECORD, {"input": {"patientId": str(patient.id), **values}}, token=token
        )
        assert result.codes == ["BAD_USER_INPUT"], (values, result.body)
        assert result.errors[0]["extensions"]["field"] == field, (values, result.errors)
    assert await ChartEntry.filter(patient_id=patient.id).count() == 0
    assert (await AuditEvent.all().count(), await DomainEvent.all().count()) == before

    other_practice, other_patient, _ = await _world()
    foreign = await gql(
        client,
        RECORD,
        {"input": {"patientId": str(other_patient.id), "kind": "CONDITION", "code": "CARIES",
                   "tooth": "46"}},
        token=token,
    )  # fmt: skip
    assert foreign.codes == ["NOT_FOUND"]
    assert await ChartEntry.all().count() == 0
    assert other_practice.id != patient.practice_id


async def test_changes_are_audited_with_an_outbox_event_and_reads_audited(
    client: httpx.AsyncClient,
) -> None:
    _, patient, token = await _world()
    entry = await _record(
        client, token, patient, kind="CONDITION", code="CARIES", tooth="46", surfaces="O",
        notes=NOTE,
    )  # fmt: skip
    change = await AuditEvent.get(action="RECORD chart_entry", entity_id=entry["id"])
    assert change.patient_id == patient.id
    event = await DomainEvent.get(entity_id=entry["id"])
    assert (event.topic, event.type, event.patient_id) == (
        "clinical",
        "CHART_ENTRY_RECORDED",
        patient.id,
    )
    assert NOTE not in str(event.payload)
    assert _shown(await _chart(client, token, patient))
    read = await AuditEvent.filter(entity_type="ToothChart", patient_id=patient.id).first()
    assert read is not None
    assert read.action.startswith("READ")
    assert "entries" in read.fields_read

    stored = await ChartEntry.filter(patient_id=patient.id).values_list("notes", flat=True)
    assert stored
    assert all(value and "Secretnote" not in str(value) for value in stored)


CATALOGUE = """
query C($practiceId: ID!, $after: String) {
  procedureCatalogue(practiceId: $practiceId, first: 10, after: $after) {
    edges { node { code name defaultFeePence nhsBand toothScope toothTypes } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ADD = """
mutation A($input: AddProcedureInput!) { addProcedure(input: $input) { procedure { id code } } }
"""
UPDATE = """
mutation U($input: UpdateProcedureInput!) {
  updateProcedure(input: $input) { changedFields procedure { defaultFeePence nhsBand } }
}"""


async def test_procedure_catalogue(client: httpx.AsyncClient) -> None:
    practice, patient, dentist = await _world()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    codes: list[str] = []
    after = None
    while True:
        page = await gql(
            client, CATALOGUE, {"practiceId": str(practice.id), "after": after}, token=dentist
        )
        assert page.errors == []
        codes += [e["node"]["code"] for e in page.data["procedureCatalogue"]["edges"]]
        if not page.data["procedureCatalogue"]["pageInfo"]["hasNextPage"]:
            break
        after = page.data["procedureCatalogue"]["pageInfo"]["endCursor"]
    assert codes == sorted(s.code or "" for s in catalogue.UK_CATALOGUE)
    assert (await gql(client, CATALOGUE, {"practiceId": str(practice.id)}, token=own)).codes == [
        "FORBIDDEN"
    ]

    new = {
        "practiceId": str(practice.id),
        "code": "whiten",
        "name": "Tooth whitening (home kit)",
        "defaultFeePence": 35000,
        "toothScope": "NONE",
    }
    assert (await gql(client, ADD, {"input": new}, token=dentist)).codes == ["FORBIDDEN"]
    added = await gql(client, ADD, {"input": new}, token=admin)
    assert added.errors == []
    assert added.data["addProcedure"]["procedure"]["code"] == "WHITEN"
    again = await gql(client, ADD, {"input": new}, token=admin)
    assert again.codes == ["CONFLICT"]
    changed = await gql(
        client,
        UPDATE,
        {"input": {"id": added.data["addProcedure"]["procedure"]["id"], "defaultFeePence": 30000}},
        token=admin,
    )
    assert changed.data["updateProcedure"] == {
        "changedFields": ["defaultFeePence"],
        "procedure": {"defaultFeePence": 30000, "nhsBand": None},
    }
    stranger = factories.access_token(
        await factories.user(Role.PRACTICE_ADMIN, await factories.practice())
    )
    assert (await gql(client, ADD, {"input": {**new, "code": "X1"}}, token=stranger)).codes == [
        "NOT_FOUND"
    ]
    bad = await gql(
        client, ADD, {"input": {**new, "code": "X2", "defaultFeePence": -1}}, token=admin
    )
    assert bad.errors[0]["extensions"]["field"] == "defaultFeePence"


MERGE = """
mutation M($input: MergePatientsInput!) { mergePatients(input: $input) { moved } }
"""


async def test_merging_a_duplicate_moves_its_chart(client: httpx.AsyncClient) -> None:
    practice, survivor, token = await _world()
    duplicate = await factories.patient(practice)
    await _record(client, token, survivor, kind="CONDITION", code="CROWN", tooth="46")
    await _record(client, token, duplicate, kind="CONDITION", code="MISSING", tooth="38")
    merged = await gql(
        client,
        MERGE,
        {"input": {"survivorId": str(survivor.id), "duplicateId": str(duplicate.id)}},
        token=token,
    )
    assert merged.errors == []
    assert "toothChart" in merged.data["mergePatients"]["moved"]
    assert _shown(await _chart(client, token, survivor)) == [
        ("CROWN", "46", "", "EXISTING"),
        ("MISSING", "38", "", "EXISTING"),
    ]


async def test_demo_charts_have_a_history(client: httpx.AsyncClient) -> None:
    import random

    from services.clinical import demo_chart

    practice = await factories.practice()
    patients = [await factories.patient(practice, date_of_birth=date(1980, 5, 1)) for _ in range(3)]
    dentist = await factories.user(Role.DENTIST, practice)
    made = await demo_chart.seed_charts(practice, patients, dentist, random.Random(7))
    assert made >= 3 * 5
    token = factories.access_token(dentist)
    codes = [e["node"]["code"] for e in (await gql(
        client, CATALOGUE, {"practiceId": str(practice.id)}, token=token
    )).data["procedureCatalogue"]["edges"]]  # fmt: skip
    assert codes  # the catalogue came with the charts
    now = _shown(await _chart(client, token, patients[0]))
    assert next(e for e in now if e[0] == "CO2")[3] == "COMPLETED"
    planned = await ChartEntry.get(patient_id=patients[0].id, status="PLANNED", code="CO2")
    then = _shown(await _chart(client, token, patients[0], planned.recorded_at.isoformat()))
    assert next(e for e in then if e[0] == "CO2")[3] == "PLANNED"


async def test_reading_a_chart_costs_the_same_statements_however_long_its_history(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, short, token = await _world()
    long = await factories.patient(await Practice.get(id=short.practice_id))
    await _record(client, token, short, kind="PROCEDURE", code="EXT", tooth="18")
    previous = None
    for fdi in ("16", "17", "26", "27", "36", "37", "46", "47"):
        made = await _record(
            client, token, long, kind="PROCEDURE", code="CO1", tooth=fdi, surfaces="O",
            status="PLANNED",
        )  # fmt: skip
        done = await _record(
            client, token, long, kind="PROCEDURE", code="CO1", tooth=fdi, surfaces="O",
            status="COMPLETED", replacesId=made["id"],
        )  # fmt: skip
        previous = done
    assert previous is not None
    await _chart(client, token, short)  # warm caches
    counts = {}
    for name, patient in (("short", short), ("long", long)):
        with count_statements(monkeypatch) as statements:
            assert (await _chart(client, token, patient)).errors == []
        counts[name] = statements
    assert len(counts["short"]) == len(counts["long"]), (counts["short"], counts["long"])


async def test_postgres_refuses_to_rewrite_chart_history(
    client: httpx.AsyncClient, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the services")
    from tortoise.transactions import in_transaction

    _, patient, token = await _world()
    entry = await _record(client, token, patient, kind="CONDITION", code="CROWN", tooth="46")
    voided = await gql(
        client, VOID, {"input": {"entryId": entry["id"], "reason": "Wrong tooth"}}, token=token
    )
    assert voided.errors == []
    for change in (
        {"status": "COMPLETED"},
        {"tooth": 36},
        {"voided_at": None},
    ):
        with pytest.raises(Exception) as refused:  # noqa: PT011 - the driver's error class varies
            async with in_transaction():
                await ChartEntry.filter(id=entry["id"]).update(**change)
        assert "chart_entry" in str(refused.value)
    with pytest.raises(Exception) as refused:  # noqa: PT011
        async with in_transaction():
            await ChartEntry.filter(id=entry["id"]).delete()
    assert "append-only" in str(refused.value)
    kept = await ChartEntry.get(id=entry["id"])
    assert (kept.status, kept.tooth, kept.voided_at is not None) == ("EXISTING", 46, True)
    # What the services may still do: erase the free text (erasure) and move it (merge).
    await ChartEntry.filter(id=entry["id"]).update(notes=None, void_reason=None)

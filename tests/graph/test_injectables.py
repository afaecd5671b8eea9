"""Injectable treatments end to end: face maps, consultation and prescription, a treatment that
writes its points and stock together (or nothing at all), the prescription check at
administration, adverse events, and batch / lot recall across an organisation's practices."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from db.models import (
    AuditEvent,
    AuditReadPatient,
    Batch,
    ContactPreference,
    DomainEvent,
    InjectableTreatment,
    InjectionPoint,
    Prescription,
    StockMovement,
)
from services.patients import sealing
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.graph import injectable_support as support
from tests.graph.injectable_support import Clinic, point

TREATMENT_FIELDS = """
id patientId practitionerId practitionerName prescriptionId treatedAt notes
points { id position productId productName batchId lotNumber amount unit depth technique
         mapKey mapVersion zone x y }
totals { productId productName amount unit }
adverseEvents { id kind severity description actionTaken resolvedAt batchId }
"""
RECORD = f"""
mutation R($input: RecordInjectableTreatmentInput!) {{ recordInjectableTreatment(input: $input)
  {{ treatment {{ {TREATMENT_FIELDS} }} }} }}"""
CONSULT = """
mutation C($input: RecordConsultationInput!) { recordConsultation(input: $input) {
  consultation { id patientId prescriberId prescriberName heldAt faceToFace notes } } }"""
ISSUE = """
mutation I($input: IssuePrescriptionInput!) { issuePrescription(input: $input) {
  prescription { id patientId productId productName unit doseMin doseMax directions validUntil
  cancelledAt } } }"""
CANCEL = """
mutation X($input: CancelPrescriptionInput!) { cancelPrescription(input: $input) {
  prescription { id cancelledAt } } }"""
ADVERSE = """
mutation A($input: RecordAdverseEventInput!) { recordAdverseEvent(input: $input) {
  adverseEvent { id treatmentId batchId kind severity description actionTaken
  yellowCardReference resolvedAt } } }"""
RESOLVE = """
mutation S($input: ResolveAdverseEventInput!) { resolveAdverseEvent(input: $input) {
  adverseEvent { id resolvedAt } } }"""
LISTS = """
query Q($p: ID!) { aestheticPrescriptions(patientId: $p) { id doseMin cancelledAt }
  aestheticConsultations(patientId: $p) { id faceToFace notes } }"""
MAPS = "{ faceMapTemplates { key version label zones { code label } } }"
ONE = f"query T($id: ID!) {{ injectableTreatment(id: $id) {{ {TREATMENT_FIELDS} }} }}"
PATIENT = """
query P($id: ID!) { patient(id: $id) { id injectableTreatments { id totals { amount } } } }"""
BY_BATCH = """
query B($b: ID!) { patientsTreatedWithBatch(batchId: $b) { subject lotNumber csv
  rows { patientId patientName patientNumber practiceId practiceName treatmentId treatedAt
         productName batchId lotNumber amount unit mayContactForSafetyNotice } } }"""
BY_LOT = """
query L($o: ID!, $lot: String!) { patientsTreatedWithLot(organizationId: $o, lotNumber: $lot) {
  subject lotNumber csv rows { patientId practiceId amount mayContactForSafetyNotice } } }"""

NOW = datetime.now(UTC)


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


def _payload(result: GraphQLResult, key: str) -> dict[str, Any]:
    assert result.errors == [], result.errors
    found: dict[str, Any] = next(iter(result.data.values()))[key]
    return found


def _field(result: GraphQLResult) -> str | None:
    value: str | None = result.errors[0].get("extensions", {}).get("field")
    return value


async def _prescribed(
    client: httpx.AsyncClient, c: Clinic, dose: tuple[str, str] = ("15", "30")
) -> str:
    consultation = _payload(
        await _do(
            client,
            CONSULT,
            c.token,
            patientId=str(c.patient.id),
            prescriberId=str(c.doctor.id),
            heldAt=(NOW - timedelta(days=3)).isoformat(),
            faceToFace=True,
            notes="Discussed glabellar lines.",
        ),
        "consultation",
    )
    prescription = _payload(
        await _do(
            client,
            ISSUE,
            c.token,
            consultationId=consultation["id"],
            productId=str(c.toxin.id),
            doseMin=dose[0],
            doseMax=dose[1],
            validUntil=(NOW + timedelta(days=30)).isoformat(),
            directions="Glabella, 5 points.",
        ),
        "prescription",
    )
    return str(prescription["id"])


async def _treat(
    client: httpx.AsyncClient,
    c: Clinic,
    points: list[dict[str, Any]],
    prescription_id: str | None = None,
    **extra: Any,
) -> GraphQLResult:
    return await _do(
        client,
        RECORD,
        c.token,
        patientId=str(c.patient.id),
        practitionerId=str(c.doctor.id),
        treatedAt=datetime.now(UTC).isoformat(),
        notes="Tolerated well.",
        prescriptionId=prescription_id,
        points=points,
        **extra,
    )


async def _counts() -> tuple[int, int, int]:
    return (
        await InjectableTreatment.all().count(),
        await InjectionPoint.all().count(),
        await StockMovement.all().count(),
    )


async def test_face_map_templates_are_versioned_data(client: httpx.AsyncClient) -> None:
    c = await support.clinic()
    result = await gql(client, MAPS, token=c.token)
    assert result.errors == []
    maps = {(m["key"], m["version"]): m for m in result.data["faceMapTemplates"]}
    assert {("FACE_FRONT", 1), ("FACE_LEFT", 1), ("BODY_FRONT", 1)} <= set(maps)
    zones = {z["code"] for z in maps["FACE_FRONT", 1]["zones"]}
    assert {"FOREHEAD", "GLABELLA", "CROWS_FEET_L", "LIPS_UPPER", "NASOLABIAL_L"} <= zones


async def test_toxin_under_prescription_records_points_stock_audit_and_event(
    client: httpx.AsyncClient,
) -> None:
    c = await support.clinic()
    prescription_id = await _prescribed(client, c)
    points = [
        point(c.toxin, c.toxin_batch, "10", zone="GLABELLA", x=0.5, y=0.28),
        point(c.toxin, c.toxin_batch, "7.5", zone="FOREHEAD", x=0.5, y=0.15),
        point(
            c.filler,
            c.filler_batch,
            "0.55",
            zone="LIPS_UPPER",
            depth="SUBDERMAL",
            technique="LINEAR_THREADING",
            x=0.5,
            y=0.71,
        ),
    ]
    treatment = _payload(await _treat(client, c, points, prescription_id), "treatment")

    assert treatment["prescriptionId"] == prescription_id
    assert treatment["notes"] == "Tolerated well."
    assert [p["zone"] for p in treatment["points"]] == ["GLABELLA", "FOREHEAD", "LIPS_UPPER"]
    assert treatment["points"][0]["lotNumber"] == "TOX-LOT-1"
    assert {(t["productName"], t["amount"], t["unit"]) for t in treatment["totals"]} == {
        ("Botox 100U", "17.5", "UNITS"),
        ("Juvederm Volift", "0.55", "ML"),
    }
    toxin = await Batch.get(id=c.toxin_batch.id)
    filler = await Batch.get(id=c.filler_batch.id)
    assert toxin.on_hand_milli == 100_000 - 17_500
    assert filler.on_hand_milli == 5000 - 550
    movements = await StockMovement.filter(treatment_id=treatment["id"]).order_by("quantity_milli")
    assert sorted(m.quantity_milli for m in movements) == [-10_000, -7_500, -550]
    assert {m.kind for m in movements} == {"USED"}
    row = await InjectableTreatment.get(id=treatment["id"])
    assert row.notes != "Tolerated well."  # sealed at rest
    assert await AuditEvent.filter(
        action="RECORD injectable_treatment", entity_id=treatment["id"], patient_id=c.patient.id
    ).exists()
    event = await DomainEvent.get(type="INJECTABLE_TREATMENT_RECORDED")
    assert event.topic == "clinical"
    assert str(event.patient_id) == str(c.patient.id)

    listed = await gql(client, PATIENT, {"id": str(c.patient.id)}, token=c.token)
    assert listed.errors == []
    assert listed.data["patient"]["injectableTreatments"][0]["id"] == treatment["id"]
    assert await AuditEvent.filter(
        entity_type="InjectableTreatment", entity_id=treatment["id"], action__startswith="READ"
    ).exists()


async def test_prescription_only_product_is_refused_without_a_fitting_prescription(
    client: httpx.AsyncClient,
) -> None:
    c = await support.clinic()
    toxin = [point(c.toxin, c.toxin_batch, "10"), point(c.toxin, c.toxin_batch, "10")]
    missing = await _treat(client, c, toxin)
    assert missing.codes == ["CONFLICT"]
    assert _field(missing) == "prescriptionId"

    prescription_id = await _prescribed(client, c, ("15", "25"))
    too_much = await _treat(
        client, c, [*toxin, point(c.toxin, c.toxin_batch, "10")], prescription_id
    )
    assert too_much.codes == ["CONFLICT"]
    assert _field(too_much) == "prescriptionId"
    too_little = await _treat(client, c, toxin[:1], prescription_id)
    assert too_little.codes == ["CONFLICT"]

    other = await factories.patient(c.practice)
    theirs = await _do(
        client,
        RECORD,
        c.token,
        patientId=str(other.id),
        practitionerId=str(c.doctor.id),
        treatedAt=NOW.isoformat(),
        prescriptionId=prescription_id,
        points=toxin,
    )
    assert theirs.codes == ["NOT_FOUND"]

    cancelled = await _do(client, CANCEL, c.token, prescriptionId=prescription_id)
    assert _payload(cancelled, "prescription")["cancelledAt"] is not None
    after_cancel = await _treat(client, c, toxin, prescription_id)
    assert after_cancel.codes == ["CONFLICT"]
    again = await _do(client, CANCEL, c.token, prescriptionId=prescription_id)
    assert again.codes == ["CONFLICT"]
    assert await _counts() == (0, 0, 0)
    assert (await Batch.get(id=c.toxin_batch.id)).on_hand_milli == 100_000

    # A filler (not prescription-only) needs none.
    filler = await _treat(client, c, [point(c.filler, c.filler_batch, "1", zone="CHIN")])
    assert filler.errors == []


async def test_prescriber_rules_registration_face_to_face_and_own_consultation(
    client: httpx.AsyncClient,
) -> None:
    c = await support.clinic()
    lapsed, _ = await support.practitioner(c.practice, expires_on=date.today() - timedelta(days=10))
    held = (NOW - timedelta(days=1)).isoformat()
    expired = await _do(
        client,
        CONSULT,
        c.token,
        patientId=str(c.patient.id),
        prescriberId=str(lapsed.id),
        heldAt=held,
        faceToFace=True,
    )
    assert expired.codes == ["CONFLICT"]
    assert _field(expired) == "prescriberId"
    nurse, _ = await support.practitioner(c.practice, role="NURSE", prescriber=False)
    not_prescriber = await _do(
        client,
        CONSULT,
        c.token,
        patientId=str(c.patient.id),
        prescriberId=str(nurse.id),
        heldAt=held,
        faceToFace=True,
    )
    assert not_prescriber.codes == ["CONFLICT"]

    remote = _payload(
        await _do(
            client,
            CONSULT,
            c.token,
            patientId=str(c.patient.id),
            prescriberId=str(c.doctor.id),
            heldAt=held,
            faceToFace=False,
        ),
        "consultation",
    )
    issue = {
        "consultationId": remote["id"],
        "productId": str(c.toxin.id),
        "doseMin": "10",
        "doseMax": "20",
        "validUntil": (NOW + timedelta(days=10)).isoformat(),
    }
    video = await _do(client, ISSUE, c.token, **issue)
    assert video.codes == ["CONFLICT"]
    assert _field(video) == "consultationId"

    in_person = _payload(
        await _do(
            client,
            CONSULT,
            c.token,
            patientId=str(c.patient.id),
            prescriberId=str(c.doctor.id),
            heldAt=held,
            faceToFace=True,
        ),
        "consultation",
    )
    issue["consultationId"] = in_person["id"]
    colleague = await factories.user(Role.DENTIST, c.practice)
    by_other = await _do(client, ISSUE, factories.access_token(colleague), **issue)
    assert by_other.codes == ["FORBIDDEN"]
    backwards = await _do(client, ISSUE, c.token, **{**issue, "doseMin": "30"})
    assert (backwards.codes, _field(backwards)) == (["BAD_USER_INPUT"], "doseMax")
    stale = await _do(client, ISSUE, c.token, **{**issue, "validUntil": NOW.isoformat()})
    assert _field(stale) == "validUntil"
    assert await Prescription.all().count() == 0
    ok = _payload(await _do(client, ISSUE, c.token, **issue), "prescription")
    assert (ok["doseMin"], ok["doseMax"], ok["unit"]) == ("10", "20", "UNITS")
    listed = await gql(client, LISTS, {"p": str(c.patient.id)}, token=c.token)
    assert listed.errors == []
    assert [p["id"] for p in listed.data["aestheticPrescriptions"]] == [ok["id"]]
    assert {x["faceToFace"] for x in listed.data["aestheticConsultations"]} == {True, False}
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, c.practice))
    denied = await gql(client, LISTS, {"p": str(c.patient.id)}, token=receptionist)
    assert set(denied.codes) == {"FORBIDDEN"}


async def test_a_failing_third_point_leaves_nothing_written(client: httpx.AsyncClient) -> None:
    c = await support.clinic()
    low = await support.batch(c.practice, c.filler, "FIL-LOW", on_hand=200)
    before = await _counts()
    points = [
        point(c.filler, c.filler_batch, "1", zone="CHEEK_L"),
        point(c.filler, c.filler_batch, "1", zone="CHEEK_R"),
        point(c.filler, low, "0.5", zone="CHIN"),
    ]
    refused = await _treat(client, c, points)
    assert refused.codes == ["CONFLICT"]
    assert _field(refused) == "amount"
    assert await _counts() == before
    assert (await Batch.get(id=c.filler_batch.id)).on_hand_milli == 5000
    assert (await Batch.get(id=low.id)).on_hand_milli == 200
    assert not await DomainEvent.filter(type="INJECTABLE_TREATMENT_RECORDED").exists()


async def test_unusable_batches_and_bad_sites_are_refused(client: httpx.AsyncClient) -> None:
    c = await support.clinic()
    expired = await support.batch(
        c.practice, c.filler, "OLD", expires_on=date.today() - timedelta(days=1)
    )
    held = await support.batch(c.practice, c.filler, "HELD", quarantined=True)
    elsewhere = await support.clinic(c.org)
    good = point(c.filler, c.filler_batch, "1", zone="CHIN")
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        (point(c.filler, expired, "1"), "CONFLICT", "batchId"),
        (point(c.filler, held, "1"), "CONFLICT", "batchId"),
        (point(c.filler, elsewhere.filler_batch, "1"), "NOT_FOUND", None),
        (point(c.toxin, c.filler_batch, "1"), "BAD_USER_INPUT", "batchId"),
        ({**good, "x": 1.5}, "BAD_USER_INPUT", "x"),
        ({**good, "y": -0.1}, "BAD_USER_INPUT", "y"),
        ({**good, "zone": "KNEE"}, "BAD_USER_INPUT", "zone"),
        ({**good, "zone": "CROWS_FEET_R", "mapKey": "FACE_LEFT"}, "BAD_USER_INPUT", "zone"),
        ({**good, "mapVersion": 9}, "BAD_USER_INPUT", "mapVersion"),
        ({**good, "mapKey": "ELBOW"}, "BAD_USER_INPUT", "mapKey"),
        ({**good, "amount": "-1"}, "BAD_USER_INPUT", "amount"),
        ({**good, "amount": "0"}, "BAD_USER_INPUT", "amount"),
        ({**good, "amount": "0.0001"}, "BAD_USER_INPUT", "amount"),
        ({**good, "amount": "1000000"}, "BAD_USER_INPUT", "amount"),
    ]
    for bad, code, field in cases:
        result = await _treat(client, c, [good, bad])
        assert result.codes == [code], (bad, result.errors)
        if field is not None:
            assert _field(result) == field, (bad, result.errors)
    assert await _counts() == (0, 0, 0)
    assert (await Batch.get(id=c.filler_batch.id)).on_hand_milli == 5000


async def test_adverse_event_recorded_and_resolved(client: httpx.AsyncClient) -> None:
    c = await support.clinic()
    treatment = _payload(
        await _treat(client, c, [point(c.filler, c.filler_batch, "1", zone="LIPS_LOWER")]),
        "treatment",
    )
    base = {
        "treatmentId": treatment["id"],
        "kind": "VASCULAR_OCCLUSION",
        "severity": "SEVERE",
        "onsetAt": datetime.now(UTC).isoformat(),
        "description": "Blanching of the lower lip.",
        "actionTaken": "Hyaluronidase 1500 IU.",
        "batchId": str(c.filler_batch.id),
        "yellowCardReference": "YC-2026-0001",
    }
    unused = await _do(client, ADVERSE, c.token, **{**base, "batchId": str(c.toxin_batch.id)})
    assert (unused.codes, _field(unused)) == (["BAD_USER_INPUT"], "batchId")
    event = _payload(await _do(client, ADVERSE, c.token, **base), "adverseEvent")
    assert event["description"] == "Blanching of the lower lip."
    assert event["batchId"] == str(c.filler_batch.id)
    resolved = _payload(
        await _do(client, RESOLVE, c.token, adverseEventId=event["id"]), "adverseEvent"
    )
    assert resolved["resolvedAt"] is not None
    twice = await _do(client, RESOLVE, c.token, adverseEventId=event["id"])
    assert twice.codes == ["CONFLICT"]
    read = await gql(client, ONE, {"id": treatment["id"]}, token=c.token)
    assert read.data["injectableTreatment"]["adverseEvents"][0]["kind"] == "VASCULAR_OCCLUSION"


async def test_who_may_record_and_read(client: httpx.AsyncClient) -> None:
    c = await support.clinic()
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, c.practice))
    stranger = await support.clinic()
    filler = [point(c.filler, c.filler_batch, "1", zone="CHIN")]
    refused = await _do(
        client,
        RECORD,
        receptionist,
        patientId=str(c.patient.id),
        practitionerId=str(c.doctor.id),
        treatedAt=NOW.isoformat(),
        points=filler,
    )
    assert refused.codes == ["FORBIDDEN"]
    foreign = await _do(
        client,
        RECORD,
        stranger.token,
        patientId=str(c.patient.id),
        practitionerId=str(stranger.doctor.id),
        treatedAt=NOW.isoformat(),
        points=filler,
    )
    assert foreign.codes == ["NOT_FOUND"]
    treatment = _payload(await _treat(client, c, filler), "treatment")
    read = await gql(client, PATIENT, {"id": str(c.patient.id)}, token=receptionist)
    assert read.data["patient"]["injectableTreatments"] is None
    assert read.codes == ["FORBIDDEN"]
    random = await gql(client, ONE, {"id": str(uuid4())}, token=stranger.token)
    theirs = await gql(client, ONE, {"id": treatment["id"]}, token=stranger.token)
    assert random.errors[0]["message"] == theirs.errors[0]["message"]
    assert theirs.codes == ["NOT_FOUND"]


async def _contactable(c: Clinic) -> None:
    c.patient.email = sealing.seal(c.patient, "email", "alice@example.test")
    await c.patient.save(update_fields=["email"])


async def test_batch_recall_rows_contact_csv_and_one_audit_row(client: httpx.AsyncClient) -> None:
    c = await support.clinic()
    await _contactable(c)
    declined = await factories.patient(c.practice, first_name="=cmd")
    declined.email = sealing.seal(declined, "email", "b@example.test")
    await declined.save(update_fields=["email"])
    await ContactPreference.create(
        practice_id=c.practice.id, patient_id=declined.id, service_messages=False
    )
    silent = await factories.patient(c.practice)  # no contact details at all
    for who in (c.patient, declined, silent):
        result = await _do(
            client,
            RECORD,
            c.token,
            patientId=str(who.id),
            practitionerId=str(c.doctor.id),
            treatedAt=datetime.now(UTC).isoformat(),
            points=[
                point(c.filler, c.filler_batch, "0.5", zone="CHIN"),
                point(c.filler, c.filler_batch, "0.25", zone="LIPS_UPPER"),
            ],
        )
        assert result.errors == []
    found = await gql(client, BY_BATCH, {"b": str(c.filler_batch.id)}, token=c.token)
    assert found.errors == []
    recall = found.data["patientsTreatedWithBatch"]
    rows = {r["patientId"]: r for r in recall["rows"]}
    assert set(rows) == {str(c.patient.id), str(declined.id), str(silent.id)}
    assert {r["amount"] for r in rows.values()} == {"0.75"}
    assert rows[str(c.patient.id)]["mayContactForSafetyNotice"] is True
    assert rows[str(declined.id)]["mayContactForSafetyNotice"] is False
    assert rows[str(silent.id)]["mayContactForSafetyNotice"] is False
    assert rows[str(c.patient.id)]["lotNumber"] == "FIL-LOT-1"
    table = list(csv.reader(io.StringIO(recall["csv"])))
    assert table[0][0] == "patient_id"
    assert len(table) == 4
    assert "'=cmd" in [line[3] for line in table]  # no formula reaches a spreadsheet
    audits = await AuditEvent.filter(entity_type="BatchRecall", entity_id=str(c.filler_batch.id))
    assert len(audits) == 1
    named = await AuditReadPatient.filter(audit_id=audits[0].id).values_list(
        "patient_id", flat=True
    )
    assert {str(p) for p in named} == set(rows)

    unknown = await gql(client, BY_BATCH, {"b": str(uuid4())}, token=c.token)
    assert unknown.codes == ["NOT_FOUND"]
    other = await support.clinic()
    theirs = await gql(client, BY_BATCH, {"b": str(c.filler_batch.id)}, token=other.token)
    assert theirs.codes == ["NOT_FOUND"]
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, c.practice))
    denied = await gql(client, BY_BATCH, {"b": str(c.filler_batch.id)}, token=receptionist)
    assert denied.codes == ["FORBIDDEN"]


async def test_lot_recall_spans_the_organisation_and_no_other(client: httpx.AsyncClient) -> None:
    first = await support.clinic(lot="RECALL-42")
    second = await support.clinic(first.org, lot="RECALL-42")
    unrelated_lot = await support.clinic(first.org, lot="OTHER-1")
    foreign = await support.clinic(lot="RECALL-42")  # another organisation, same lot number
    for c in (first, second, unrelated_lot, foreign):
        prescription_id = await _prescribed(client, c)
        result = await _treat(client, c, [point(c.toxin, c.toxin_batch, "20")], prescription_id)
        assert result.errors == [], result.errors
    admin = factories.access_token(await factories.user(Role.ORG_ADMIN, org=first.org))
    found = await gql(client, BY_LOT, {"o": str(first.org.id), "lot": "RECALL-42"}, token=admin)
    assert found.errors == [], found.errors
    rows = found.data["patientsTreatedWithLot"]["rows"]
    assert {r["patientId"] for r in rows} == {str(first.patient.id), str(second.patient.id)}
    assert {r["practiceId"] for r in rows} == {str(first.practice.id), str(second.practice.id)}
    assert {r["amount"] for r in rows} == {"20"}
    assert (
        await AuditEvent.filter(
            entity_type="BatchRecall", entity_id=f"{first.org.id}:RECALL-42"
        ).count()
        == 1
    )

    unknown = await gql(client, BY_LOT, {"o": str(first.org.id), "lot": "NOPE"}, token=admin)
    assert unknown.codes == ["NOT_FOUND"]
    theirs = await gql(client, BY_LOT, {"o": str(foreign.org.id), "lot": "RECALL-42"}, token=admin)
    assert theirs.codes == ["NOT_FOUND"]
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, first.practice))
    denied = await gql(
        client, BY_LOT, {"o": str(first.org.id), "lot": "RECALL-42"}, token=receptionist
    )
    assert denied.codes == ["FORBIDDEN"]
    # A clinician of one practice searches only the practice where they hold both scopes.
    own = await gql(client, BY_LOT, {"o": str(first.org.id), "lot": "RECALL-42"}, token=first.token)
    assert {r["patientId"] for r in own.data["patientsTreatedWithLot"]["rows"]} == {
        str(first.patient.id)
    }


async def test_demo_seeds_treatments_alone_and_recall_finds_them(
    client: httpx.AsyncClient,
) -> None:
    import random

    from services.aesthetics.demo_injectables import seed_injectables

    practice = await factories.practice()
    patients = [await factories.patient(practice) for _ in range(8)]
    dentist = await factories.user(Role.DENTIST, practice)
    made = await seed_injectables(practice, patients, dentist, random.Random(4))
    assert made >= 6
    treatments = await InjectableTreatment.filter(practice_id=practice.id)
    assert len(treatments) == made
    batch = await Batch.get(practice_id=practice.id, lot_number__startswith="DEMO-TX")
    used = await StockMovement.filter(batch_id=batch.id, kind="USED")
    assert batch.on_hand_milli == batch.quantity_received_milli + sum(
        m.quantity_milli for m in used
    )
    token = factories.access_token(dentist)
    found = await gql(client, BY_BATCH, {"b": str(batch.id)}, token=token)
    assert found.errors == []
    assert len(found.data["patientsTreatedWithBatch"]["rows"]) == 6
    listed = await gql(client, PATIENT, {"id": str(treatments[0].patient_id)}, token=token)
    assert listed.errors == []
    assert listed.data["patient"]["injectableTreatments"]

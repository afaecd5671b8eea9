"""Consent forms through GraphQL: versioned templates (an edit makes a new version and never
changes a signed form), signing (signature and PDF documents, ledger grant, hash, IP and user
agent, all or nothing), refusals with stable codes and fields, voiding, the export and the
PDF's bytes, and who may read or sign what."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
import zlib
from typing import Any
from uuid import uuid4

import httpx
import pytest
from PIL import Image

from db.models import (
    AuditEvent,
    ConsentFormInstance,
    ConsentFormTemplate,
    ConsentRecord,
    Document,
    DomainEvent,
    Patient,
    Practice,
)
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql

VERSION_FIELDS = """id formKey version title treatmentKind purpose risksText supersededAt
  questions { key text kind required }"""
TEMPLATE_FIELDS = f"formKey archived current {{ {VERSION_FIELDS} }} history {{ id version }}"
FORM_FIELDS = f"""id patientId status purpose treatmentKind createdAt
  template {{ {VERSION_FIELDS} }}
  answers {{ key question answer }}
  signedName signedAt signedIp signedUserAgent signatureDocumentId pdfDocumentId
  witnessUserId consentRecordId contentSha256 voidedAt voidReason"""


def _mutation(name: str, input_type: str, result: str, fields: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ {result} {{ {fields} }} }} }}"
    )


CREATE = _mutation(
    "createConsentFormTemplate", "CreateConsentFormTemplateInput", "template", TEMPLATE_FIELDS
)
EDIT = _mutation(
    "editConsentFormTemplate", "EditConsentFormTemplateInput", "template", TEMPLATE_FIELDS
)
ARCHIVE = _mutation(
    "archiveConsentFormTemplate", "ArchiveConsentFormTemplateInput", "template", TEMPLATE_FIELDS
)
ISSUE = _mutation("issueConsentForm", "IssueConsentFormInput", "form", FORM_FIELDS)
SIGN = _mutation("signConsentForm", "SignConsentFormInput", "form", FORM_FIELDS)
VOID = _mutation("voidConsentForm", "VoidConsentFormInput", "form", FORM_FIELDS)
TEMPLATES = (
    "query T($p: ID!, $a: Boolean! = false) { consentFormTemplates(practiceId: $p, "
    "includeArchived: $a) { " + TEMPLATE_FIELDS + " } }"
)
ONE = "query F($id: ID!) { consentForm(id: $id) { " + FORM_FIELDS + " } }"
LIST = "query L($p: ID!) { consentForms(patientId: $p) { id status } }"
EXPORT = "mutation E($p: ID!) { exportPatientData(patientId: $p) { document } }"

RISKS_V1 = "Bruising, swelling and headache are common. Rarely, a drooping eyelid for weeks."
QUESTIONS = [
    {"key": "pregnant", "text": "Are you pregnant or breastfeeding?", "kind": "YES_NO"},
    {"key": "allergies", "text": "Any allergies?", "kind": "TEXT", "required": False},
]


def _png(width: int = 120, height: int = 40) -> str:
    image = Image.new("L", (width, height), 255)
    for x in range(10, width - 10):
        image.putpixel((x, height // 2 + (x % 7) - 3), 0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def _world() -> tuple[Practice, Patient, str, Any]:
    practice = await factories.practice(name="Leith Walk Aesthetics")
    patient = await factories.patient(practice)
    dentist = await factories.user(Role.DENTIST, practice)
    return practice, patient, factories.access_token(dentist), dentist


async def _ok(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> dict[str, Any]:
    result = await gql(client, doc, {"input": values}, token=token)
    assert result.errors == [], result.errors
    payload = next(iter(result.data.values()))
    found: dict[str, Any] = payload.get("template") or payload["form"]
    return found


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _template(client: httpx.AsyncClient, token: str, practice: Practice) -> dict[str, Any]:
    return await _ok(
        client,
        CREATE,
        token,
        practiceId=str(practice.id),
        title="Botulinum toxin treatment consent",
        treatmentKind="TOXIN",
        purpose="CONSULTATION",
        risksText=RISKS_V1,
        questions=QUESTIONS,
    )


def _signing(form: dict[str, Any], **change: Any) -> dict[str, Any]:
    return {
        "id": form["id"],
        "signedName": "Zoë O'Brien",
        "signatureImage": _png(),
        "answers": [{"key": "pregnant", "answer": "no"}],
        **change,
    }


def _pdf_text(data: bytes) -> str:
    """The page content streams inflated (fpdf2 compresses them; core-font text is literal)."""
    text = []
    for match in re.finditer(rb"stream\n(.*?)\nendstream", data, re.S):
        try:
            text.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            continue  # the image stream
    return "".join(text)


def _field(result: GraphQLResult) -> object:
    return result.errors[0]["extensions"].get("field")


async def test_an_edit_makes_a_new_version_and_a_signed_form_keeps_its_own(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token, dentist = await _world()
    template = await _template(client, token, practice)
    v1 = template["current"]
    assert (v1["version"], template["archived"]) == (1, False)
    form = await _ok(client, ISSUE, token, patientId=str(patient.id), templateId=v1["id"])
    assert (form["status"], form["purpose"], form["treatmentKind"]) == (
        "PENDING",
        "CONSULTATION",
        "TOXIN",
    )
    signed = await _ok(
        client, SIGN, token, **_signing(form, answers=[{"key": "pregnant", "answer": "no"}])
    )
    assert signed["status"] == "SIGNED"
    assert signed["witnessUserId"] == str(dentist.id)
    assert signed["answers"] == [
        {"key": "pregnant", "question": QUESTIONS[0]["text"], "answer": "NO"},
        {"key": "allergies", "question": "Any allergies?", "answer": None},
    ]

    edited = await _ok(
        client,
        EDIT,
        token,
        formKey=template["formKey"],
        risksText="Updated wording: bruising is common.",
    )
    v2 = edited["current"]
    assert (edited["formKey"], v2["version"], v2["risksText"]) == (
        template["formKey"],
        2,
        "Updated wording: bruising is common.",
    )
    assert v2["questions"] == v1["questions"]
    assert [h["version"] for h in edited["history"]] == [1, 2]
    listed = (await gql(client, TEMPLATES, {"p": str(practice.id)}, token=token)).data
    [only] = listed["consentFormTemplates"]
    assert only["current"]["id"] == v2["id"]
    assert (await ConsentFormTemplate.get(id=v1["id"])).superseded_at is not None

    again = (await gql(client, ONE, {"id": form["id"]}, token=token)).data["consentForm"]
    assert (again["template"]["id"], again["template"]["version"]) == (v1["id"], 1)
    assert again["template"]["risksText"] == RISKS_V1
    assert again["contentSha256"] == signed["contentSha256"]
    old_issue = await _do(client, ISSUE, token, patientId=str(patient.id), templateId=v1["id"])
    assert (old_issue.codes, _field(old_issue)) == (["CONFLICT"], "templateId")

    archived = await _ok(client, ARCHIVE, token, formKey=v2["id"])
    assert archived["archived"] is True
    listed = (await gql(client, TEMPLATES, {"p": str(practice.id)}, token=token)).data
    assert listed["consentFormTemplates"] == []
    every = await gql(client, TEMPLATES, {"p": str(practice.id), "a": True}, token=token)
    assert [t["archived"] for t in every.data["consentFormTemplates"]] == [True]
    assert (await _do(client, EDIT, token, formKey=v2["id"], title="x")).codes == ["CONFLICT"]
    assert (
        await _do(client, ISSUE, token, patientId=str(patient.id), templateId=v2["id"])
    ).codes == ["CONFLICT"]
    actions = set(
        await AuditEvent.filter(entity_type="ConsentFormTemplate").values_list("action", flat=True)
    )
    assert {
        "CREATE consent_form_template",
        "SUPERSEDE consent_form_template",
        "CREATE consent_form_template_version",
        "ARCHIVE consent_form_template",
    } <= actions
    assert await DomainEvent.filter(type="CONSENT_FORM_TEMPLATE_CHANGED").count() == 4


async def test_signing_stores_signature_pdf_ledger_and_hash(client: httpx.AsyncClient) -> None:
    practice, patient, token, _ = await _world()
    template = await _template(client, token, practice)
    form = await _ok(
        client, ISSUE, token, patientId=str(patient.id), templateId=template["current"]["id"]
    )
    result = await gql(
        client,
        SIGN,
        {"input": _signing(form, answers=[{"key": "pregnant", "answer": "NO"}])},
        token=token,
        headers={"user-agent": "SignaturePad/2.1"},
    )
    assert result.errors == [], result.errors
    signed = result.data["signConsentForm"]["form"]
    assert signed["signedUserAgent"] == "SignaturePad/2.1"
    assert signed["signedIp"]
    assert signed["signedName"] == "Zoë O'Brien"

    signature = await Document.get(id=signed["signatureDocumentId"])
    assert (signature.kind, signature.content_type) == ("SIGNATURE", "image/png")
    pdf = await Document.get(id=signed["pdfDocumentId"])
    assert (pdf.kind, pdf.content_type) == ("CONSENT_FORM", "application/pdf")
    consent = await ConsentRecord.get(id=signed["consentRecordId"])
    assert (consent.purpose, consent.subject, consent.granted) == ("TREATMENT", form["id"], True)
    assert consent.evidence_ref == f"document:{pdf.id}"

    from services.aesthetics import consent_forms

    row = await ConsentFormInstance.get(id=form["id"])
    template_row = await ConsentFormTemplate.get(id=template["current"]["id"])
    assert row.signed_at is not None
    content = consent_forms.signed_content(
        template_row, {"pregnant": "NO"}, "Zoë O'Brien", row.signed_at
    )
    assert hashlib.sha256(content.encode()).hexdigest() == signed["contentSha256"]
    assert RISKS_V1 in content

    opened = await client.get(f"/documents/{pdf.id}", headers={"authorization": f"Bearer {token}"})
    assert opened.status_code == 200
    assert opened.content.startswith(b"%PDF-")
    assert b"Botulinum toxin treatment consent" in opened.content  # the title (metadata)
    assert f"sha256:{signed['contentSha256']}".encode() in opened.content  # keywords
    body = _pdf_text(opened.content)
    assert signed["contentSha256"] in body  # printed on the page too
    assert "Are you pregnant or breastfeeding?" in body
    assert f"{patient.first_name} {patient.last_name}" in body
    assert "/Subtype /Image" in opened.content.decode("latin-1")  # the drawn signature

    actions = await AuditEvent.filter(patient_id=patient.id).values_list("action", flat=True)
    assert {"ISSUE consent_form", "SIGN consent_form", "RECORD consent"} <= set(actions)
    events = await DomainEvent.filter(type="CONSENT_FORM_CHANGED", patient_id=patient.id)
    assert len(events) == 2
    assert {e.topic for e in events} == {"clinical"}  # the patient's clinical stream

    twice = await _do(client, SIGN, token, **_signing(form))
    assert (twice.codes, _field(twice)) == (["CONFLICT"], "id")
    assert await Document.filter(patient_id=patient.id).count() == 2


async def test_refusals_have_a_code_and_a_field_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token, _ = await _world()
    template = await _template(client, token, practice)
    form = await _ok(
        client, ISSUE, token, patientId=str(patient.id), templateId=template["current"]["id"]
    )
    fake = base64.b64encode(b"MZ\x90\x00 not an image at all").decode()
    png_head = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 100).decode()
    too_big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 70_000).decode()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"signatureImage": fake}, "signatureImage"),
        ({"signatureImage": png_head}, "signatureImage"),  # claims PNG, is not one
        ({"signatureImage": "***"}, "signatureImage"),
        ({"signatureImage": too_big}, "signatureImage"),
        ({"signedName": "  "}, "signedName"),
        ({"answers": []}, "answers"),  # the required question unanswered
        ({"answers": [{"key": "pregnant", "answer": "maybe"}]}, "answers"),
        ({"answers": [{"key": "smoker", "answer": "NO"}]}, "answers"),
        (
            {"answers": [{"key": "pregnant", "answer": "NO"}, {"key": "pregnant", "answer": "NO"}]},
            "answers",
        ),
        ({"witnessUserId": str(uuid4())}, "witnessUserId"),
    ]
    for change, field in cases:
        refused = await _do(client, SIGN, token, **_signing(form, **change))
        assert (refused.codes, _field(refused)) == (["BAD_USER_INPUT"], field), change
    assert await Document.filter(patient_id=patient.id).count() == 0
    assert await ConsentRecord.filter(patient_id=patient.id).count() == 0
    assert (await ConsentFormInstance.get(id=form["id"])).status == "PENDING"

    bad_templates = [
        ({"risksText": " "}, "risksText"),
        ({"title": ""}, "title"),
        ({"questions": [QUESTIONS[0], QUESTIONS[0]]}, "questions"),
        ({"questions": [{"key": "Bad Key", "text": "?", "kind": "TEXT"}]}, "questions"),
    ]
    base = {
        "practiceId": str(practice.id),
        "title": "Filler",
        "treatmentKind": "FILLER",
        "purpose": "TREATMENT",
        "risksText": "Risks",
    }
    for change, field in bad_templates:
        refused = await _do(client, CREATE, token, **{**base, **change})
        assert (refused.codes, _field(refused)) == (["BAD_USER_INPUT"], field), change
    assert await ConsentFormTemplate.filter(practice_id=practice.id).count() == 1

    voided = await _ok(client, VOID, token, id=form["id"], reason="Wrong form issued")
    assert (voided["status"], voided["voidReason"]) == ("VOIDED", "Wrong form issued")
    after_void = await _do(client, SIGN, token, **_signing(form))
    assert after_void.codes == ["CONFLICT"]
    assert (await _do(client, VOID, token, id=form["id"], reason="again")).codes == ["CONFLICT"]
    no_reason = await _do(client, VOID, token, id=form["id"], reason=" ")
    assert (no_reason.codes, _field(no_reason)) == (["BAD_USER_INPUT"], "reason")


async def test_concurrent_signatures_sign_once(client: httpx.AsyncClient) -> None:
    practice, patient, token, _ = await _world()
    template = await _template(client, token, practice)
    form = await _ok(
        client, ISSUE, token, patientId=str(patient.id), templateId=template["current"]["id"]
    )
    results = await asyncio.gather(*(_do(client, SIGN, token, **_signing(form)) for _ in range(4)))
    assert sorted(tuple(r.codes) for r in results) == [
        (),
        ("CONFLICT",),
        ("CONFLICT",),
        ("CONFLICT",),
    ]
    assert await ConsentRecord.filter(patient_id=patient.id).count() == 1
    assert await Document.filter(patient_id=patient.id).count() == 2  # one signature, one PDF
    assert await AuditEvent.filter(action="SIGN consent_form").count() == 1


async def test_voiding_a_signed_form_withdraws_its_consent(client: httpx.AsyncClient) -> None:
    practice, patient, token, _ = await _world()
    template = await _template(client, token, practice)
    form = await _ok(
        client, ISSUE, token, patientId=str(patient.id), templateId=template["current"]["id"]
    )
    signed = await _ok(client, SIGN, token, **_signing(form))
    await _ok(client, VOID, token, id=form["id"], reason="Signed by the wrong patient")
    rows = await ConsentRecord.filter(patient_id=patient.id, subject=form["id"]).order_by("seq")
    assert [r.granted for r in rows] == [True, False]
    assert (await ConsentFormInstance.get(id=form["id"])).content_sha256 == signed["contentSha256"]


async def test_a_sign_that_does_not_commit_leaves_no_blobs(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.aesthetics import consent_forms
    from services.documents import stores
    from services.documents.storage import FileSystemStore
    from services.errors import Conflict

    practice, patient, token, _ = await _world()
    template = await _template(client, token, practice)
    form = await _ok(
        client, ISSUE, token, patientId=str(patient.id), templateId=template["current"]["id"]
    )

    async def refused(*_: object, **__: object) -> object:
        raise Conflict("The ledger refused.", field="id")  # after both document rows are saved

    monkeypatch.setattr(consent_forms.ledger, "treatment_accepted_in", refused)
    store = stores.current()
    assert isinstance(store, FileSystemStore)
    before = {p for p in store.root.rglob("*") if p.is_file()} if store.root.exists() else set()
    failed = await _do(client, SIGN, token, **_signing(form))
    assert failed.codes == ["CONFLICT"]
    after = {p for p in store.root.rglob("*") if p.is_file()} if store.root.exists() else set()
    assert after == before
    assert await Document.filter(patient_id=patient.id).count() == 0
    assert (await ConsentFormInstance.get(id=form["id"])).status == "PENDING"
    assert await AuditEvent.filter(action="SIGN consent_form").count() == 0


async def test_the_export_holds_the_signed_form_and_its_pdf(client: httpx.AsyncClient) -> None:
    practice, patient, token, _ = await _world()
    template = await _template(client, token, practice)
    form = await _ok(
        client, ISSUE, token, patientId=str(patient.id), templateId=template["current"]["id"]
    )
    signed = await _ok(
        client,
        SIGN,
        token,
        **_signing(
            form,
            answers=[
                {"key": "pregnant", "answer": "NO"},
                {"key": "allergies", "answer": "Penicillin"},
            ],
        ),
    )
    exported = await gql(client, EXPORT, {"p": str(patient.id)}, token=token)
    assert exported.errors == [], exported.errors
    records = exported.data["exportPatientData"]["document"]["records"]
    [row] = records["consent_form_instance"]
    assert row["answers"] == {"pregnant": "NO", "allergies": "Penicillin"}
    assert (row["status"], row["content_sha256"]) == ("SIGNED", signed["contentSha256"])
    assert row["signed_name"] == "Zoë O'Brien"
    documents = {d["id"]: d for d in records["document"]}
    assert documents[row["pdf_document_id"]]["kind"] == "CONSENT_FORM"
    assert documents[row["signature_document_id"]]["kind"] == "SIGNATURE"
    [version] = records.get("consent_form_template", []) or [None]
    assert version is None  # templates are the practice's wording, not the patient's data

    import jsonschema

    from services.consent import export_format

    jsonschema.validate(exported.data["exportPatientData"]["document"], export_format.json_schema())


async def test_who_may_read_and_sign(client: httpx.AsyncClient) -> None:
    practice, patient, token, _ = await _world()
    other = await factories.patient(practice)
    template = await _template(client, token, practice)
    version_id = template["current"]["id"]
    mine = await _ok(client, ISSUE, token, patientId=str(patient.id), templateId=version_id)
    theirs = await _ok(client, ISSUE, token, patientId=str(other.id), templateId=version_id)

    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    listed = await gql(client, LIST, {"p": str(patient.id)}, token=receptionist)
    assert listed.codes == ["FORBIDDEN"]
    templates = await gql(client, TEMPLATES, {"p": str(practice.id)}, token=receptionist)
    assert templates.codes == ["FORBIDDEN"]
    for doc, values in (
        (ISSUE, {"patientId": str(patient.id), "templateId": version_id}),
        (SIGN, _signing(mine)),
        (VOID, {"id": mine["id"], "reason": "no"}),
        (EDIT, {"formKey": template["formKey"], "title": "Changed"}),
    ):
        got = await _do(client, doc, receptionist, **values)
        assert got.codes == ["FORBIDDEN"], (doc, got.errors)

    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    read = await gql(client, ONE, {"id": mine["id"]}, token=own)
    assert read.errors == []
    assert read.data["consentForm"]["template"]["risksText"] == RISKS_V1

    def shape(result: GraphQLResult) -> list[tuple[object, object]]:
        return [(e["extensions"]["code"], e["message"]) for e in result.errors]

    hidden = await gql(client, ONE, {"id": theirs["id"]}, token=own)
    random = await gql(client, ONE, {"id": str(uuid4())}, token=own)
    assert shape(hidden) == shape(random) == [("NOT_FOUND", "Consent form not found.")]

    _, foreign_patient, foreign_token, _ = await _world()
    probe = await _do(client, SIGN, foreign_token, **_signing(mine))
    random_probe = await _do(client, SIGN, foreign_token, **_signing({"id": str(uuid4())}))
    assert shape(probe) == shape(random_probe)
    foreign_template = await _do(
        client, ISSUE, token, patientId=str(patient.id), templateId=str(uuid4())
    )
    assert foreign_template.codes == ["NOT_FOUND"]
    assert foreign_patient.id != patient.id
    reads = await AuditEvent.filter(entity_type="ConsentFormInstance", action__startswith="READ")
    assert str(mine["id"]) in {str(r.entity_id) for r in reads}


async def test_a_patient_signs_their_own_form_in_the_portal(client: httpx.AsyncClient) -> None:
    practice, patient, token, _ = await _world()
    other = await factories.patient(practice)
    template = await _template(client, token, practice)
    version_id = template["current"]["id"]
    mine = await _ok(client, ISSUE, token, patientId=str(patient.id), templateId=version_id)
    theirs = await _ok(client, ISSUE, token, patientId=str(other.id), templateId=version_id)
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    witnessed = await _do(client, SIGN, own, **_signing(mine, witnessUserId=str(uuid4())))
    assert (witnessed.codes, _field(witnessed)) == (["BAD_USER_INPUT"], "witnessUserId")
    hidden = await _do(client, SIGN, own, **_signing(theirs))
    random = await _do(client, SIGN, own, **_signing({"id": str(uuid4())}))
    assert hidden.errors[0]["message"] == random.errors[0]["message"] == "Consent form not found."
    issued = await _do(client, ISSUE, own, patientId=str(patient.id), templateId=version_id)
    assert issued.codes == ["FORBIDDEN"]
    voided = await _do(client, VOID, own, id=mine["id"], reason="changed my mind")
    assert voided.codes == ["FORBIDDEN"]

    signed = await _ok(client, SIGN, own, **_signing(mine))
    assert (signed["status"], signed["witnessUserId"]) == ("SIGNED", None)
    consent = await ConsentRecord.get(id=signed["consentRecordId"])
    assert (consent.method, consent.granted) == ("PORTAL", True)
    opened = await client.get(
        f"/documents/{signed['pdfDocumentId']}", headers={"authorization": f"Bearer {own}"}
    )
    assert opened.status_code == 200
    assert opened.content.startswith(b"%PDF-")
    assert (await _do(client, SIGN, own, **_signing(mine))).codes == ["CONFLICT"]
    assert (await ConsentFormInstance.get(id=theirs["id"])).status == "PENDING"


async def test_demo_forms(client: httpx.AsyncClient) -> None:
    import random

    from services.aesthetics import demo_forms

    practice, patient, token, dentist = await _world()
    second = await factories.patient(practice)
    signed = await demo_forms.seed_forms(practice, [patient, second], dentist, random.Random(3))
    assert signed >= 2
    listed = (await gql(client, TEMPLATES, {"p": str(practice.id)}, token=token)).data
    kinds = {
        (t["current"]["treatmentKind"], t["current"]["purpose"])
        for t in listed["consentFormTemplates"]
    }
    assert kinds == {
        ("TOXIN", "CONSULTATION"),
        ("TOXIN", "TREATMENT"),
        ("FILLER", "CONSULTATION"),
        ("FILLER", "TREATMENT"),
    }
    forms = (await gql(client, LIST, {"p": str(patient.id)}, token=token)).data["consentForms"]
    assert "SIGNED" in {f["status"] for f in forms}
    one = next(f for f in forms if f["status"] == "SIGNED")
    shown = (await gql(client, ONE, {"id": one["id"]}, token=token)).data["consentForm"]
    assert shown["pdfDocumentId"]
    assert shown["contentSha256"]

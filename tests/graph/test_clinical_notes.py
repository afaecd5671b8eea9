"""Clinical notes through GraphQL: draft → signed → amended, the refusal to edit a signed note,
co-signature of a trainee's note, templates, permissions, audited reads, no text in events."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from db.models import AuditEvent, ClinicalNote, ClinicalNoteAmendment, DomainEvent, Membership
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.clinical_note_support import (
    AMEND,
    COSIGN,
    LIST,
    ONE,
    SIGN,
    UPDATE,
    act,
    create_note,
)
from tests.graph.patient_support import staff
from tests.sql_counter import count_statements

SECRET = "Secretcaries distal 36, patient anxious"


def _sha256(text: str | None, fields: list[dict[str, object]]) -> str:
    value = {"fields": fields, "text": text}
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def test_draft_sign_then_amend(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    dentist, token = await staff(Role.DENTIST, practice)

    created = await create_note(client, token, patient.id, text="First draft")
    assert created.errors == []
    note = created.data["createClinicalNote"]["note"]
    assert (note["status"], note["text"], note["contentHash"]) == ("DRAFT", "First draft", None)
    edited = await act(client, UPDATE, token, id=note["id"], text=SECRET)
    assert edited.data["updateClinicalNoteDraft"]["note"]["text"] == SECRET

    signed = (await act(client, SIGN, token, id=note["id"])).data["signClinicalNote"]["note"]
    assert signed["status"] == "SIGNED"
    assert signed["signedById"] == str(dentist.id)
    assert signed["signedAt"] is not None
    assert signed["lockedAt"] is not None
    assert signed["contentHash"] == _sha256(SECRET, [])

    amended = await act(
        client, AMEND, token, id=note["id"], text="Also 37 distal.", reason="Missed at the time"
    )
    assert amended.errors == []
    body = amended.data["amendClinicalNote"]
    assert body["amendment"] == {
        "sequence": 1,
        "text": "Also 37 distal.",
        "reason": "Missed at the time",
    }
    again = await act(client, AMEND, token, id=note["id"], text="And 38.", reason="Second look")
    assert again.errors == []
    read = (await gql(client, ONE, {"id": note["id"]}, token=token)).data["clinicalNote"]
    assert read["text"] == SECRET  # the signed text never changes
    assert read["contentHash"] == signed["contentHash"]
    assert [(a["sequence"], a["text"]) for a in read["amendments"]] == [
        (1, "Also 37 distal."),
        (2, "And 38."),
    ]
    assert read["amendments"][0]["authorId"] == str(dentist.id)


async def test_editing_a_signed_note_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, token = await staff(Role.DENTIST, practice)
    note = (await create_note(client, token, patient.id, text=SECRET)).data["createClinicalNote"]
    note_id = note["note"]["id"]
    draft_amend = await act(client, AMEND, token, id=note_id, text="x", reason="y")
    assert draft_amend.codes == ["CONFLICT"]  # a draft is edited, not amended
    assert (await act(client, SIGN, token, id=note_id)).errors == []
    before = await ClinicalNote.get(id=note_id)
    audit_before = await AuditEvent.all().count()

    refused = await act(client, UPDATE, token, id=note_id, text="Rewritten history")

    assert refused.codes == ["CONFLICT"]
    assert refused.errors[0]["extensions"]["field"] == "id"
    assert refused.data["updateClinicalNoteDraft"] is None
    after = await ClinicalNote.get(id=note_id)
    assert (after.content, after.content_sha256, after.status, after.updated_at) == (
        before.content,
        before.content_sha256,
        before.status,
        before.updated_at,
    )
    assert await ClinicalNoteAmendment.filter(note_id=note_id).count() == 0
    changes = await AuditEvent.filter(action="UPDATE clinical_note").count()
    assert changes == 0
    assert await AuditEvent.all().count() >= audit_before  # nothing was written as a change
    resigned = await act(client, SIGN, token, id=note_id)
    assert resigned.codes == ["CONFLICT"]


async def test_a_trainee_note_counts_as_signed_only_once_co_signed(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, admin = await staff(Role.PRACTICE_ADMIN, practice)
    trainee, trainee_token = await staff(Role.HYGIENIST, practice)
    other_trainee, other_token = await staff(Role.DENTIST, practice)
    _, supervisor = await staff(Role.DENTIST, practice)
    for user in (trainee, other_trainee):
        marked = await gql(
            client,
            "mutation T($input: SetClinicalTraineeInput!) { setClinicalTrainee(input: $input) "
            "{ userId trainee } }",
            {"input": {"practiceId": str(practice.id), "userId": str(user.id), "trainee": True}},
            token=admin,
        )
        assert marked.data["setClinicalTrainee"]["trainee"] is True
    assert await Membership.filter(user_id=trainee.id, trainee=True).count() == 1

    note_id = await create_note(client, trainee_token, patient.id, text="Scale and polish")
    note_id = note_id.data["createClinicalNote"]["note"]["id"]
    signed = (await act(client, SIGN, trainee_token, id=note_id)).data["signClinicalNote"]["note"]
    assert (signed["status"], signed["requiresCosignature"]) == ("AWAITING_COSIGNATURE", True)
    assert signed["contentHash"] is not None
    edit = await act(client, UPDATE, trainee_token, id=note_id, text="changed")
    assert edit.codes == ["CONFLICT"]  # the text is locked once the trainee signs

    assert (await act(client, COSIGN, trainee_token, id=note_id)).codes == ["FORBIDDEN"]
    assert (await act(client, COSIGN, other_token, id=note_id)).codes == ["FORBIDDEN"]
    cosigned = await act(client, COSIGN, supervisor, id=note_id)
    assert cosigned.errors == []
    done = cosigned.data["coSignClinicalNote"]["note"]
    assert done["status"] == "SIGNED"
    assert done["cosignedById"] is not None
    assert done["cosignedAt"] is not None
    assert done["signedById"] == str(trainee.id)
    assert (await act(client, COSIGN, supervisor, id=note_id)).codes == ["CONFLICT"]


async def test_an_untrained_clinician_signs_without_co_signature(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, token = await staff(Role.HYGIENIST, practice)
    _, dentist = await staff(Role.DENTIST, practice)
    note_id = (await create_note(client, token, patient.id, text="Perio review")).data
    note_id = note_id["createClinicalNote"]["note"]["id"]
    # Only the author signs their own draft.
    assert (await act(client, SIGN, dentist, id=note_id)).codes == ["FORBIDDEN"]
    signed = (await act(client, SIGN, token, id=note_id)).data["signClinicalNote"]["note"]
    assert (signed["status"], signed["requiresCosignature"]) == ("SIGNED", False)
    assert (await act(client, COSIGN, dentist, id=note_id)).codes == ["CONFLICT"]


TEMPLATE = """
mutation T($input: CreateNoteTemplateInput!) {
  createNoteTemplate(input: $input) { template { id name archived fields { key label } } }
}"""
UPDATE_TEMPLATE = """
mutation U($input: UpdateNoteTemplateInput!) {
  updateNoteTemplate(input: $input) { template { id name archived fields { key label } } }
}"""
TEMPLATES = """
query L($practiceId: ID!) { noteTemplates(practiceId: $practiceId) { id name } }"""
EXAM_FIELDS = [
    {"key": "complaint", "label": "Complaint"},
    {"key": "findings", "label": "Findings"},
    {"key": "plan", "label": "Plan"},
]


async def test_a_note_written_from_a_practice_template(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, token = await staff(Role.DENTIST, practice)
    _, desk = await staff(Role.RECEPTIONIST, practice)
    made = await gql(
        client,
        TEMPLATE,
        {"input": {"practiceId": str(practice.id), "name": "Examination", "fields": EXAM_FIELDS}},
        token=token,
    )
    template = made.data["createNoteTemplate"]["template"]
    assert [f["key"] for f in template["fields"]] == ["complaint", "findings", "plan"]
    listed = await gql(client, TEMPLATES, {"practiceId": str(practice.id)}, token=token)
    assert listed.data["noteTemplates"] == [{"id": template["id"], "name": "Examination"}]
    refused = await gql(client, TEMPLATES, {"practiceId": str(practice.id)}, token=desk)
    assert refused.codes == ["FORBIDDEN"]

    values = [{"key": "complaint", "value": "Sensitive UL6"}, {"key": "plan", "value": "Review"}]
    created = await create_note(client, token, patient.id, templateId=template["id"], fields=values)
    note = created.data["createClinicalNote"]["note"]
    assert note["templateId"] == template["id"]
    assert note["fields"] == [
        {"key": "complaint", "label": "Complaint", "value": "Sensitive UL6"},
        {"key": "findings", "label": "Findings", "value": None},
        {"key": "plan", "label": "Plan", "value": "Review"},
    ]
    filled = await act(
        client, UPDATE, token, id=note["id"], fields=[{"key": "findings", "value": "Caries"}]
    )
    assert [f["value"] for f in filled.data["updateClinicalNoteDraft"]["note"]["fields"]] == [
        "Sensitive UL6",
        "Caries",
        "Review",
    ]
    unknown = await act(client, UPDATE, token, id=note["id"], fields=[{"key": "x", "value": "y"}])
    assert unknown.codes == ["BAD_USER_INPUT"]

    renamed = await gql(
        client,
        UPDATE_TEMPLATE,
        {"input": {"id": template["id"], "fields": [{"key": "complaint", "label": "C/O"}]}},
        token=token,
    )
    assert renamed.errors == []
    kept = (await gql(client, ONE, {"id": note["id"]}, token=token)).data["clinicalNote"]
    assert [f["label"] for f in kept["fields"]] == ["Complaint", "Findings", "Plan"]
    archived = await gql(
        client, UPDATE_TEMPLATE, {"input": {"id": template["id"], "archived": True}}, token=token
    )
    assert archived.data["updateNoteTemplate"]["template"]["archived"] is True
    gone = await create_note(client, token, patient.id, templateId=template["id"])
    assert gone.codes == ["NOT_FOUND"]


async def test_who_may_read_and_write_notes(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, dentist = await staff(Role.DENTIST, practice)
    _, hygienist = await staff(Role.HYGIENIST, practice)
    _, desk = await staff(Role.RECEPTIONIST, practice)
    elsewhere = await factories.practice()
    _, outsider = await staff(Role.DENTIST, elsewhere)
    portal = await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    portal_token = factories.access_token(portal)
    signed_id = (await create_note(client, dentist, patient.id, text=SECRET)).data
    signed_id = signed_id["createClinicalNote"]["note"]["id"]
    await act(client, SIGN, dentist, id=signed_id)
    draft = await create_note(client, dentist, patient.id, text="Draft secretdraft")
    draft_id = draft.data["createClinicalNote"]["note"]["id"]

    for token in (dentist, hygienist):
        read = await gql(client, ONE, {"id": signed_id}, token=token)
        assert read.errors == []
        assert read.data["clinicalNote"]["text"] == SECRET

    as_desk = await gql(client, LIST, {"patientId": str(patient.id)}, token=desk)
    nodes = [e["node"] for e in as_desk.data["clinicalNotes"]["edges"]]
    assert [n["id"] for n in nodes] == [draft_id, signed_id]  # newest first; metadata shown
    assert all(n["text"] is None and n["amendments"] is None for n in nodes)
    assert set(as_desk.codes) == {"FORBIDDEN"}
    denied_paths = {tuple(e["path"][-1:]) for e in as_desk.errors}
    assert denied_paths == {("text",), ("amendments",)}
    assert SECRET not in json.dumps(as_desk.body)
    one = await gql(client, ONE, {"id": signed_id}, token=desk)
    assert one.data["clinicalNote"]["text"] is None
    assert SECRET not in json.dumps(one.body)
    write = await create_note(client, desk, patient.id, text="x")
    assert write.codes == ["FORBIDDEN"]

    # Another tenant's note and patient answer exactly like random ids.
    foreign = await gql(client, ONE, {"id": signed_id}, token=outsider)
    random = await gql(client, ONE, {"id": "00000000-0000-4000-8000-0000000000aa"}, token=outsider)
    assert foreign.codes == ["NOT_FOUND"]
    assert (foreign.data, foreign.errors[0]["message"]) == (
        random.data,
        random.errors[0]["message"],
    )
    listed = await gql(client, LIST, {"patientId": str(patient.id)}, token=outsider)
    assert listed.codes == ["NOT_FOUND"]
    for document in (AMEND, SIGN, UPDATE):
        extra = {"text": "t", "reason": "r"} if document is AMEND else {}
        attempt = await act(client, document, outsider, id=signed_id, **extra)
        assert attempt.codes == ["NOT_FOUND"], document

    # The patient reads their own signed note, never the draft.
    mine = await gql(client, LIST, {"patientId": str(patient.id)}, token=portal_token)
    assert [e["node"]["id"] for e in mine.data["clinicalNotes"]["edges"]] == [signed_id]
    assert (await gql(client, ONE, {"id": draft_id}, token=portal_token)).codes == ["NOT_FOUND"]


async def test_note_reads_are_audited_with_their_ids_and_in_the_access_log(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, dentist = await staff(Role.DENTIST, practice)
    _, admin = await staff(Role.PRACTICE_ADMIN, practice)
    note_id = (await create_note(client, dentist, patient.id, text=SECRET)).data
    note_id = note_id["createClinicalNote"]["note"]["id"]

    await gql(client, ONE, {"id": note_id}, token=dentist)
    await gql(client, LIST, {"patientId": str(patient.id)}, token=dentist)

    reads = await AuditEvent.filter(entity_type="ClinicalNote", action__startswith="READ")
    assert [r.entity_id for r in reads] == [note_id, note_id]
    assert all(str(r.patient_id) == str(patient.id) for r in reads)
    assert "text" in reads[0].fields_read
    log = await gql(
        client,
        "query L($id: ID!) { patient(id: $id) { accessLog(first: 50) "
        "{ edges { node { action entityType entityId } } } } }",
        {"id": str(patient.id)},
        token=admin,
    )
    entries = [e["node"] for e in log.data["patient"]["accessLog"]["edges"]]
    shown = [e for e in entries if e["entityType"] == "ClinicalNote"]
    assert {"READ query One", "READ query Notes", "CREATE clinical_note"} <= {
        e["action"] for e in shown
    }
    assert {e["entityId"] for e in shown} == {note_id}


async def test_note_text_never_leaves_in_events_or_the_board(client: httpx.AsyncClient) -> None:
    from tests.scheduling_fixtures import seed_matrix_appointment

    practice = await factories.practice()
    patient = await factories.patient(practice)
    await seed_matrix_appointment(practice, patient)
    from db.models import Appointment

    appointment = await Appointment.get(patient_id=patient.id)
    _, dentist = await staff(Role.DENTIST, practice)
    _, desk = await staff(Role.RECEPTIONIST, practice)
    note = await create_note(
        client, dentist, patient.id, text=SECRET, appointmentId=str(appointment.id)
    )
    note_id = note.data["createClinicalNote"]["note"]["id"]
    assert note.data["createClinicalNote"]["note"]["appointmentId"] == str(appointment.id)
    await act(client, SIGN, dentist, id=note_id)
    await act(client, AMEND, dentist, id=note_id, text="Secretamendment", reason="Secretreason")

    events = await DomainEvent.filter(entity_id=note_id)
    assert {e.type for e in events} == {
        "CLINICAL_NOTE_CREATED",
        "CLINICAL_NOTE_SIGNED",
        "CLINICAL_NOTE_AMENDED",
    }
    dumped = json.dumps([e.payload for e in events])
    for secret in ("Secretcaries", "Secretamendment", "Secretreason"):
        assert secret not in dumped
    board = await gql(
        client,
        'query B($p: ID!) { schedule(practiceId: $p, from: "2030-01-15T00:00:00Z", '
        'to: "2030-01-16T00:00:00Z") { appointments { id patient { lastName } } } }',
        {"p": str(practice.id)},
        token=desk,
    )
    assert board.data["schedule"]["appointments"][0]["id"] == str(appointment.id)
    assert "Secretcaries" not in json.dumps(board.body)


async def test_an_appointment_of_another_patient_or_practice_is_not_found(
    client: httpx.AsyncClient,
) -> None:
    from tests.scheduling_fixtures import seed_matrix_appointment

    practice = await factories.practice()
    patient = await factories.patient(practice)
    other = await factories.patient(practice)
    await seed_matrix_appointment(practice, other)
    from db.models import Appointment

    theirs = await Appointment.get(patient_id=other.id)
    _, dentist = await staff(Role.DENTIST, practice)
    refused = await create_note(client, dentist, patient.id, text="x", appointmentId=str(theirs.id))
    assert refused.codes == ["NOT_FOUND"]
    assert await ClinicalNote.all().count() == 0


async def test_a_patient_never_reads_another_patients_note(client: httpx.AsyncClient) -> None:
    """Same practice, visible to staff, not to another patient: like a random id."""
    practice = await factories.practice()
    patient = await factories.patient(practice)
    other = await factories.patient(practice)
    _, dentist = await staff(Role.DENTIST, practice)
    portal = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=other.id)
    )
    note_id = (await create_note(client, dentist, patient.id, text=SECRET)).data
    note_id = note_id["createClinicalNote"]["note"]["id"]
    await act(client, SIGN, dentist, id=note_id)

    theirs = await gql(client, ONE, {"id": note_id}, token=portal)
    random = await gql(client, ONE, {"id": "00000000-0000-4000-8000-0000000000ab"}, token=portal)
    assert theirs.codes == ["NOT_FOUND"]
    assert theirs.data == random.data
    assert theirs.errors[0]["message"] == random.errors[0]["message"]
    assert SECRET not in json.dumps(theirs.body)


async def test_merging_a_duplicate_moves_its_notes_and_amendments(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    survivor = await factories.patient(practice)
    duplicate = await factories.patient(practice)
    _, dentist = await staff(Role.DENTIST, practice)
    note_id = (await create_note(client, dentist, duplicate.id, text=SECRET)).data
    note_id = note_id["createClinicalNote"]["note"]["id"]
    await act(client, SIGN, dentist, id=note_id)
    await act(client, AMEND, dentist, id=note_id, text="Added later", reason="Review")

    merged = await gql(
        client,
        "mutation M($input: MergePatientsInput!) { mergePatients(input: $input) { moved } }",
        {"input": {"survivorId": str(survivor.id), "duplicateId": str(duplicate.id)}},
        token=dentist,
    )

    assert "clinicalNotes" in merged.data["mergePatients"]["moved"]
    listed = await gql(client, LIST, {"patientId": str(survivor.id)}, token=dentist)
    nodes = [e["node"] for e in listed.data["clinicalNotes"]["edges"]]
    assert [(n["id"], n["text"]) for n in nodes] == [(note_id, SECRET)]
    assert nodes[0]["amendments"] == [{"text": "Added later"}]
    assert await ClinicalNoteAmendment.filter(patient_id=duplicate.id).count() == 0


async def test_the_patients_export_holds_their_notes_decrypted(client: httpx.AsyncClient) -> None:
    from jsonschema import Draft202012Validator

    from services.consent import export_format

    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, dentist = await staff(Role.DENTIST, practice)
    _, admin = await staff(Role.PRACTICE_ADMIN, practice)
    note_id = (await create_note(client, dentist, patient.id, text=SECRET)).data
    note_id = note_id["createClinicalNote"]["note"]["id"]
    await act(client, SIGN, dentist, id=note_id)
    await act(client, AMEND, dentist, id=note_id, text="Added later", reason="Review")

    exported = await gql(
        client,
        "mutation E($id: ID!) { exportPatientData(patientId: $id) { document summary } }",
        {"id": str(patient.id)},
        token=admin,
    )

    assert exported.errors == []
    doc = exported.data["exportPatientData"]["document"]
    notes = doc["records"]["clinical_note"]
    assert [(n["id"], n["content"]["text"], n["status"]) for n in notes] == [
        (note_id, SECRET, "SIGNED")
    ]
    amendment = doc["records"]["clinical_note_amendment"][0]["content"]
    assert amendment == {"text": "Added later", "reason": "Review"}
    full = {**doc, "summary": exported.data["exportPatientData"]["summary"]}
    validator = Draft202012Validator(
        export_format.json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(full)] == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_page_of_notes_costs_the_same_statements_for_2_or_12_notes(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, dentist = await staff(Role.DENTIST, practice)
    for n in range(12):
        note_id = (await create_note(client, dentist, patient.id, text=f"Note {n}")).data
        note_id = note_id["createClinicalNote"]["note"]["id"]
        await act(client, SIGN, dentist, id=note_id)
        await act(client, AMEND, dentist, id=note_id, text="More", reason="Later")
    variables = {"patientId": str(patient.id), "first": 1}
    await gql(client, LIST, variables, token=dentist)  # warm caches
    counts = {}
    for first in (2, 12):
        with count_statements(monkeypatch) as statements:
            page = await gql(client, LIST, {**variables, "first": first}, token=dentist)
        assert page.errors == []
        assert len(page.data["clinicalNotes"]["edges"]) == first
        counts[first] = statements
    assert len(counts[2]) == len(counts[12]), (counts[2], counts[12])
    # Amendments of the page: one statement, whatever the number of notes.
    assert len(counts[12].matching('FROM "clinical_note_amendment"')) == 1
    # Every note read is audited in the one batch insert.
    assert len(counts[12].matching('INSERT INTO "audit_event"')) == 1


async def test_notes_page_newest_first_without_gaps_or_repeats(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, dentist = await staff(Role.DENTIST, practice)
    made = []
    for n in range(7):
        note = await create_note(client, dentist, patient.id, text=f"Note {n}")
        made.append(note.data["createClinicalNote"]["note"]["id"])
    seen: list[str] = []
    after = None
    while True:
        page = await gql(
            client,
            LIST,
            {"patientId": str(patient.id), "first": 3, "after": after},
            token=dentist,
        )
        connection = page.data["clinicalNotes"]
        seen += [e["node"]["id"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == list(reversed(made))
    bad = await gql(client, LIST, {"patientId": str(patient.id), "after": "bm9wZQ"}, token=dentist)
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_only_staff_admins_mark_trainees_and_only_staff_of_the_practice(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, admin = await staff(Role.PRACTICE_ADMIN, practice)
    hygienist, hygienist_token = await staff(Role.HYGIENIST, practice)
    portal = await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    outsider, _ = await staff(Role.DENTIST, await factories.practice())
    mark = (
        "mutation T($input: SetClinicalTraineeInput!) { setClinicalTrainee(input: $input) "
        "{ trainee } }"
    )

    def given(user_id: object) -> dict[str, object]:
        return {"input": {"practiceId": str(practice.id), "userId": str(user_id), "trainee": True}}

    refused = await gql(client, mark, given(hygienist.id), token=hygienist_token)
    assert refused.codes == ["NOT_FOUND"]  # no staff:admin
    assert (await gql(client, mark, given(portal.id), token=admin)).codes == ["NOT_FOUND"]
    assert (await gql(client, mark, given(outsider.id), token=admin)).codes == ["NOT_FOUND"]
    assert await Membership.filter(trainee=True).count() == 0
    assert (await gql(client, mark, given(hygienist.id), token=admin)).errors == []
    assert await Membership.filter(trainee=True).count() == 1


async def test_an_edit_racing_the_signature_never_leaves_a_hash_of_other_text(
    client: httpx.AsyncClient,
) -> None:
    """Either the edit lands first and is what was signed, or it is refused: the stored hash
    always matches the stored text."""
    import asyncio

    from services.clinical import notes as service

    practice = await factories.practice()
    patient = await factories.patient(practice)
    _, token = await staff(Role.DENTIST, practice)
    outcomes = set()
    for n in range(6):
        note_id = (await create_note(client, token, patient.id, text=f"Before {n}")).data
        note_id = note_id["createClinicalNote"]["note"]["id"]
        edit, sign = await asyncio.gather(
            act(client, UPDATE, token, id=note_id, text=f"After {n}"),
            act(client, SIGN, token, id=note_id),
        )
        assert sign.errors == []
        outcomes.add(tuple(edit.codes))
        stored = await ClinicalNote.get(id=note_id)
        assert stored.status == "SIGNED"
        assert stored.content_sha256 == service.content_hash(service.content_of(stored).as_dict())
        expected = f"After {n}" if edit.errors == [] else f"Before {n}"
        assert service.content_of(stored).text == expected
    assert outcomes <= {(), ("CONFLICT",)}

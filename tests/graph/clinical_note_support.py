"""Documents and builders shared by the clinical note tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import GraphQLResult, gql

NOTE_FIELDS = """
  id patientId appointmentId templateId status authorId signedById signedAt
  requiresCosignature cosignedById cosignedAt lockedAt createdAt updatedAt
  text contentHash fields { key label value }
  amendments { sequence authorId text reason contentHash }
"""
CREATE = (
    "mutation C($input: CreateClinicalNoteInput!) { createClinicalNote(input: $input) "
    "{ note { " + NOTE_FIELDS + " } } }"
)
UPDATE = (
    "mutation U($input: UpdateClinicalNoteDraftInput!) { updateClinicalNoteDraft(input: $input) "
    "{ note { " + NOTE_FIELDS + " } } }"
)
SIGN = (
    "mutation S($input: ClinicalNoteIdInput!) { signClinicalNote(input: $input) "
    "{ note { " + NOTE_FIELDS + " } } }"
)
COSIGN = (
    "mutation K($input: ClinicalNoteIdInput!) { coSignClinicalNote(input: $input) "
    "{ note { " + NOTE_FIELDS + " } } }"
)
AMEND = (
    "mutation A($input: AmendClinicalNoteInput!) { amendClinicalNote(input: $input) "
    "{ note { " + NOTE_FIELDS + " } amendment { sequence text reason } } }"
)
ONE = "query One($id: ID!) { clinicalNote(id: $id) { " + NOTE_FIELDS + " } }"
LIST = """
query Notes($patientId: ID!, $first: Int, $after: String) {
  clinicalNotes(patientId: $patientId, first: $first, after: $after) {
    edges { cursor node { id status authorId text amendments { text } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def create_note(
    client: httpx.AsyncClient, token: str, patient_id: object, **values: Any
) -> GraphQLResult:
    return await gql(
        client, CREATE, {"input": {"patientId": str(patient_id), **values}}, token=token
    )


async def act(client: httpx.AsyncClient, document: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, document, {"input": values}, token=token)


MATRIX_NOTE_ID = "00000000-0000-4000-8000-00000000000e"


async def seed_matrix_note(practice: Any, patient: Any) -> None:
    """For the permission matrix: one signed note (patients see signed notes only)."""
    from datetime import UTC, datetime
    from uuid import UUID, uuid4

    from db.models import ClinicalNote
    from services.clinical.notes import NoteContent, content_hash
    from services.patients import sealing

    content = NoteContent(text="Matrix note.").as_dict()
    note = ClinicalNote(
        id=UUID(MATRIX_NOTE_ID),
        practice_id=practice.id,
        patient_id=patient.id,
        status="SIGNED",
        author_user_id=uuid4(),
        signed_at=datetime.now(UTC),
        content_sha256=content_hash(content),
    )
    note.content = sealing.seal_json(note, "content", content) or ""
    await note.save()

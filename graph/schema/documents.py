"""Patient documents and images as GraphQL sees them: facts and links, never the bytes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from db.models import Document as DocumentModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.permissions.fields import requires
from services.documents import library
from services.policy import Scope


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


DocumentKind = strawberry.enum(library.DocumentKind, description="What a document is.")
DocumentVariant = strawberry.enum(
    library.Variant,
    name="DocumentVariant",
    description="Which rendition of a document a link opens.",
)


@strawberry.type(
    description="A file in a patient's record (X-ray, photo, letter, signature). The bytes are "
    "uploaded to and opened from `/documents` (see `createDocumentLink`)."
)
class PatientDocument:
    id: strawberry.ID
    appointment_id: strawberry.ID | None = strawberry.field(
        description="The visit it was taken at, if any."
    )
    kind: DocumentKind = strawberry.field(description="What the document is.")  # type: ignore[valid-type]
    title: str | None = strawberry.field(
        description="Title given at upload.", extensions=requires(Scope.CLINICAL_READ)
    )
    filename: str | None = strawberry.field(
        description="The uploaded file's name.", extensions=requires(Scope.CLINICAL_READ)
    )
    content_type: str = strawberry.field(description="Media type proven from the bytes.")
    size_bytes: int = strawberry.field(description="Size of the original file in bytes.")
    width: int | None = strawberry.field(description="Image width in pixels; null otherwise.")
    height: int | None = strawberry.field(description="Image height in pixels; null otherwise.")
    has_thumbnail: bool = strawberry.field(description="A thumbnail can be opened.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded.")
    uploaded_by_id: strawberry.ID | None = strawberry.field(description="User who uploaded it.")
    # UUIDs, as the field permission check compares them with the principal's own records.
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]

    @strawberry.field(name="patientId", description="The patient it belongs to.")
    def patient_reference(self) -> strawberry.ID:
        return strawberry.ID(str(self.patient_id))

    def read_record(self) -> ReadRecord:
        """Listing a document discloses its title and file name (``AuditReads``)."""
        return ReadRecord("Document", self.id, self.patient_id, self.practice_id)

    @classmethod
    def from_model(cls, row: DocumentModel) -> PatientDocument:
        return cls(
            id=strawberry.ID(str(row.id)),
            patient_id=UUID(str(row.patient_id)),
            appointment_id=_id(row.appointment_id),
            kind=library.DocumentKind(row.kind),
            title=library.title_of(row),
            filename=library.filename_of(row),
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            width=row.width,
            height=row.height,
            has_thumbnail=row.thumbnail_key is not None,
            uploaded_at=row.created_at,
            uploaded_by_id=_id(row.uploaded_by_user_id),
            practice_id=UUID(str(row.practice_id)),
        )


@strawberry.input(description="A short-lived link that opens one document without a header.")
class CreateDocumentLinkInput(IdFields):
    document_id: strawberry.ID = strawberry.field(description="The document.")
    variant: DocumentVariant = strawberry.field(  # type: ignore[valid-type]
        default=library.Variant.ORIGINAL, description="The original or its thumbnail."
    )


@strawberry.type(description="A signed link; every use is authorised again and audited.")
class CreateDocumentLinkPayload:
    url: str = strawberry.field(description="Absolute URL that opens the document until expiry.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")

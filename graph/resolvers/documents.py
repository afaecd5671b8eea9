"""Listing a patient's documents and minting links to open them (the bytes move over HTTP)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from db.models import Document as DocumentModel
from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.documents import (
    CreateDocumentLinkInput,
    CreateDocumentLinkPayload,
    PatientDocument,
)
from graph.schema.pagination import Connection, after_key, page_size
from services.documents import library, links
from services.policy import Scope


def _cursor(row: DocumentModel) -> list[object]:
    return [row.created_at.isoformat(), str(row.id)]


@strawberry.type
class DocumentQueries:
    @strawberry.field(
        description="A patient's documents and images, newest first.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads(["title", "filename"])],
    )
    async def patient_documents(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PatientDocument] | None:
        size = page_size(first)
        rows, has_next = await library.for_patient(
            info.context.principal,
            id_argument(patient_id=patient_id),
            first=size,
            after=after_key(after, datetime, UUID),
        )
        return Connection.build(rows, PatientDocument.from_model, _cursor, has_next=has_next)


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(
        description="A link that opens one document for a few minutes (for `<img src>`); "
        "authorised again and audited on every use.",
        extensions=requires(Scope.CLINICAL_READ),
    )
    async def create_document_link(
        self, info: Info, input: CreateDocumentLinkInput
    ) -> CreateDocumentLinkPayload | None:
        principal = info.context.principal
        document_id = input.ids.document_id
        document = await library.readable_document(principal, document_id)
        variant = library.Variant(input.variant)
        token, expires = await links.mint(
            principal, document.id, variant.value, info.context.settings.document_link_seconds
        )
        base = info.context.settings.public_url or str(info.context.request.base_url)
        suffix = "/thumbnail" if variant is library.Variant.THUMBNAIL else ""
        url = f"{base.rstrip('/')}/documents/{document.id}{suffix}?link={token}"
        return CreateDocumentLinkPayload(url=url, expires_at=expires)

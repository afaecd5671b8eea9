"""Trusted documents of partner apps: register, list, remove (organisation admins,
``partner:admin``, as every other change to a partner app)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.trusted_documents import (
    RegisterTrustedDocumentsInput,
    RegisterTrustedDocumentsPayload,
    RemoveTrustedDocumentsInput,
    RemoveTrustedDocumentsPayload,
    TrustedDocument,
)
from graph.trusted_documents import schema_check
from services.policy import Scope
from services.trusted_documents import registry

ADMIN = requires(Scope.PARTNER_ADMIN)


@strawberry.type
class TrustedDocumentQueries:
    @strawberry.field(
        description="A partner app's trusted documents, oldest first.", extensions=ADMIN
    )
    async def trusted_documents(
        self,
        info: Info,
        client_id: Annotated[str, strawberry.argument(description="The app's OAuth client id.")],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TrustedDocument] | None:
        size = page_size(first)
        rows = await registry.listed(
            info.context.principal,
            client_id=client_id,
            after=after_key(after, datetime, UUID),
            limit=size + 1,
        )
        return Connection[TrustedDocument].build(
            rows[:size],
            TrustedDocument.from_model,
            lambda d: [d.created_at.isoformat(), str(d.id)],
            has_next=len(rows) > size,
        )


@strawberry.type
class TrustedDocumentMutations:
    @strawberry.mutation(
        description="Register GraphQL documents for a partner app; it runs them by "
        "`documentId` (the only way, once it is set to trusted documents only).",
        extensions=ADMIN,
    )
    async def register_trusted_documents(
        self, info: Info, input: RegisterTrustedDocumentsInput
    ) -> RegisterTrustedDocumentsPayload | None:
        ids = await registry.register(
            info.context.principal,
            client_id=input.client_id,
            documents=input.documents,
            check=schema_check(info.schema),
        )
        return RegisterTrustedDocumentsPayload(document_ids=ids)

    @strawberry.mutation(
        description="Remove trusted documents of a partner app: they stop running at once.",
        extensions=ADMIN,
    )
    async def remove_trusted_documents(
        self, info: Info, input: RemoveTrustedDocumentsInput
    ) -> RemoveTrustedDocumentsPayload | None:
        gone = await registry.remove(
            info.context.principal, client_id=input.client_id, document_ids=input.document_ids
        )
        return RemoveTrustedDocumentsPayload(removed_document_ids=gone)

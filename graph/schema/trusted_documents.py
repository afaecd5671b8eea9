"""Trusted documents (persisted operations) as organisation admins manage them for a partner
app: the documents themselves are the app's queries, never patient data."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db.models import TrustedDocument as TrustedDocumentRow


@strawberry.type(
    description="A GraphQL document registered for a partner app: sent as `documentId`, it runs "
    "this exact text."
)
class TrustedDocument:
    document_id: str = strawberry.field(
        description="The id to send: `sha256:` and the hex SHA-256 of the exact text."
    )
    document: str = strawberry.field(description="The document's text.")
    registered_at: datetime = strawberry.field(description="When it was registered.")
    registered_by_user_id: strawberry.ID | None = strawberry.field(
        description="Who registered it (null: the operator, from the command line)."
    )

    @classmethod
    def from_model(cls, row: TrustedDocumentRow) -> TrustedDocument:
        who = row.registered_by_user_id
        return cls(
            document_id=row.document_id,
            document=row.body,
            registered_at=row.created_at,
            registered_by_user_id=None if who is None else strawberry.ID(str(who)),
        )


@strawberry.input(description="Register GraphQL documents for a partner app.")
class RegisterTrustedDocumentsInput:
    client_id: str = strawberry.field(description="The app's OAuth client id.")
    documents: list[str] = strawberry.field(
        description="1 to 100 documents, each checked against the schema; one invalid document "
        "refuses them all (BAD_USER_INPUT) and none is stored."
    )


@strawberry.type(description="The ids of the documents registered.")
class RegisterTrustedDocumentsPayload:
    document_ids: list[str] = strawberry.field(
        description="Each document's id, in the order given (also for one already registered)."
    )


@strawberry.input(description="Remove trusted documents of a partner app.")
class RemoveTrustedDocumentsInput:
    client_id: str = strawberry.field(description="The app's OAuth client id.")
    document_ids: list[str] = strawberry.field(
        description="1 to 100 document ids; ids the app does not have are ignored."
    )


@strawberry.type(description="The ids removed.")
class RemoveTrustedDocumentsPayload:
    removed_document_ids: list[str] = strawberry.field(
        description="The document ids removed (they stop running at once)."
    )

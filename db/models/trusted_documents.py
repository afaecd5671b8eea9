"""GraphQL documents registered in advance (trusted documents, persisted operations).

A partner app set to "trusted documents only" may run nothing else, and the practice's own
apps may be held to the same rule (``AESCRM_TRUSTED_DOCUMENTS_FIRST_PARTY``). A document is
named by ``sha256:`` + the hex SHA-256 of its exact text (the GraphQL-over-HTTP persisted
documents convention); each belongs to one owner: a partner client's id, or
:data:`FIRST_PARTY_OWNER` for the first-party set, so one client never runs another's.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Organization

FIRST_PARTY_OWNER = "first-party"
"""The owner of the first-party set (never a partner client id, which all start with ``pc_``)."""


class TrustedDocument(Entity):
    # The client's organisation; null for the first-party set.
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization",
        related_name="trusted_documents",
        on_delete=fields.CASCADE,
        null=True,
    )
    organization_id: str | None
    owner = fields.CharField(max_length=64)  # a partner client id, or FIRST_PARTY_OWNER
    document_id = fields.CharField(max_length=71)  # "sha256:" + 64 hex digits
    body = fields.TextField()
    registered_by_user_id = fields.UUIDField(null=True)  # null: the operator (CLI)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "owner": "a public OAuth client id or the first-party marker",
        "document_id": "a hash of the document text",
        "body": "a GraphQL document written by the app's developers; carries no patient data "
        "(values travel in variables, never stored)",
    }

    class Meta:
        table = "trusted_document"
        unique_together = (("owner", "document_id"),)

"""Registering, listing and removing trusted documents.

Who: an organisation admin (``partner:admin``) for the organisation's partner apps, as for
every other change to a partner app (``services.auth.client_admin``), and the operator's CLI
(``aescrm documents register``) for any app and for the first-party set. A client of another
organisation, a deleted one and a random id are the same NOT_FOUND.

Every document is checked against the schema first (``check``, given by the GraphQL layer,
which owns the schema); one bad document refuses the whole call and nothing is stored.
Registering a document already there is a no-op that still answers its id. Each call that
changes something writes one audit row naming the document ids, in its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.models import FIRST_PARTY_OWNER, PartnerClient, TrustedDocument
from db.queries import partner_clients
from db.queries import trusted_documents as rows
from db.uow import UnitOfWork, unit_of_work
from services import audit, organization_admin
from services.auth import client_admin
from services.auth.users import OPERATOR
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.trusted_documents import lookup
from services.trusted_documents.ids import document_id_of

MAX_DOCUMENTS_PER_CALL = 100
MAX_DOCUMENT_CHARS = 100_000

Check = Callable[[str], str | None]
"""A document's first problem against the schema (a message for a person), or None."""


@dataclass(frozen=True, slots=True)
class Owner:
    key: str  # a partner client id, or FIRST_PARTY_OWNER
    organization_id: UUID | None


def checked(documents: Sequence[str], check: Check) -> dict[str, str]:
    """id -> text, in the order given (duplicates once); ``BAD_USER_INPUT`` on the first bad one."""
    if not documents or len(documents) > MAX_DOCUMENTS_PER_CALL:
        raise ValidationFailed(f"Give 1 to {MAX_DOCUMENTS_PER_CALL} documents.", field="documents")
    found: dict[str, str] = {}
    for number, text in enumerate(documents, start=1):
        if not text.strip() or len(text) > MAX_DOCUMENT_CHARS:
            raise ValidationFailed(
                f"Document {number} is empty or longer than {MAX_DOCUMENT_CHARS} characters.",
                field="documents",
            )
        problem = check(text)
        if problem is not None:
            raise ValidationFailed(f"Document {number} is not valid: {problem}", field="documents")
        found.setdefault(document_id_of(text), text)
    return found


async def _store(
    uow: UnitOfWork, principal: Principal, owner: Owner, documents: dict[str, str]
) -> list[str]:
    have = await rows.present(owner.key, documents.keys(), uow.connection)
    new = [doc_id for doc_id in documents if doc_id not in have]
    await rows.insert_many(
        [
            TrustedDocument(
                organization_id=owner.organization_id,
                owner=owner.key,
                document_id=doc_id,
                body=documents[doc_id],
                registered_by_user_id=principal.user_id,
            )
            for doc_id in new
        ],
        uow.connection,
    )
    if new:
        _audit(uow, principal, "TRUSTED_DOCUMENTS_REGISTERED", owner, new)
    return list(documents)


def _audit(
    uow: UnitOfWork, principal: Principal, action: str, owner: Owner, document_ids: list[str]
) -> None:
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            organization_id=owner.organization_id,
            entity_type="PartnerClient" if owner.key != FIRST_PARTY_OWNER else "TrustedDocuments",
            entity_id=owner.key,
            fields=document_ids,
        )
    )


def _owner(row: PartnerClient) -> Owner:
    return Owner(row.client_id, UUID(str(row.organization_id)))


async def register(
    principal: Principal, *, client_id: str, documents: Sequence[str], check: Check
) -> list[str]:
    """An organisation admin registers documents for one of the organisation's apps."""
    wanted = checked(documents, check)
    async with unit_of_work() as uow:
        row = await client_admin.owned(principal, client_id, uow)
        return await _store(uow, principal, _owner(row), wanted)


async def register_as_operator(
    *, client_id: str | None, documents: Sequence[str], check: Check
) -> list[str]:
    """The CLI: for any organisation's app, or (``client_id`` None) the first-party set."""
    wanted = checked(documents, check)
    async with unit_of_work() as uow:
        owner, _row = await _operator_owner(client_id, uow)
        return await _store(uow, OPERATOR, owner, wanted)


async def _operator_owner(
    client_id: str | None, uow: UnitOfWork
) -> tuple[Owner, PartnerClient | None]:
    if client_id is None:
        return Owner(FIRST_PARTY_OWNER, None), None
    row = await partner_clients.not_deleted(client_id, uow.connection)
    if row is None:
        raise NotFound("PartnerClient")
    return _owner(row), row


async def listed(
    principal: Principal,
    *,
    client_id: str,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[TrustedDocument]:
    """The app's documents, oldest first (``limit`` rows after ``after``)."""
    for oid in organization_admin.organizations_with(principal, Scope.PARTNER_ADMIN):
        row = await partner_clients.of_organization_by_id(oid, client_id)
        if row is not None:
            return await rows.page(row.client_id, after=after, limit=limit)
    raise NotFound("PartnerClient")


def _removable(document_ids: Sequence[str]) -> set[str]:
    if not document_ids or len(document_ids) > MAX_DOCUMENTS_PER_CALL:
        raise ValidationFailed(
            f"Give 1 to {MAX_DOCUMENTS_PER_CALL} document ids.", field="documentIds"
        )
    return set(document_ids)


async def _drop(
    uow: UnitOfWork,
    principal: Principal,
    owner: Owner,
    row: PartnerClient | None,
    document_ids: set[str],
) -> list[str]:
    """Removes those present; a partner app's documents version moves on, so no server runs
    them again (each re-reads the client row on every request)."""
    gone = sorted(await rows.present(owner.key, document_ids, uow.connection))
    if gone:
        await rows.delete(owner.key, gone, uow.connection)
        if row is not None:
            row.documents_version += 1
            await partner_clients.save(row, uow.connection, ["documents_version"])
        _audit(uow, principal, "TRUSTED_DOCUMENTS_REMOVED", owner, gone)
    return gone


async def remove(principal: Principal, *, client_id: str, document_ids: Sequence[str]) -> list[str]:
    """Removes the named documents of the app (ids it does not have are ignored) and answers
    those removed."""
    wanted = _removable(document_ids)
    async with unit_of_work() as uow:
        row = await client_admin.owned(principal, client_id, uow)
        owner = _owner(row)
        gone = await _drop(uow, principal, owner, row, wanted)
    lookup.forget(owner.key)
    return gone


async def remove_as_operator(*, client_id: str | None, document_ids: Sequence[str]) -> list[str]:
    """The CLI: any organisation's app, or (``client_id`` None) the first-party set (whose
    cached copies on running servers expire within ``lookup.FIRST_PARTY_TTL_SECONDS``)."""
    wanted = _removable(document_ids)
    async with unit_of_work() as uow:
        owner, row = await _operator_owner(client_id, uow)
        gone = await _drop(uow, OPERATOR, owner, row, wanted)
    lookup.forget(owner.key)
    return gone


__all__ = [
    "MAX_DOCUMENTS_PER_CALL",
    "MAX_DOCUMENT_CHARS",
    "Check",
    "checked",
    "listed",
    "register",
    "register_as_operator",
    "remove",
    "remove_as_operator",
]

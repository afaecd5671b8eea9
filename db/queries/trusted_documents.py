"""Trusted documents, read and written by owner (a partner client id or the first-party set).

The owner is the key: a caller names only owners it was given (its own client, or a client of
its organisation checked by ``services.auth.client_admin``), so another owner's document id is
simply not found.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import TrustedDocument


async def body_of(owner: str, document_id: str) -> str | None:
    """The document's text, or None: one indexed read (the unique (owner, document_id))."""
    found = (
        await TrustedDocument.filter(owner=owner, document_id=document_id)
        .limit(1)
        .values_list("body", flat=True)
    )
    return str(found[0]) if found else None


async def page(
    owner: str, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[TrustedDocument]:
    """Oldest first, keyed by (created_at, id)."""
    query = TrustedDocument.filter(owner=owner)
    if after is not None:
        at, row_id = after
        query = query.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=row_id))
    return await query.order_by("created_at", "id").limit(limit)


async def present(
    owner: str, document_ids: Collection[str], connection: BaseDBAsyncClient
) -> set[str]:
    found = (
        await TrustedDocument.filter(owner=owner, document_id__in=list(document_ids))
        .using_db(connection)
        .values_list("document_id", flat=True)
    )
    return {str(d) for d in found}


async def insert_many(rows: Sequence[TrustedDocument], connection: BaseDBAsyncClient) -> None:
    for row in rows:
        await row.save(using_db=connection, force_create=True)


async def delete(owner: str, document_ids: Collection[str], connection: BaseDBAsyncClient) -> int:
    return await (
        TrustedDocument.filter(owner=owner, document_id__in=list(document_ids))
        .using_db(connection)
        .delete()
    )

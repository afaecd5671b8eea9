"""Documents of the caller's practices; every query takes the tenant ids first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import Document
from db.tenancy import PracticeId


async def document(practices: Collection[PracticeId], document_id: UUID) -> Document | None:
    """A live (not erased) document in one of ``practices``; another tenant's looks absent."""
    if not practices:
        return None
    return await Document.get_or_none(
        id=document_id, practice_id__in=list(practices), erased_at__isnull=True
    )


async def for_patient(
    practices: Collection[PracticeId],
    patient_id: UUID,
    *,
    first: int,
    after: tuple[datetime, UUID] | None = None,
) -> list[Document]:
    """Newest first, keyset-paged on (created_at, id); ``first + 1`` rows tell if more follow."""
    if not practices:
        return []
    query = Document.filter(
        practice_id__in=list(practices), patient_id=patient_id, erased_at__isnull=True
    )
    if after is not None:
        at, last_id = after
        query = query.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id))
    return await query.order_by("-created_at", "-id").limit(first + 1)


async def blob_keys(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> list[str]:
    """Every stored blob of a patient's documents (originals and thumbnails), erased or not."""
    rows = await (
        Document.filter(practice_id=practice_id, patient_id=patient_id)
        .using_db(connection)
        .values_list("blob_key", "thumbnail_key")
    )
    return [key for pair in rows for key in pair if key]


async def referenced(blob_keys: Collection[str]) -> set[str]:
    """Which of ``blob_keys`` a document row (any practice: a store-wide sweep) still names."""
    keys = list(blob_keys)
    if not keys:
        return set()
    originals = await Document.filter(blob_key__in=keys).values_list("blob_key", flat=True)
    thumbnails = await Document.filter(thumbnail_key__in=keys).values_list(
        "thumbnail_key", flat=True
    )
    return {str(k) for k in [*originals, *thumbnails] if k}


__all__ = ["blob_keys", "document", "for_patient", "referenced"]

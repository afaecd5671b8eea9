"""Tenant-scoped reads and writes of photo series. The allowed practices come first; a series or
item of another practice answers like a missing one (None).

``marketing`` is the marketing gallery's one statement: marked items joined to their document
and series, kept only while the patient's newest PHOTOS_IN_MARKETING ledger row is a grant (given
before the mark) and no restriction or objection is in force, decided by the database at read time.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from db.models import Document, InjectableTreatment, PhotoSeries, PhotoSeriesItem
from db.tenancy import PracticeId

PHOTO_KINDS = ("EXTRAORAL_PHOTO", "INTRAORAL_PHOTO")

# True while the patient's newest PHOTOS_IN_MARKETING decision (highest seq; the ledger's own
# notion of "current") is a grant recorded no later than the mark: a mark made under an earlier
# grant, since withdrawn, does not come back with a re-grant (it needs a fresh mark).
# Correlated on the outer item row.
_CONSENT_STANDS = (
    "EXISTS (SELECT 1 FROM consent_record c WHERE c.patient_id = photo_series_item.patient_id "
    "AND c.purpose = 'PHOTOS_IN_MARKETING' AND c.subject = '' AND c.granted "
    "AND c.created_at <= photo_series_item.marketing_marked_at "
    "AND NOT EXISTS (SELECT 1 FROM consent_record n WHERE n.patient_id = c.patient_id "
    "AND n.purpose = c.purpose AND n.subject = c.subject AND n.seq > c.seq))"
)
# Art. 18 restriction (own care only) and Art. 21 objection (no marketing) both keep a photo out.
_NOT_RESTRICTED = (
    "NOT EXISTS (SELECT 1 FROM processing_restriction r "
    "WHERE r.patient_id = photo_series_item.patient_id AND r.lifted_at IS NULL)"
)


async def series(
    allowed: Collection[PracticeId],
    series_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
) -> PhotoSeries | None:
    if not allowed:
        return None
    query = PhotoSeries.filter(id=series_id, practice_id__in=list(allowed))
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def item(
    allowed: Collection[PracticeId],
    item_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> PhotoSeriesItem | None:
    if not allowed:
        return None
    query = PhotoSeriesItem.filter(id=item_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def photo_document(
    practice_id: PracticeId, patient_id: UUID, document_id: UUID
) -> Document | None:
    """A live photo document of this patient in this practice (any other: None)."""
    return await Document.get_or_none(
        id=document_id, practice_id=practice_id, patient_id=patient_id, erased_at__isnull=True
    )


async def treatment_exists(practice_id: PracticeId, patient_id: UUID, treatment_id: UUID) -> bool:
    return await InjectableTreatment.exists(
        id=treatment_id, practice_id=practice_id, patient_id=patient_id
    )


async def has_document(series_id: UUID, document_id: UUID, connection: BaseDBAsyncClient) -> bool:
    return (
        await PhotoSeriesItem.filter(series_id=series_id, document_id=document_id)
        .using_db(connection)
        .exists()
    )


async def count_items(series_id: UUID, connection: BaseDBAsyncClient) -> int:
    return await PhotoSeriesItem.filter(series_id=series_id).using_db(connection).count()


async def of_patient(practice_id: PracticeId, patient_id: UUID) -> list[PhotoSeries]:
    """A patient's series, oldest first."""
    return await PhotoSeries.filter(practice_id=practice_id, patient_id=patient_id).order_by(
        "created_at", "id"
    )


async def items_of(series_ids: Collection[UUID]) -> list[PhotoSeriesItem]:
    """The items of series already found through a tenant check, with their live documents
    (one statement), in taken order."""
    if not series_ids:
        return []
    return (
        await PhotoSeriesItem.filter(
            series_id__in=list(series_ids), document__erased_at__isnull=True
        )
        .select_related("document")
        .order_by("taken_at", "id")
    )


def _gallery(practice_id: PracticeId) -> QuerySet[PhotoSeriesItem]:
    """Marked items of the practice whose patient's marketing-photo consent stands now."""
    return (
        PhotoSeriesItem.filter(
            practice_id=practice_id,
            marketing_marked_at__isnull=False,
            document__erased_at__isnull=True,
        )
        .annotate(consent_stands=RawSQL(_CONSENT_STANDS), unrestricted=RawSQL(_NOT_RESTRICTED))
        .filter(consent_stands=True, unrestricted=True)
    )


async def marketing(
    practice_id: PracticeId,
    patient_ids: Collection[UUID] | None,
    *,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> list[PhotoSeriesItem]:
    """The gallery, newest mark first, with each item's document and series: one statement.
    ``patient_ids`` narrows to the patients the caller may see (None: any of the practice's);
    ``first + 1`` rows are read."""
    query = _gallery(practice_id)
    if patient_ids is not None:
        query = query.filter(patient_id__in=list(patient_ids))
    if after is not None:
        at, last = after
        query = query.filter(Q(marketing_marked_at__lt=at) | Q(marketing_marked_at=at, id__lt=last))
    return (
        await query.select_related("document", "series")
        .order_by("-marketing_marked_at", "-id")
        .limit(first + 1)
    )


async def in_gallery(
    practice_id: PracticeId, *, document_id: UUID | None = None, item_id: UUID | None = None
) -> PhotoSeriesItem | None:
    """The gallery item showing this document (or with this id) right now, else None."""
    query = _gallery(practice_id)
    if document_id is not None:
        query = query.filter(document_id=document_id)
    if item_id is not None:
        query = query.filter(id=item_id)
    return await query.first()


async def delete_for_patient(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> int:
    """Erasure: a patient's items, then their series (items reference documents RESTRICT, so
    they go before the documents do). Returns how many items went."""
    removed = (
        await PhotoSeriesItem.filter(practice_id=practice_id, patient_id=patient_id)
        .using_db(connection)
        .delete()
    )
    await (
        PhotoSeries.filter(practice_id=practice_id, patient_id=patient_id)
        .using_db(connection)
        .delete()
    )
    return int(removed)


async def add_series(rows: list[PhotoSeries], items: list[PhotoSeriesItem]) -> None:
    """Demo seeding: whole series at once (rows already carry their practice)."""
    await PhotoSeries.bulk_create(rows)
    await PhotoSeriesItem.bulk_create(items)


__all__ = [
    "PHOTO_KINDS",
    "add_series",
    "count_items",
    "delete_for_patient",
    "has_document",
    "in_gallery",
    "item",
    "items_of",
    "marketing",
    "of_patient",
    "photo_document",
    "series",
    "treatment_exists",
]

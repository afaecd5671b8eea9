"""Photo series mutations and the marketing gallery: parse ids, call one service, map back.

A patient's series are read through ``Patient.photoSeries`` (graph/schema/patients.py). Every
marketing photo returned is put in the request's read trail (entity ``PhotoSeriesItem``) by
``AuditReads``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from db.models import PhotoSeriesItem as ItemModel
from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.documents import CreateDocumentLinkPayload
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.photo_series import (
    AddPhotoToSeriesInput,
    CreateMarketingPhotoLinkInput,
    CreatePhotoSeriesInput,
    MarketingPhoto,
    PhotoSeries,
    PhotoSeriesItemInput,
    PhotoSeriesPayload,
)
from services.aesthetics import photo_series
from services.documents import library, links
from services.policy import Scope


def _payload(view: photo_series.SeriesView) -> PhotoSeriesPayload:
    return PhotoSeriesPayload(series=PhotoSeries.from_view(view))


def _cursor(row: ItemModel) -> list[object]:
    marked = row.marketing_marked_at
    return [marked.isoformat() if marked else "", str(row.id)]


@strawberry.type
class PhotoSeriesQueries:
    @strawberry.field(
        description="Photos marked for marketing in a practice whose patient's "
        "PHOTOS_IN_MARKETING consent stands now, newest mark first; a withdrawal removes a "
        "photo at once. For the practice's staff who read patients (no clinical scope "
        "needed); partner applications are refused. Each photo shown is audited.",
        extensions=[*requires(Scope.PRACTICE_READ, Scope.PATIENT_READ), AuditReads()],
    )
    async def marketing_photos(
        self,
        info: Info,
        practice_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[MarketingPhoto] | None:
        size = page_size(first)
        page = await photo_series.marketing_photos(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            first=size,
            after=after_key(after, datetime, UUID),
        )
        return Connection[MarketingPhoto].build(
            page.items, MarketingPhoto.from_model, _cursor, has_next=page.has_next
        )


@strawberry.type
class PhotoSeriesMutations:
    @strawberry.mutation(
        description="Start an empty photo series for one treatment area of a patient "
        "(clinical:write)."
    )
    async def create_photo_series(
        self, info: Info, input: CreatePhotoSeriesInput
    ) -> PhotoSeriesPayload | None:
        return _payload(
            await photo_series.create(
                info.context.principal,
                patient_id=input.ids.patient_id,
                area=input.area,
                treatment_id=input.optional_ids.treatment_id,
            )
        )

    @strawberry.mutation(
        description="Add an existing photo document of the patient to a series with its stage, "
        "angle and taken time (clinical:write)."
    )
    async def add_photo_to_series(
        self, info: Info, input: AddPhotoToSeriesInput
    ) -> PhotoSeriesPayload | None:
        return _payload(
            await photo_series.add_photo(
                info.context.principal,
                series_id=input.ids.series_id,
                photo=photo_series.NewPhoto(
                    document_id=input.ids.document_id,
                    stage=input.stage,
                    angle=input.angle,
                    taken_at=input.taken_at,
                ),
            )
        )

    @strawberry.mutation(
        description="Take a photo out of its series; the document stays in the record "
        "(clinical:write)."
    )
    async def remove_photo_from_series(
        self, info: Info, input: PhotoSeriesItemInput
    ) -> PhotoSeriesPayload | None:
        return _payload(
            await photo_series.remove_photo(info.context.principal, item_id=input.ids.item_id)
        )

    @strawberry.mutation(
        description="Mark a photo for marketing use; needs the patient's PHOTOS_IN_MARKETING "
        "consent granted now, else CONFLICT (clinical:write)."
    )
    async def mark_photo_for_marketing(
        self, info: Info, input: PhotoSeriesItemInput
    ) -> PhotoSeriesPayload | None:
        return _payload(
            await photo_series.mark_for_marketing(info.context.principal, item_id=input.ids.item_id)
        )

    @strawberry.mutation(description="Withdraw a photo from marketing use (clinical:write).")
    async def unmark_photo_for_marketing(
        self, info: Info, input: PhotoSeriesItemInput
    ) -> PhotoSeriesPayload | None:
        return _payload(
            await photo_series.unmark_for_marketing(
                info.context.principal, item_id=input.ids.item_id
            )
        )

    @strawberry.mutation(
        description="A link that opens a photo of `marketingPhotos` for a few minutes; every "
        "use checks again that it is still there (consent standing) and is audited "
        "(practice:read and patient:read; no clinical scope needed).",
        extensions=requires(Scope.PRACTICE_READ, Scope.PATIENT_READ),
    )
    async def create_marketing_photo_link(
        self, info: Info, input: CreateMarketingPhotoLinkInput
    ) -> CreateDocumentLinkPayload | None:
        principal = info.context.principal
        document_id = await photo_series.marketing_document(principal, item_id=input.ids.item_id)
        variant = library.Variant(input.variant)
        token, expires = await links.mint(
            principal, document_id, variant.value, info.context.settings.document_link_seconds
        )
        base = info.context.settings.public_url or str(info.context.request.base_url)
        suffix = "/thumbnail" if variant is library.Variant.THUMBNAIL else ""
        url = f"{base.rstrip('/')}/documents/{document_id}{suffix}?link={token}"
        return CreateDocumentLinkPayload(url=url, expires_at=expires)

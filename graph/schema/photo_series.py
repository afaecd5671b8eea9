"""Photo series as the graph shows them: a patient's before/after photos per treatment area,
each item an existing photo document (``PatientDocument``; open it with
``createDocumentLink``) with its stage, angle and taken time; and the marketing gallery.

``PhotoSeries`` is reached through ``Patient.photoSeries`` (``@requires clinical:read``, the
patient's practice checked again by the service) or a series mutation, whose service demanded
``clinical:write``. ``MarketingPhoto`` is reached only through ``marketingPhotos``. Each object
returned is one audited read.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from db.models import PhotoSeriesItem as ItemModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.documents import DocumentVariant, PatientDocument
from services.aesthetics import photo_series as service
from services.documents import library

PhotoArea = strawberry.enum(
    service.Area, name="PhotoArea", description="The treatment area a series follows."
)
PhotoStage = strawberry.enum(
    service.Stage, name="PhotoStage", description="BEFORE treatment, AFTER it, or a FOLLOW_UP."
)
PhotoAngle = strawberry.enum(
    service.Angle,
    name="PhotoAngle",
    description="Standard view: FRONT, 45 or 90 degrees left/right (the patient's), UP, DOWN.",
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="One photo of a series.")
class PhotoSeriesItem:
    id: strawberry.ID
    series_id: strawberry.ID = strawberry.field(description="The series it belongs to.")
    stage: PhotoStage = strawberry.field(description="Before, after or follow-up.")  # type: ignore[valid-type]
    angle: PhotoAngle = strawberry.field(description="The standard view.")  # type: ignore[valid-type]
    taken_at: datetime = strawberry.field(description="When the photo was taken.")
    marked_for_marketing_at: datetime | None = strawberry.field(
        description="When the practice marked it for marketing use; it shows in "
        "`marketingPhotos` only while the patient's PHOTOS_IN_MARKETING consent, given before "
        "the mark, stands."
    )
    document: PatientDocument = strawberry.field(
        description="The photo document (thumbnails via `createDocumentLink`)."
    )

    @classmethod
    def from_model(cls, row: ItemModel) -> PhotoSeriesItem:
        return cls(
            id=_id(row.id),
            series_id=_id(row.series_id),
            stage=service.Stage(row.stage),
            angle=service.Angle(row.angle),
            taken_at=row.taken_at,
            marked_for_marketing_at=row.marketing_marked_at,
            document=PatientDocument.from_model(row.document),
        )


@strawberry.type(description="A patient's photos of one treatment area over time.")
class PhotoSeries:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    area: PhotoArea = strawberry.field(description="The treatment area.")  # type: ignore[valid-type]
    treatment_id: strawberry.ID | None = strawberry.field(
        description="The injectable treatment it documents, if any."
    )
    created_at: datetime = strawberry.field(description="When the series was started.")
    items: list[PhotoSeriesItem] = strawberry.field(description="Its photos, oldest taken first.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]
    series_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("PhotoSeries", self.series_uuid, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_view(cls, view: service.SeriesView) -> PhotoSeries:
        row = view.series
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            area=service.Area(row.area),
            treatment_id=_id(row.treatment_id) if row.treatment_id else None,
            created_at=row.created_at,
            items=[PhotoSeriesItem.from_model(i) for i in view.items],
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
            series_uuid=UUID(str(row.id)),
        )


@strawberry.type(
    description="A photo the practice may use in marketing: marked, and its patient's "
    "PHOTOS_IN_MARKETING consent stands at the moment of reading."
)
class MarketingPhoto:
    item_id: strawberry.ID = strawberry.field(description="The series item.")
    series_id: strawberry.ID = strawberry.field(description="The series.")
    area: PhotoArea = strawberry.field(description="The treatment area.")  # type: ignore[valid-type]
    stage: PhotoStage = strawberry.field(description="Before, after or follow-up.")  # type: ignore[valid-type]
    angle: PhotoAngle = strawberry.field(description="The standard view.")  # type: ignore[valid-type]
    taken_at: datetime = strawberry.field(description="When the photo was taken.")
    marked_at: datetime = strawberry.field(description="When it was marked for marketing.")
    document: PatientDocument = strawberry.field(description="The photo document.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("PhotoSeriesItem", self.item_id, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_model(cls, row: ItemModel) -> MarketingPhoto:
        assert row.marketing_marked_at is not None
        return cls(
            item_id=_id(row.id),
            series_id=_id(row.series_id),
            area=service.Area(row.series.area),
            stage=service.Stage(row.stage),
            angle=service.Angle(row.angle),
            taken_at=row.taken_at,
            marked_at=row.marketing_marked_at,
            document=PatientDocument.from_model(row.document),
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
        )


@strawberry.input(description="A new, empty photo series for one treatment area of a patient.")
class CreatePhotoSeriesInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    area: PhotoArea = strawberry.field(description="The treatment area.")  # type: ignore[valid-type]
    treatment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patient's injectable treatment it documents, if any."
    )


@strawberry.input(description="An existing photo document of the patient, added to a series.")
class AddPhotoToSeriesInput(IdFields):
    series_id: strawberry.ID = strawberry.field(description="The series.")
    document_id: strawberry.ID = strawberry.field(
        description="An EXTRAORAL_PHOTO or INTRAORAL_PHOTO document of the same patient."
    )
    stage: PhotoStage = strawberry.field(description="Before, after or follow-up.")  # type: ignore[valid-type]
    angle: PhotoAngle = strawberry.field(description="The standard view.")  # type: ignore[valid-type]
    taken_at: datetime = strawberry.field(description="When it was taken (with its offset).")


@strawberry.input(description="A photo of a series to act on.")
class PhotoSeriesItemInput(IdFields):
    item_id: strawberry.ID = strawberry.field(description="The series item.")


@strawberry.input(
    description="A short-lived link that opens a photo of the marketing gallery, for staff "
    "without a clinical scope; every use checks again that it is still in the gallery."
)
class CreateMarketingPhotoLinkInput(IdFields):
    item_id: strawberry.ID = strawberry.field(description="The marketing photo's item id.")
    variant: DocumentVariant = strawberry.field(  # type: ignore[valid-type]
        default=library.Variant.THUMBNAIL, description="The thumbnail or the original."
    )


@strawberry.type(description="The series after the change.")
class PhotoSeriesPayload:
    series: PhotoSeries | None = strawberry.field(description="The series changed.")

"""Before/after photo series: a patient's clinical photos grouped per treatment area, each with
its stage and a standard angle, and the marketing gallery built from them.

- Reading a patient's series needs clinical:read in the patient's practice (patients read their
  own); changing one needs clinical:write. The patient is found through ``patient_access``, so
  another practice's series, item or document answers like a random id.
- A photo is an existing EXTRAORAL_PHOTO or INTRAORAL_PHOTO document of the same patient and
  practice (another patient's document is NOT_FOUND; a document of another kind is
  BAD_USER_INPUT). Series items list in the order the photos were taken.
- **Marketing.** ``markForMarketing`` needs the patient's PHOTOS_IN_MARKETING consent to be
  GRANTED in the ledger at that moment (else CONFLICT on ``itemId``); the patient row is locked
  as the ledger does, so a concurrent withdrawal is either before (refused) or after (hidden).
  Withdrawal writes nothing here: the mark stays as history and the gallery filters at read
  time (``db.queries.photo_series.marketing``: one statement joining the newest ledger row), so
  a photo leaves the gallery the moment the withdrawal commits. A mark counts only under the
  grant it was made under: after a withdrawal and a re-grant the photo needs a fresh mark.
  Restricted (Art. 18) or objecting (Art. 21) patients' photos never show either.
- ``marketingPhotos`` is for the practice's staff who read patients (practice:read and
  patient:read; no clinical scope needed, as they see only consented, marked photos); patients
  and partner applications are refused; the visibility policy narrows the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar
from uuid import UUID, uuid4

from db.models import Patient, PhotoSeries, PhotoSeriesItem
from db.models.consent import ConsentPurpose
from db.queries import consent as consent_queries
from db.queries import patients as patient_queries
from db.queries import photo_series as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate, visibility
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal

TOPIC = "clinical"
EVENT = "PHOTO_SERIES_CHANGED"
MAX_ITEMS = 200
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
E = TypeVar("E", bound=StrEnum)


class Area(StrEnum):
    FOREHEAD = "FOREHEAD"
    GLABELLA = "GLABELLA"
    CROWS_FEET = "CROWS_FEET"
    UNDER_EYES = "UNDER_EYES"
    CHEEKS = "CHEEKS"
    NOSE = "NOSE"
    LIPS = "LIPS"
    NASOLABIAL = "NASOLABIAL"
    MARIONETTE = "MARIONETTE"
    CHIN = "CHIN"
    JAWLINE = "JAWLINE"
    NECK = "NECK"
    FULL_FACE = "FULL_FACE"
    BODY = "BODY"
    OTHER = "OTHER"


class Stage(StrEnum):
    BEFORE = "BEFORE"
    AFTER = "AFTER"
    FOLLOW_UP = "FOLLOW_UP"


class Angle(StrEnum):
    FRONT = "FRONT"
    LEFT_45 = "LEFT_45"
    RIGHT_45 = "RIGHT_45"
    LEFT_90 = "LEFT_90"
    RIGHT_90 = "RIGHT_90"
    UP = "UP"
    DOWN = "DOWN"


@dataclass(frozen=True, slots=True)
class SeriesView:
    """One series with its items (their documents loaded), in taken order."""

    series: PhotoSeries
    items: list[PhotoSeriesItem]


@dataclass(frozen=True, slots=True)
class NewPhoto:
    document_id: UUID
    stage: str  # a Stage
    angle: str  # an Angle
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class MarketingPage:
    items: list[PhotoSeriesItem]  # each with ``document`` and ``series`` loaded
    has_next: bool


async def _series(principal: Principal, series_id: UUID, action: str) -> PhotoSeries:
    found = await queries.series(patient_access.readable_practices(principal), series_id)
    if found is None:
        raise NotFound("Photo series")
    try:
        await patient_access.clinical_patient(
            principal, UUID(str(found.patient_id)), Scope.CLINICAL_WRITE, action=action
        )
    except NotFound:  # a patient this principal may not see: exactly like a random id
        raise NotFound("Photo series") from None
    return found


async def _item(
    principal: Principal, item_id: UUID, action: str
) -> tuple[PhotoSeriesItem, Patient]:
    found = await queries.item(patient_access.readable_practices(principal), item_id)
    if found is None:
        raise NotFound("Photo")
    try:
        patient = await patient_access.clinical_patient(
            principal, UUID(str(found.patient_id)), Scope.CLINICAL_WRITE, action=action
        )
    except NotFound:
        raise NotFound("Photo") from None
    return found, patient


async def _view(series: PhotoSeries) -> SeriesView:
    return SeriesView(series, await queries.items_of([UUID(str(series.id))]))


async def _changed(
    uow: UnitOfWork, principal: Principal, series: PhotoSeries, action: str, fields: list[str]
) -> None:
    """Audit (field names only) and an ids-only event, in the caller's unit of work."""
    await record_change(
        uow,
        principal,
        series,
        action=action,
        event=EVENT,
        changed=fields,
        entity_type="PhotoSeries",
        topic=TOPIC,
        payload={"area": series.area, "change": action},
    )


def _code(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(str(value).strip().upper())
    except ValueError:
        raise ValidationFailed(
            f"Unknown {field}; use one of " + ", ".join(k.value for k in kind) + ".", field=field
        ) from None


def _taken_at(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed("Give the time with its UTC offset.", field="takenAt")
    if value < EARLIEST or value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValidationFailed("A photo cannot be taken in the future.", field="takenAt")
    return value


async def series_of(principal: Principal, *, patient_id: UUID) -> list[SeriesView]:
    """A patient's series, oldest first, each with its photos in taken order."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ photo_series"
    )
    rows = await queries.of_patient(tenant_gate.practice_of(patient), UUID(str(patient.id)))
    items = await queries.items_of([UUID(str(s.id)) for s in rows])
    by_series: dict[str, list[PhotoSeriesItem]] = {}
    for row in items:
        by_series.setdefault(str(row.series_id), []).append(row)
    return [SeriesView(s, by_series.get(str(s.id), [])) for s in rows]


async def create(
    principal: Principal, *, patient_id: UUID, area: str, treatment_id: UUID | None = None
) -> SeriesView:
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_WRITE, action="CREATE photo_series"
    )
    pid = tenant_gate.practice_of(patient)
    code = _code(Area, area, "area")
    if treatment_id is not None and not await queries.treatment_exists(
        pid, UUID(str(patient.id)), treatment_id
    ):
        raise NotFound("Treatment")
    row = PhotoSeries(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        area=code.value,
        treatment_id=treatment_id,
        created_by_user_id=principal.user_id,
    )
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        await _changed(uow, principal, row, "CREATE photo_series", ["photoSeries"])
    return SeriesView(row, [])


async def add_photo(principal: Principal, *, series_id: UUID, photo: NewPhoto) -> SeriesView:
    series = await _series(principal, series_id, "UPDATE photo_series")
    pid = tenant_gate.practice_of(series)
    document = await queries.photo_document(pid, UUID(str(series.patient_id)), photo.document_id)
    if document is None:
        raise NotFound("Document")
    if document.kind not in queries.PHOTO_KINDS:
        raise ValidationFailed(
            "Only EXTRAORAL_PHOTO or INTRAORAL_PHOTO documents join a photo series.",
            field="documentId",
        )
    stage = _code(Stage, photo.stage, "stage")
    angle = _code(Angle, photo.angle, "angle")
    taken_at = _taken_at(photo.taken_at)
    async with unit_of_work() as uow:
        conn = uow.connection
        await patient_queries.locked(pid, UUID(str(series.patient_id)), conn)
        if await queries.has_document(UUID(str(series.id)), document.id, conn):
            raise Conflict("This photo is already in the series.", field="documentId")
        if await queries.count_items(UUID(str(series.id)), conn) >= MAX_ITEMS:
            raise ValidationFailed(f"A series holds at most {MAX_ITEMS} photos.", field="seriesId")
        await PhotoSeriesItem(
            id=uuid4(),
            practice_id=pid,
            patient_id=series.patient_id,
            series_id=series.id,
            document_id=document.id,
            stage=stage.value,
            angle=angle.value,
            taken_at=taken_at,
        ).save(using_db=conn)
        await _changed(uow, principal, series, "UPDATE photo_series", ["items"])
    return await _view(series)


async def _series_row(item: PhotoSeriesItem) -> PhotoSeries:
    found = await queries.series({tenant_gate.practice_of(item)}, UUID(str(item.series_id)))
    assert found is not None  # items never move between series
    return found


async def remove_photo(principal: Principal, *, item_id: UUID) -> SeriesView:
    """The photo leaves the series (the document itself stays in the record)."""
    item, _ = await _item(principal, item_id, "UPDATE photo_series")
    series = await _series_row(item)
    async with unit_of_work() as uow:
        await item.delete(using_db=uow.connection)
        await _changed(uow, principal, series, "UPDATE photo_series", ["items"])
    return await _view(series)


async def mark_for_marketing(principal: Principal, *, item_id: UUID) -> SeriesView:
    item, patient = await _item(principal, item_id, "MARK photo_for_marketing")
    series = await _series_row(item)
    pid = tenant_gate.practice_of(item)
    async with unit_of_work() as uow:
        conn = uow.connection
        await patient_queries.locked(pid, UUID(str(patient.id)), conn)
        current = await consent_queries.current_for(UUID(str(patient.id)))
        latest = current.get((ConsentPurpose.PHOTOS_IN_MARKETING.value, ""))
        if latest is None or not latest.granted:
            raise Conflict(
                "The patient has not granted consent to photos in marketing.", field="itemId"
            )
        locked = await queries.item({pid}, UUID(str(item.id)), connection=conn, for_update=True)
        assert locked is not None
        locked.marketing_marked_at = datetime.now(UTC)
        locked.marketing_marked_by_user_id = principal.user_id
        await locked.save(
            using_db=conn, update_fields=["marketing_marked_at", "marketing_marked_by_user_id"]
        )
        await _changed(uow, principal, series, "MARK photo_for_marketing", ["markedForMarketingAt"])
    return await _view(series)


async def unmark_for_marketing(principal: Principal, *, item_id: UUID) -> SeriesView:
    item, _ = await _item(principal, item_id, "UNMARK photo_for_marketing")
    series = await _series_row(item)
    pid = tenant_gate.practice_of(item)
    async with unit_of_work() as uow:
        conn = uow.connection
        locked = await queries.item({pid}, UUID(str(item.id)), connection=conn, for_update=True)
        assert locked is not None
        locked.marketing_marked_at = None
        locked.marketing_marked_by_user_id = None
        await locked.save(
            using_db=conn, update_fields=["marketing_marked_at", "marketing_marked_by_user_id"]
        )
        await _changed(
            uow, principal, series, "UNMARK photo_for_marketing", ["markedForMarketingAt"]
        )
    return await _view(series)


async def _marketing_practice(principal: Principal, practice_id: UUID) -> PracticeId:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_READ)
    if principal.client_id is not None or not principal.has_scope(Scope.PATIENT_READ, pid):
        await audit.record_denied(principal, action="READ marketing_photos", practice_id=pid)
        raise PolicyDenied("Marketing photos are for the practice's own staff.")
    return pid


async def shows_in_marketing(
    principal: Principal, practice_id: PracticeId, document_id: UUID
) -> bool:
    """May this caller, without clinical:read, open this document because it is in the
    practice's marketing gallery right now (marked, consent standing, no restriction)? Asked
    by ``library.readable_document`` on every opening, so a withdrawal also ends opening."""
    if principal.client_id is not None or principal.is_patient:
        return False
    if not (
        principal.has_scope(Scope.PRACTICE_READ, practice_id)
        and principal.has_scope(Scope.PATIENT_READ, practice_id)
    ):
        return False
    return await queries.in_gallery(practice_id, document_id=document_id) is not None


async def marketing_document(principal: Principal, *, item_id: UUID) -> UUID:
    """The document of a photo in the gallery now (for a link); else NOT_FOUND like a random
    id (an unmarked photo, withdrawn consent, another practice's)."""
    found = await queries.item(principal.practices_with(Scope.PRACTICE_READ), item_id)
    if found is None:
        raise NotFound("Photo")
    pid = await _marketing_practice(principal, UUID(str(found.practice_id)))
    if not await visibility.visible_ids(principal, [UUID(str(found.patient_id))]):
        raise NotFound("Photo")
    shown = await queries.in_gallery(pid, item_id=UUID(str(found.id)))
    if shown is None:
        raise NotFound("Photo")
    return UUID(str(shown.document_id))


async def marketing_photos(
    principal: Principal,
    *,
    practice_id: UUID,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> MarketingPage:
    """Marked photos whose patient's consent stands right now, newest mark first."""
    pid = await _marketing_practice(principal, practice_id)
    allowed = await visibility.visible_in(principal, pid)
    if allowed is not None and not allowed:
        return MarketingPage([], has_next=False)
    rows = await queries.marketing(pid, allowed, first=first, after=after)
    return MarketingPage(rows[:first], has_next=len(rows) > first)


__all__ = [
    "Angle",
    "Area",
    "MarketingPage",
    "NewPhoto",
    "SeriesView",
    "Stage",
    "add_photo",
    "create",
    "mark_for_marketing",
    "marketing_document",
    "marketing_photos",
    "remove_photo",
    "series_of",
    "shows_in_marketing",
    "unmark_for_marketing",
]

"""Adding a patient's documents and opening them: who may, what is checked, what is recorded.

Uploading needs CLINICAL_WRITE in the patient's practice; opening needs CLINICAL_READ and the
visibility policy's leave (own record, guardian, partner with data-sharing consent). Every
opening is audited with the document's id *before* a byte is returned, so a download that left
no trace cannot happen; it shows in the patient's access log and in breach impact.
The sealed blobs are written before the row commits: a crash in between leaves an orphan blob
(unreadable without its wrapped key), never a row pointing at nothing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from db.crypto import CiphertextError
from db.models import Document, Patient
from db.queries import documents as queries
from db.uow import UnitOfWork, unit_of_work
from services import audit, runtime
from services.aesthetics import photo_series
from services.documents import inspection, sealing, stores
from services.documents.storage import MissingBlob, StorageError, new_key
from services.errors import NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access
from services.patients import sealing as field_sealing
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal
from services.tenant_gate import practice_of

log = logging.getLogger("aescrm.documents")


class DocumentKind(StrEnum):
    XRAY = "XRAY"
    INTRAORAL_PHOTO = "INTRAORAL_PHOTO"
    EXTRAORAL_PHOTO = "EXTRAORAL_PHOTO"
    SCANNED_LETTER = "SCANNED_LETTER"
    REFERRAL = "REFERRAL"
    CONSENT_FORM = "CONSENT_FORM"
    SIGNATURE = "SIGNATURE"
    OTHER = "OTHER"


class Variant(StrEnum):
    ORIGINAL = "ORIGINAL"
    THUMBNAIL = "THUMBNAIL"


@dataclass(frozen=True, slots=True)
class Upload:
    patient_id: UUID
    kind: str
    title: str
    content_type: str
    data: bytes
    filename: str | None = None
    appointment_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Opened:
    document: Document
    content_type: str
    data: bytes


def _kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value.strip().upper())
    except ValueError:
        raise ValidationFailed(
            "Unknown document kind; use one of " + ", ".join(k.value for k in DocumentKind) + ".",
            field="kind",
        ) from None


def _text(value: str | None, field: str, *, required: bool, limit: int) -> str | None:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationFailed(f"'{field}' is required.", field=field)
    if len(cleaned) > limit or any(ord(c) < 32 for c in cleaned):
        raise ValidationFailed(f"'{field}' is too long or holds control characters.", field=field)
    return cleaned or None


def check_size(size: int, max_bytes: int) -> None:
    if size <= 0:
        raise ValidationFailed("The file is empty.", field="file")
    if size > max_bytes:
        raise ValidationFailed(
            f"The file is larger than the {max_bytes // (1024 * 1024)} MiB limit.", field="file"
        )


@dataclass(frozen=True, slots=True)
class Staged:
    """A checked upload whose sealed blobs are in the store and whose row is not yet saved."""

    document: Document
    patient: Patient
    blob_keys: tuple[str, ...]


async def stage(principal: Principal, upload: Upload, *, max_bytes: int) -> Staged:
    """Checks the upload and writes its sealed blobs; the row is saved by :func:`save_in` in
    the caller's unit of work (a signed treatment plan saves its signature with the plan)."""
    patient = await patient_access.readable_patient(principal, upload.patient_id)
    await patient_access.require(principal, Scope.CLINICAL_WRITE, patient, action="UPLOAD_DOCUMENT")
    return await stage_for(principal, patient, upload, max_bytes=max_bytes)


async def stage_for(
    principal: Principal, patient: Patient, upload: Upload, *, max_bytes: int
) -> Staged:
    """:func:`stage` for a caller that has already proved ``principal`` may add this document
    to ``patient`` (a patient signing their own consent form in the portal; a signed plan or
    form under clinical:write). Every check of the file itself still runs."""
    kind = _kind(upload.kind)
    title = _text(upload.title, "title", required=True, limit=200) or ""
    filename = _text(upload.filename, "filename", required=False, limit=255)
    check_size(len(upload.data), max_bytes)
    found = inspection.inspect(upload.data, upload.content_type)
    practice_id = practice_of(patient)
    document_id = uuid4()
    key = sealing.new_file_key()
    sealed = sealing.seal(key, document_id, sealing.Part.ORIGINAL, upload.data)
    store = stores.current()
    blob_key = new_key()
    await store.put(blob_key, sealed)
    written = [blob_key]
    thumbnail_key = None
    try:
        if found.thumbnail is not None:
            thumbnail_key = new_key()
            thumbnail = sealing.seal(key, document_id, sealing.Part.THUMBNAIL, found.thumbnail)
            await store.put(thumbnail_key, thumbnail)
            written.append(thumbnail_key)
    except BaseException:
        await discard(written)
        raise
    document = Document(
        id=document_id,
        practice_id=practice_id,
        patient_id=patient.id,
        appointment_id=upload.appointment_id,
        kind=kind.value,
        content_type=found.content_type,
        size_bytes=len(upload.data),
        width=found.width,
        height=found.height,
        sha256=hashlib.sha256(sealed).hexdigest(),
        blob_key=blob_key,
        thumbnail_key=thumbnail_key,
        wrapped_key=sealing.wrap(runtime.keyring(), practice_id, document_id, key),
        uploaded_by_user_id=principal.user_id,
        uploaded_by_client_id=principal.client_id,
    )
    document.title = field_sealing.seal(document, "title", title) or ""
    document.filename = field_sealing.seal(document, "filename", filename)  # type: ignore[assignment]
    return Staged(document, patient, tuple(written))


async def save_in(uow: UnitOfWork, principal: Principal, staged: Staged) -> None:
    """The staged row, its audit record and its event, in the caller's unit of work."""
    await staged.document.save(using_db=uow.connection)
    await record_change(
        uow,
        principal,
        staged.patient,
        action="UPLOAD_DOCUMENT",
        event="patient.document_added",
        changed=["documents"],
        entity_type="Document",
        entity_id=staged.document.id,
    )


async def unstage(staged: Staged) -> None:
    """Removes a staged upload's blobs when its unit of work did not commit."""
    await discard(list(staged.blob_keys))


async def upload(principal: Principal, upload: Upload, *, max_bytes: int) -> Document:
    staged = await stage(principal, upload, max_bytes=max_bytes)
    try:
        async with unit_of_work() as uow:
            await save_in(uow, principal, staged)
    except BaseException:
        await unstage(staged)
        raise
    return staged.document


async def readable_document(principal: Principal, document_id: UUID) -> Document:
    """The document if the caller may read its patient's clinical record, or it is a photo in
    the practice's marketing gallery right now; else NOT_FOUND or FORBIDDEN (audited), exactly
    like the GraphQL fields."""
    found = await queries.document(patient_access.readable_practices(principal), document_id)
    if found is None:
        raise NotFound("Document")
    try:
        patient = await patient_access.readable_patient(principal, UUID(str(found.patient_id)))
    except NotFound:  # a patient hidden from the caller: their document is as absent as any
        raise NotFound("Document") from None
    practice_id = practice_of(patient)
    if not principal.has_scope(Scope.CLINICAL_READ, practice_id):
        # A photo in the practice's marketing gallery (marked, consent standing) opens for
        # its staff without a clinical scope, re-checked on every opening.
        if await photo_series.shows_in_marketing(principal, practice_id, found.id):
            return found
        await audit.record_denied(principal, action="OPEN_DOCUMENT", practice_id=practice_id)
        raise PolicyDenied("You do not have permission to open clinical documents.")
    return found


async def open_document(
    principal: Principal, document_id: UUID, variant: Variant = Variant.ORIGINAL
) -> Opened:
    document = await readable_document(principal, document_id)
    if variant is Variant.THUMBNAIL and document.thumbnail_key is None:
        raise NotFound("Thumbnail")
    record = audit.record_for(
        principal,
        action="OPEN_DOCUMENT",
        practice_id=UUID(str(document.practice_id)),
        entity_type="Document",
        entity_id=document.id,
        patient_id=UUID(str(document.patient_id)),
        fields=["thumbnail" if variant is Variant.THUMBNAIL else "content"],
    )
    async with unit_of_work() as uow:  # recorded before a byte leaves
        uow.audit(record)
    data = await _read(document, variant)
    content_type = "image/jpeg" if variant is Variant.THUMBNAIL else document.content_type
    return Opened(document, content_type, data)


async def _read(document: Document, variant: Variant) -> bytes:
    store = stores.current()
    try:
        key = sealing.unwrap(
            runtime.keyring(), document.practice_id, document.id, document.wrapped_key
        )
        if variant is Variant.THUMBNAIL:
            assert document.thumbnail_key is not None
            blob = await store.get(document.thumbnail_key)
            return sealing.open_sealed(key, document.id, sealing.Part.THUMBNAIL, blob)
        blob = await store.get(document.blob_key)
        return sealing.open_sealed(key, document.id, sealing.Part.ORIGINAL, blob)
    except (CiphertextError, MissingBlob, ValueError) as error:
        raise DocumentUnreadable(str(document.id)) from error


class DocumentUnreadable(Exception):
    """The stored file is missing or failed authentication (an integrity fault, logged)."""


async def for_patient(
    principal: Principal,
    patient_id: UUID,
    *,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[list[Document], bool]:
    patient = await patient_access.readable_patient(principal, patient_id)
    rows = await queries.for_patient([practice_of(patient)], patient.id, first=first, after=after)
    return rows[:first], len(rows) > first


async def discard(blob_keys: list[str]) -> None:
    """Best-effort removal of blobs whose rows (and keys) are gone: already unreadable, so a
    failure here is logged, not raised; nothing can open an orphaned blob."""
    store = stores.current()
    for key in blob_keys:
        try:
            await store.delete(key)
        except StorageError:
            log.warning("could not delete a shredded document blob", extra={"blob": key})


def title_of(document: Document) -> str | None:
    return field_sealing.reveal(document, "title")


def filename_of(document: Document) -> str | None:
    return field_sealing.reveal(document, "filename")


__all__ = [
    "DocumentKind",
    "DocumentUnreadable",
    "Opened",
    "Upload",
    "Variant",
    "check_size",
    "discard",
    "filename_of",
    "for_patient",
    "open_document",
    "readable_document",
    "stage",
    "stage_for",
    "title_of",
    "upload",
]

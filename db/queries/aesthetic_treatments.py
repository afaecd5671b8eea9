"""Tenant-scoped reads behind injectable treatments, prescribing and batch recall. The allowed
practices (or organisation) come first; a row of another tenant answers like a missing one.

The recall is one statement (:func:`recall_rows`): batches of the lot (or the one batch) in the
allowed practices, left-joined to every injection point that used them, its patient, practice
and contact preferences, grouped per visit and batch. A batch nobody used still yields a row
(with no patient), so "unknown lot" and "lot nobody received" are told apart by the same
statement.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import (
    AdverseEvent,
    AestheticConsultation,
    Batch,
    ConsentFormInstance,
    InjectableTreatment,
    InjectionPoint,
    Practitioner,
    Prescription,
    Product,
    ProfessionalRegistration,
)
from db.tenancy import OrganizationId, PracticeId


async def practitioner(practice_id: PracticeId, practitioner_id: UUID) -> Practitioner | None:
    return await Practitioner.filter(id=practitioner_id, practice_id=practice_id).first()


async def practitioners_by_id(
    allowed: Collection[PracticeId], ids: Collection[UUID]
) -> dict[UUID, Practitioner]:
    if not ids or not allowed:
        return {}
    rows = await Practitioner.filter(id__in=list(ids), practice_id__in=list(allowed))
    return {UUID(str(r.id)): r for r in rows}


async def prescriber_registration(
    practice_id: PracticeId, practitioner_id: UUID, on: date
) -> ProfessionalRegistration | None:
    """A prescribing registration of the practitioner in force on ``on`` (not revoked)."""
    return (
        await ProfessionalRegistration.filter(
            practice_id=practice_id,
            practitioner_id=practitioner_id,
            prescriber=True,
            revoked_at=None,
            expires_on__gte=on,
        )
        .order_by("-expires_on")
        .first()
    )


async def product(organization_id: OrganizationId, product_id: UUID) -> Product | None:
    return await Product.filter(id=product_id, organization_id=organization_id).first()


async def products_by_id(ids: Collection[UUID]) -> dict[UUID, Product]:
    """Products named by rows already read through a tenant-scoped query."""
    if not ids:
        return {}
    return {UUID(str(p.id)): p for p in await Product.filter(id__in=list(ids))}


async def batches_by_id(practice_id: PracticeId, ids: Collection[UUID]) -> dict[UUID, Batch]:
    if not ids:
        return {}
    rows = await Batch.filter(id__in=list(ids), practice_id=practice_id)
    return {UUID(str(b.id)): b for b in rows}


async def consultation(
    allowed: Collection[PracticeId], consultation_id: UUID
) -> AestheticConsultation | None:
    if not allowed:
        return None
    return await AestheticConsultation.filter(
        id=consultation_id, practice_id__in=list(allowed)
    ).first()


async def prescription(
    allowed: Collection[PracticeId],
    prescription_id: UUID,
    connection: BaseDBAsyncClient | None = None,
) -> Prescription | None:
    if not allowed:
        return None
    query = Prescription.filter(id=prescription_id, practice_id__in=list(allowed))
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def treatment(
    allowed: Collection[PracticeId], treatment_id: UUID
) -> InjectableTreatment | None:
    if not allowed:
        return None
    return await InjectableTreatment.filter(id=treatment_id, practice_id__in=list(allowed)).first()


async def treatments_of_patient(
    practice_id: PracticeId, patient_id: UUID
) -> list[InjectableTreatment]:
    return (
        await InjectableTreatment.filter(practice_id=practice_id, patient_id=patient_id)
        .order_by("-treated_at", "id")
        .limit(500)
    )


async def points_of(
    practice_id: PracticeId, treatment_ids: Collection[UUID]
) -> list[InjectionPoint]:
    if not treatment_ids:
        return []
    return await InjectionPoint.filter(
        practice_id=practice_id, treatment_id__in=list(treatment_ids)
    ).order_by("treatment_id", "position")


async def adverse_events_of(
    practice_id: PracticeId, treatment_ids: Collection[UUID]
) -> list[AdverseEvent]:
    if not treatment_ids:
        return []
    return await AdverseEvent.filter(
        practice_id=practice_id, treatment_id__in=list(treatment_ids)
    ).order_by("treatment_id", "onset_at")


async def adverse_event(
    allowed: Collection[PracticeId], event_id: UUID, connection: BaseDBAsyncClient | None = None
) -> AdverseEvent | None:
    if not allowed:
        return None
    query = AdverseEvent.filter(id=event_id, practice_id__in=list(allowed))
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


class RecallRow(NamedTuple):
    """One visit's use of one batch (``patient_id`` None: a batch of the lot nobody used)."""

    batch_id: UUID
    practice_id: UUID
    practice_name: str
    product_name: str
    unit: str
    lot_number: str
    patient_id: UUID | None
    first_name: str | None
    last_name: str | None
    patient_number: int | None
    status: str | None
    treatment_id: UUID | None
    treated_at: datetime | None
    amount_milli: int | None
    has_email: bool
    has_mobile: bool
    has_phone: bool
    has_address: bool
    pref_email: bool | None
    pref_sms: bool | None
    pref_phone: bool | None
    pref_post: bool | None
    pref_service: bool | None


# The batches recalled, filtered once for the visits' sub-select and once for the outer rows
# (a lateral join would say it once; SQLite has none). Visits are grouped before the patient
# join, so each patient row is looked up once per visit, not once per point.
_RECALL_SELECT = (
    "SELECT b.id, b.practice_id, pr.name, prod.name, prod.unit, b.lot_number, "
    "p.id, p.first_name, p.last_name, p.patient_number, p.status, v.treatment_id, "
    "v.treated_at, v.amount_milli, "
    "CASE WHEN p.email IS NOT NULL AND p.email <> '' THEN 1 ELSE 0 END, "
    "CASE WHEN p.mobile_phone IS NOT NULL AND p.mobile_phone <> '' THEN 1 ELSE 0 END, "
    "CASE WHEN (p.mobile_phone IS NOT NULL AND p.mobile_phone <> '') OR "
    "(p.landline_phone IS NOT NULL AND p.landline_phone <> '') THEN 1 ELSE 0 END, "
    "CASE WHEN p.address IS NOT NULL AND p.address <> '' THEN 1 ELSE 0 END, "
    "cp.email, cp.sms, cp.phone, cp.post, cp.service_messages, cp.id "
    "FROM aesthetic_batch b "
    "JOIN aesthetic_product prod ON prod.id = b.product_id "
    "JOIN practice pr ON pr.id = b.practice_id "
    "LEFT JOIN (SELECT ip.batch_id, ip.practice_id, ip.patient_id, ip.treatment_id, "
    "MIN(ip.treated_at) AS treated_at, SUM(ip.amount_milli) AS amount_milli "
    "FROM injection_point ip WHERE ip.batch_id IN (SELECT b.id FROM aesthetic_batch b "
    "JOIN aesthetic_product prod ON prod.id = b.product_id WHERE "
)
_RECALL_VISITS = (
    ") GROUP BY ip.batch_id, ip.practice_id, ip.patient_id, ip.treatment_id) v "
    "ON v.batch_id = b.id AND v.practice_id = b.practice_id "
    "LEFT JOIN patient p ON p.id = v.patient_id AND p.practice_id = v.practice_id "
    "LEFT JOIN contact_preference cp ON cp.patient_id = p.id "
    "WHERE "
)
_RECALL_ORDER = " ORDER BY v.treated_at, p.id, b.id"


def _uuid(value: object) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def _when(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _flag(value: object, counted: bool) -> bool | None:
    return bool(value) if counted else None


def _row(raw: Any) -> RecallRow:
    counted = raw[23] is not None  # a preference row exists; none means "accepts all"
    return RecallRow(
        _uuid(raw[0]),  # type: ignore[arg-type]
        _uuid(raw[1]),  # type: ignore[arg-type]
        raw[2],
        raw[3],
        raw[4],
        raw[5],
        _uuid(raw[6]),
        raw[7],
        raw[8],
        raw[9],
        raw[10],
        _uuid(raw[11]),
        _when(raw[12]),
        None if raw[13] is None else int(raw[13]),
        bool(raw[14]),
        bool(raw[15]),
        bool(raw[16]),
        bool(raw[17]),
        _flag(raw[18], counted),
        _flag(raw[19], counted),
        _flag(raw[20], counted),
        _flag(raw[21], counted),
        _flag(raw[22], counted),
    )


async def recall_rows(
    allowed: Collection[PracticeId],
    *,
    batch_id: UUID | None = None,
    organization_id: OrganizationId | None = None,
    lot_number: str | None = None,
) -> list[RecallRow]:
    """Every visit that used the batch (or any batch of the organisation's lot) in ``allowed``
    practices, in ONE statement; [] when no such batch exists there."""
    if not allowed:
        return []
    client = Batch._meta.db
    sqlite = client.capabilities.dialect == "sqlite"
    values: list[Any] = []

    def mark(value: object) -> str:
        values.append(str(value) if sqlite and isinstance(value, UUID) else value)
        return "?" if sqlite else f"${len(values)}"

    if batch_id is None and (organization_id is None or lot_number is None):
        raise ValueError("recall_rows needs a batch or an organisation and a lot")

    def where() -> str:
        found = [f"b.practice_id IN ({', '.join(mark(p) for p in sorted(allowed))})"]
        if batch_id is not None:
            found.append(f"b.id = {mark(batch_id)}")
        if organization_id is not None and lot_number is not None:
            found.append(f"b.lot_number = {mark(lot_number)}")
            found.append(f"prod.organization_id = {mark(organization_id)}")
        return " AND ".join(found)

    inner = where()  # the marks are numbered in the order the text uses them
    sql = _RECALL_SELECT + inner + _RECALL_VISITS + where() + _RECALL_ORDER
    _, rows = await client.execute_query(sql, values)
    return [_row(r) for r in rows]


async def consent_form_of_patient(
    practice_id: PracticeId, patient_id: UUID, form_id: UUID
) -> ConsentFormInstance | None:
    return await ConsentFormInstance.filter(
        id=form_id, practice_id=practice_id, patient_id=patient_id
    ).first()


async def usable_batches(practice_id: PracticeId, on: date) -> list[Batch]:
    """The practice's batches not quarantined or expired on ``on``, fullest first."""
    return (
        await Batch.filter(practice_id=practice_id, quarantined_at=None, expires_on__gte=on)
        .order_by("-on_hand_milli", "id")
        .limit(200)
    )


async def practitioner_of_user(practice_id: PracticeId, user_id: UUID) -> Practitioner | None:
    return await Practitioner.filter(practice_id=practice_id, user_id=user_id).first()


async def has_prescriber_registration(practice_id: PracticeId, practitioner_id: UUID) -> bool:
    return await ProfessionalRegistration.exists(
        practice_id=practice_id, practitioner_id=practitioner_id, prescriber=True
    )


async def prescriptions_of_patient(practice_id: PracticeId, patient_id: UUID) -> list[Prescription]:
    return (
        await Prescription.filter(practice_id=practice_id, patient_id=patient_id)
        .order_by("-issued_at", "id")
        .limit(200)
    )


async def consultations_of_patient(
    practice_id: PracticeId, patient_id: UUID
) -> list[AestheticConsultation]:
    return (
        await AestheticConsultation.filter(practice_id=practice_id, patient_id=patient_id)
        .order_by("-held_at", "id")
        .limit(200)
    )

"""Demo injectables: a prescriber's face-to-face consultations, toxin prescriptions and
treatments with face-map points, so ``injectableTreatments``, the totals per product and both
recalls have something real to show.

Uses the practice's products and batches when the stock demo made them; with none, it makes a
minimal pair itself (a prescription-only toxin in units and a filler in ml, one batch of each,
received through the stock ledger) so it also works alone. The clinician becomes a DOCTOR
practitioner with a GMC prescribing registration when they are not one yet. Stock leaves
through ``stock_ledger.record`` (a USED movement per point), as in the real mutation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from db.models import (
    AestheticConsultation,
    Batch,
    InjectableTreatment,
    InjectionPoint,
    Patient,
    Practice,
    Practitioner,
    Prescription,
    Product,
    ProfessionalRegistration,
    User,
)
from db.queries import aesthetic_treatments as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import tenant_gate
from services.aesthetics import stock_ledger
from services.aesthetics.stock_ledger import Move, MovementKind
from services.patients import sealing

TREATED_PATIENTS = 6
# (zone, x, y, units) on FACE_FRONT v1: the classic five-point glabella plus forehead and
# crow's feet.
_TOXIN_POINTS = (
    ("GLABELLA", 0.50, 0.30, 4),
    ("GLABELLA", 0.46, 0.29, 4),
    ("GLABELLA", 0.54, 0.29, 4),
    ("BROW_L", 0.40, 0.27, 2),
    ("BROW_R", 0.60, 0.27, 2),
    ("FOREHEAD", 0.44, 0.18, 2),
    ("FOREHEAD", 0.56, 0.18, 2),
    ("CROWS_FEET_L", 0.30, 0.36, 4),
    ("CROWS_FEET_R", 0.70, 0.36, 4),
)
# (zone, x, y, ml) for a lip filler
_FILLER_POINTS = (("LIPS_UPPER", 0.47, 0.70, "0.3"), ("LIPS_LOWER", 0.53, 0.75, "0.25"))


@dataclass(frozen=True, slots=True)
class _Stock:
    toxin: Product
    toxin_batch: Batch
    filler: Product
    filler_batch: Batch


# Enough on hand for every demo visit (a batch with less is left alone: a new one is made).
_NEEDED = {"TOXIN": TREATED_PATIENTS * 40_000, "FILLER": TREATED_PATIENTS * 1000}


async def _stock(uow: UnitOfWork, practice: Practice, pid: PracticeId, user: User) -> _Stock:
    today = date.today()
    batches = await queries.usable_batches(pid, today)
    products = await queries.products_by_id({UUID(str(b.product_id)) for b in batches})
    by_kind: dict[str, tuple[Product, Batch]] = {}
    for batch in batches:
        product = products[UUID(str(batch.product_id))]
        if batch.on_hand_milli >= _NEEDED.get(product.kind, 0):
            by_kind.setdefault(product.kind, (product, batch))
    if "TOXIN" not in by_kind:
        by_kind["TOXIN"] = await _received(uow, practice, pid, user, "Demo toxin 100U", "TOXIN")
    if "FILLER" not in by_kind:
        by_kind["FILLER"] = await _received(uow, practice, pid, user, "Demo lip filler", "FILLER")
    toxin, toxin_batch = by_kind["TOXIN"]
    filler, filler_batch = by_kind["FILLER"]
    return _Stock(toxin, toxin_batch, filler, filler_batch)


async def _received(
    uow: UnitOfWork, practice: Practice, pid: PracticeId, user: User, name: str, kind: str
) -> tuple[Product, Batch]:
    toxin = kind == "TOXIN"
    product = Product(
        id=uuid4(),
        organization_id=practice.organization_id,
        name=f"{name} ({str(pid)[:4]})",
        brand="Demo",
        kind=kind,
        unit="UNITS" if toxin else "ML",
        prescription_only=toxin,
        reorder_level_milli=100_000 if toxin else 2000,
    )
    await product.save(using_db=uow.connection)
    batch = Batch(
        id=uuid4(),
        practice_id=pid,
        product_id=product.id,
        lot_number=f"DEMO-{'TX' if toxin else 'HA'}-{str(pid)[:4].upper()}",
        expires_on=date.today() + timedelta(days=300),
        quantity_received_milli=500_000 if toxin else 10_000,
        on_hand_milli=0,
        supplier="Demo Wholesale Ltd",
        received_on=date.today() - timedelta(days=30),
        received_by_user_id=user.id,
    )
    await batch.save(using_db=uow.connection)
    await stock_ledger.record(
        uow,
        pid,
        UUID(str(batch.id)),
        Move(
            MovementKind.RECEIVED,
            batch.quantity_received_milli,
            datetime.now(UTC) - timedelta(days=30),
            user.id,
        ),
    )
    return product, batch


async def _prescriber(uow: UnitOfWork, pid: PracticeId, user: User) -> Practitioner:
    found = await queries.practitioner_of_user(pid, UUID(str(user.id)))
    if found is None:
        found = Practitioner(
            id=uuid4(), practice_id=pid, user_id=user.id, display_name=user.full_name, role="DOCTOR"
        )
        await found.save(using_db=uow.connection)
    if not await queries.has_prescriber_registration(pid, UUID(str(found.id))):
        await ProfessionalRegistration(
            id=uuid4(),
            practice_id=pid,
            practitioner_id=found.id,
            body="GMC",
            number=f"{7_100_000 + int(str(pid.int)[-5:]):07d}",
            expires_on=date.today() + timedelta(days=400),
            prescriber=True,
            recorded_by_user_id=user.id,
        ).save(using_db=uow.connection)
    return found


async def seed_injectables(
    practice: Practice, patients: list[Patient], clinician_user: User, rng: random.Random
) -> int:
    """Consultations, prescriptions and treatments for a few adult patients; how many
    treatments were made."""
    pid = tenant_gate.operator_practice(practice.id)
    today = date.today()
    adults = [p for p in patients if (today - p.date_of_birth).days >= 25 * 365]
    made = 0
    async with unit_of_work() as uow:
        stock = await _stock(uow, practice, pid, clinician_user)
        doctor = await _prescriber(uow, pid, clinician_user)
        for patient in adults[:TREATED_PATIENTS]:
            treated_at = datetime.now(UTC) - timedelta(days=rng.randint(3, 25), hours=2)
            prescription = await _prescribed(uow, pid, patient, doctor, stock.toxin, treated_at)
            chosen = rng.sample(_TOXIN_POINTS, k=rng.randint(5, len(_TOXIN_POINTS)))
            points = [
                (stock.toxin, stock.toxin_batch, zone, x, y, units * 1000)
                for zone, x, y, units in chosen
            ]
            await _treated(
                uow, pid, patient, doctor, clinician_user, treated_at, prescription, points
            )
            made += 1
            if made % 3 == 0:
                lips = [
                    (stock.filler, stock.filler_batch, zone, x, y, int(float(ml) * 1000))
                    for zone, x, y, ml in _FILLER_POINTS
                ]
                later = treated_at + timedelta(days=2)
                await _treated(uow, pid, patient, doctor, clinician_user, later, None, lips)
                made += 1
    return made


async def _prescribed(
    uow: UnitOfWork,
    pid: PracticeId,
    patient: Patient,
    doctor: Practitioner,
    toxin: Product,
    treated_at: datetime,
) -> Prescription:
    consultation = AestheticConsultation(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        prescriber_id=doctor.id,
        held_at=treated_at - timedelta(days=3),
        face_to_face=True,
    )
    consultation.notes = sealing.seal(
        consultation, "notes", "Dynamic glabellar and forehead lines; no contraindications."
    )
    await consultation.save(using_db=uow.connection)
    prescription = Prescription(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        prescriber_id=doctor.id,
        consultation_id=consultation.id,
        product_id=toxin.id,
        dose_min_milli=10_000,
        dose_max_milli=40_000,
        issued_at=treated_at - timedelta(days=3),
        valid_until=treated_at + timedelta(days=90),
    )
    prescription.directions = sealing.seal(
        prescription, "directions", "Upper face: glabella, forehead, lateral canthal lines."
    )
    await prescription.save(using_db=uow.connection)
    return prescription


async def _treated(
    uow: UnitOfWork,
    pid: PracticeId,
    patient: Patient,
    doctor: Practitioner,
    user: User,
    treated_at: datetime,
    prescription: Prescription | None,
    points: list[tuple[Product, Batch, str, float, float, int]],
) -> None:
    treatment = InjectableTreatment(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        practitioner_id=doctor.id,
        prescription_id=None if prescription is None else prescription.id,
        treated_at=treated_at,
        recorded_by_user_id=user.id,
    )
    treatment.notes = sealing.seal(treatment, "notes", "Tolerated well; aftercare given.")
    await treatment.save(using_db=uow.connection)
    for position, (product, batch, zone, x, y, milli) in enumerate(points):
        await InjectionPoint(
            id=uuid4(),
            practice_id=pid,
            patient_id=patient.id,
            treatment_id=treatment.id,
            product_id=product.id,
            batch_id=batch.id,
            amount_milli=milli,
            depth="INTRAMUSCULAR" if product.kind == "TOXIN" else "SUBDERMAL",
            technique="BOLUS" if product.kind == "TOXIN" else "LINEAR_THREADING",
            map_key="FACE_FRONT",
            map_version=1,
            zone=zone,
            x=x,
            y=y,
            position=position,
            treated_at=treated_at,
        ).save(using_db=uow.connection)
        await stock_ledger.record(
            uow,
            pid,
            UUID(str(batch.id)),
            Move(
                MovementKind.USED, milli, treated_at, user.id, treatment_id=UUID(str(treatment.id))
            ),
            on=treated_at.date(),
        )

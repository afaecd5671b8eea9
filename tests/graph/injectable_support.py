"""A small aesthetic world for tests: products, batches, a prescribing doctor with a
registration, written directly as rows (stock and registration screens are other features)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from db.models import (
    Batch,
    Organization,
    Patient,
    Practice,
    Practitioner,
    Product,
    ProfessionalRegistration,
    User,
)
from services.policy import Role
from tests import factories


async def product(
    org: Organization, name: str, *, kind: str = "TOXIN", unit: str = "UNITS", pom: bool = True
) -> Product:
    return await Product.create(
        organization_id=org.id,
        name=name,
        brand=name.split()[0],
        kind=kind,
        unit=unit,
        prescription_only=pom,
    )


async def batch(
    practice: Practice,
    product_: Product,
    lot: str,
    *,
    on_hand: int = 100_000,
    expires_on: date | None = None,
    quarantined: bool = False,
) -> Batch:
    return await Batch.create(
        practice_id=practice.id,
        product_id=product_.id,
        lot_number=lot,
        expires_on=expires_on or date.today() + timedelta(days=300),
        quantity_received_milli=on_hand,
        on_hand_milli=on_hand,
        supplier="Wholesaler Ltd",
        received_on=date.today() - timedelta(days=10),
        quarantined_at=datetime.now(UTC) if quarantined else None,
    )


async def practitioner(
    practice: Practice,
    user: User | None = None,
    *,
    role: str = "DOCTOR",
    prescriber: bool = True,
    expires_on: date | None = None,
) -> tuple[Practitioner, User]:
    user = user or await factories.user(Role.DENTIST, practice)
    found = await Practitioner.create(
        practice_id=practice.id, user_id=user.id, display_name=f"Dr {user.full_name}", role=role
    )
    await ProfessionalRegistration.create(
        practice_id=practice.id,
        practitioner_id=found.id,
        body="GMC",
        number=str(7_000_000 + hash(uuid4()) % 999_999),
        expires_on=expires_on or date.today() + timedelta(days=365),
        prescriber=prescriber,
    )
    return found, user


@dataclass
class Clinic:
    org: Organization
    practice: Practice
    patient: Patient
    toxin: Product
    filler: Product
    toxin_batch: Batch
    filler_batch: Batch
    doctor: Practitioner
    doctor_user: User
    token: str


async def clinic(org: Organization | None = None, lot: str = "TOX-LOT-1") -> Clinic:
    org = org or await factories.organization()
    practice = await factories.practice(org)
    patient = await factories.patient(practice)
    toxin = await Product.filter(organization_id=org.id, name="Botox 100U").first()
    if toxin is None:
        toxin = await product(org, "Botox 100U")
    filler = await Product.filter(organization_id=org.id, name="Juvederm Volift").first()
    if filler is None:
        filler = await product(org, "Juvederm Volift", kind="FILLER", unit="ML", pom=False)
    toxin_batch = await batch(practice, toxin, lot)
    filler_batch = await batch(practice, filler, "FIL-LOT-1", on_hand=5000)
    doctor, user = await practitioner(practice)
    return Clinic(
        org,
        practice,
        patient,
        toxin,
        filler,
        toxin_batch,
        filler_batch,
        doctor,
        user,
        factories.access_token(user),
    )


def point(product_: Product, batch_: Batch, amount: str, **overrides: Any) -> dict[str, Any]:
    return {
        "productId": str(product_.id),
        "batchId": str(batch_.id),
        "amount": amount,
        "depth": "INTRAMUSCULAR",
        "technique": "BOLUS",
        "mapKey": "FACE_FRONT",
        "mapVersion": 1,
        "zone": "GLABELLA",
        "x": 0.5,
        "y": 0.3,
        **overrides,
    }

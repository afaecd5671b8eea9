"""An aesthetic corner of the scheduling test diary: a toxin type with a 48-hour cooling-off
period that needs a registered practitioner, consultation consent forms signed (written straight
through the model, as the forms service would) and professional registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from db.models import (
    AppointmentType,
    ConsentFormInstance,
    ConsentFormTemplate,
    Patient,
    ProfessionalRegistration,
)
from tests.scheduling_fixtures import Diary, diary

COOLING_OFF_HOURS = 48


@dataclass
class Aesthetic:
    d: Diary
    toxin: AppointmentType

    @property
    def practice_id(self) -> Any:
        return self.d.practice.id


async def aesthetic(**practice_values: Any) -> Aesthetic:
    d = await diary(**practice_values)
    toxin = await AppointmentType.create(
        practice_id=d.practice.id,
        name="Anti-wrinkle (toxin)",
        duration_minutes=30,
        restricted_procedure=True,
        aesthetic_kind="TOXIN",
        cooling_off_hours=COOLING_OFF_HOURS,
        requires_registration=True,
    )
    return Aesthetic(d, toxin)


async def signed_consultation(
    a: Aesthetic,
    signed_at: datetime,
    *,
    patient: Patient | None = None,
    kind: str = "TOXIN",
    purpose: str = "CONSULTATION",
    status: str = "SIGNED",
    voided: bool = False,
) -> ConsentFormInstance:
    template = await ConsentFormTemplate.create(
        practice_id=a.practice_id,
        form_key=uuid4(),
        title=f"{kind} {purpose}",
        treatment_kind=kind,
        purpose=purpose,
        risks_text="Bruising, asymmetry.",
    )
    return await ConsentFormInstance.create(
        practice_id=a.practice_id,
        patient_id=(patient or a.d.patient).id,
        template_id=template.id,
        purpose=purpose,
        treatment_kind=kind,
        status=status,
        signed_at=signed_at.astimezone(UTC) if status != "PENDING" else None,
        voided_at=datetime.now(UTC) if voided else None,
    )


async def registration(
    a: Aesthetic,
    expires_on: date | None = None,
    *,
    revoked: bool = False,
    body: str = "GMC",
    number: str = "1234567",
) -> ProfessionalRegistration:
    return await ProfessionalRegistration.create(
        practice_id=a.practice_id,
        practitioner_id=a.d.dentist.id,
        body=body,
        number=number,
        expires_on=expires_on or date.today() + timedelta(days=365),
        prescriber=True,
        revoked_at=datetime.now(UTC) if revoked else None,
    )

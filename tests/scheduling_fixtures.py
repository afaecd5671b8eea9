"""A small diary for scheduling tests: one practice in London, a dentist working every day
08:00-18:00, two rooms, exam and filler types, a receptionist and a patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db.models import (
    Appointment,
    AppointmentType,
    Patient,
    Practice,
    Practitioner,
    Room,
    User,
    WorkingSession,
)
from services.auth.principal_loader import principal_for_user
from services.policy import Role
from services.principal import Principal, RequestMeta
from tests import factories

LONDON = ZoneInfo("Europe/London")


@dataclass
class Diary:
    practice: Practice
    dentist: Practitioner
    dentist_user: User
    room: Room
    room2: Room
    exam: AppointmentType
    filler: AppointmentType
    patient: Patient
    receptionist: User
    token: str

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """A local wall-clock time ``days`` from today, as an aware datetime."""
        day = date.today() + timedelta(days=days)
        return datetime.combine(day, time(hour, minute), LONDON)

    def appointment(self, starts_at: datetime, ends_at: datetime) -> Appointment:
        """An exam of the diary's patient with the dentist in room 1, not yet saved (written
        straight to the table: no booking rules, no occupancy blocks)."""
        return Appointment(
            practice_id=self.practice.id,
            patient_id=self.patient.id,
            practitioner_id=self.dentist.id,
            room_id=self.room.id,
            appointment_type_id=self.exam.id,
            starts_at=starts_at,
            ends_at=ends_at,
        )

    async def principal(self, user: User | None = None) -> Principal:
        return await principal_for_user(
            user or self.receptionist, mfa_passed=True, claims={}, meta=RequestMeta()
        )


async def practitioner(practice: Practice, room: Room, role: Role = Role.DENTIST) -> Practitioner:
    user = await factories.user(role, practice)
    found = await Practitioner.create(
        practice_id=practice.id,
        user_id=user.id,
        display_name=user.full_name,
        role=role.value,
        default_room_id=room.id,
    )
    for weekday in range(7):
        await WorkingSession.create(
            practice_id=practice.id,
            practitioner_id=found.id,
            weekday=weekday,
            start_minute=8 * 60,
            end_minute=18 * 60,
            valid_from=date(2020, 1, 1),
        )
    return found


async def diary(**practice_values: Any) -> Diary:
    practice = await factories.practice()
    for name, value in practice_values.items():
        setattr(practice, name, value)
    await practice.save()
    room = await Room.create(practice_id=practice.id, name="Surgery 1")
    room2 = await Room.create(practice_id=practice.id, name="Surgery 2")
    dentist = await practitioner(practice, room)
    exam = await AppointmentType.create(
        practice_id=practice.id, name="Examination", duration_minutes=30, recall_kind="EXAM"
    )
    filler = await AppointmentType.create(
        practice_id=practice.id,
        name="Dermal filler",
        duration_minutes=45,
        restricted_procedure=True,
    )
    patient = await factories.patient(practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    return Diary(
        practice=practice,
        dentist=dentist,
        dentist_user=await User.get(id=dentist.user_id),
        room=room,
        room2=room2,
        exam=exam,
        filler=filler,
        patient=patient,
        receptionist=receptionist,
        token=factories.access_token(receptionist),
    )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


MATRIX_TYPE_ID = "00000000-0000-4000-8000-000000000007"


async def seed_matrix_appointment(practice: Any, patient: Any) -> None:
    """For the permission matrix: an appointment with a clinical note on 2030-01-15, under
    its practitioner's absence (so ``strandedAppointments`` lists it too)."""
    from db.models import Absence, Appointment
    from services import runtime
    from services.scheduling.booking import clinical_context

    room = await Room.create(practice_id=practice.id, name="Matrix room")
    found = await practitioner(practice, room)
    kind = await AppointmentType.create(
        id=MATRIX_TYPE_ID, practice_id=practice.id, name="Matrix exam", duration_minutes=30
    )
    row = Appointment(
        practice_id=practice.id,
        patient_id=patient.id,
        practitioner_id=found.id,
        room_id=room.id,
        appointment_type_id=kind.id,
        starts_at=datetime(2030, 1, 15, 10, tzinfo=UTC),
        ends_at=datetime(2030, 1, 15, 10, 30, tzinfo=UTC),
    )
    row.clinical_note = runtime.keyring().encrypt("Sensitive.", clinical_context(row))
    await row.save()
    await Absence.create(
        practice_id=practice.id,
        practitioner_id=found.id,
        kind="TRAINING",
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


async def seed_matrix_registration(practice: Any) -> None:
    """For the permission matrix: a registration of the practice's first practitioner."""
    from db.models import ProfessionalRegistration

    found = await Practitioner.filter(practice_id=practice.id).first()
    assert found is not None
    await ProfessionalRegistration.create(
        practice_id=practice.id,
        practitioner_id=found.id,
        body="NMC",
        number="12A3456E",
        expires_on=date(2099, 1, 1),
        prescriber=True,
    )

"""Diary entries, their history, and the occupancy rows that keep them conflict-free.

Every appointment or hold occupies one ``ScheduleBlock`` per thing it uses (practitioner, room,
patient, extra resource), keyed ``"<kind>:<id>"``. On PostgreSQL an exclusion constraint on
(key, time range) among active blocks makes double booking impossible even under concurrency.
"""

from datetime import timedelta
from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient
from db.models.scheduling import (
    LONGEST_BUFFER_MINUTES,
    AppointmentType,
    ExtraResource,
    Practitioner,
    Room,
)

# Booking refuses anything longer (services.scheduling.rules). Reads of a day rely on it: an
# appointment overlapping the day began at most this long before it, so the scan of the
# (practice, start) index starts there instead of at the practice's first appointment.
LONGEST_APPOINTMENT = timedelta(hours=12)
# A schedule block is an appointment's (or hold's) span plus its type's buffer: the same bound
# for the conflict checks' scan of the (key, start) index.
LONGEST_BLOCK = LONGEST_APPOINTMENT + timedelta(minutes=LONGEST_BUFFER_MINUTES)


class Appointment(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name="appointments", on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="appointments", on_delete=fields.RESTRICT
    )
    patient_id: str
    practitioner: fields.ForeignKeyRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name="appointments", on_delete=fields.RESTRICT
    )
    practitioner_id: str
    room: fields.ForeignKeyRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name=False, on_delete=fields.RESTRICT
    )
    room_id: str
    appointment_type: fields.ForeignKeyRelation[AppointmentType] = fields.ForeignKeyField(
        "models.AppointmentType", related_name=False, on_delete=fields.RESTRICT
    )
    appointment_type_id: str
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    status = fields.CharField(max_length=20, default="BOOKED")
    source = fields.CharField(max_length=16, default="RECEPTION")
    reception_notes = fields.TextField(null=True)
    clinical_note = fields.TextField(null=True)  # ciphertext, see db.crypto
    booked_by_id = fields.UUIDField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    arrived_at = fields.DatetimeField(null=True)
    seated_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by_id = fields.UUIDField(null=True)
    cancel_reason = fields.CharField(max_length=300, null=True)
    # services.scheduling.kinds.CancelCode; null: cancelled before codes existed, or not cancelled.
    cancel_code = fields.CharField(max_length=32, null=True)
    late_cancellation = fields.BooleanField(default=False)
    # Restricted procedures: the patient's age at the appointment, as checked when booking.
    age_checked_years = fields.IntField(null=True)
    # The patient asked for a call (an SMS reply that was not a usable YES): when, and why as a
    # code (services.scheduling.call_requests.CallReason). Null: no call is waiting. Columns on
    # the row, so the board reads them in its one statement.
    call_requested_at = fields.DatetimeField(null=True)
    call_reason = fields.CharField(max_length=16, null=True)
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "status": "a fixed code from a closed list, not free text",
        "source": "a fixed code from a closed list, not free text",
        "cancel_code": "a fixed code from a closed list, not free text",
        "call_reason": "a fixed code from a closed list, not free text (never the SMS body)",
        "cancel_reason": (
            "short reason (300 characters) shown to reception and used in cancellation "
            "statistics; the form asks for a category of reason, not clinical detail"
        ),
    }

    class Meta:
        table = "appointment"
        ordering = ["starts_at", "id"]
        indexes = (("practice_id", "starts_at"), ("patient_id", "starts_at"))


class AppointmentResource(Entity):
    appointment: fields.ForeignKeyRelation[Appointment] = fields.ForeignKeyField(
        "models.Appointment", related_name="extra_resources", on_delete=fields.CASCADE
    )
    appointment_id: str
    resource: fields.ForeignKeyRelation[ExtraResource] = fields.ForeignKeyField(
        "models.ExtraResource", related_name=False, on_delete=fields.RESTRICT
    )
    resource_id: str

    class Meta:
        table = "appointment_resource"
        unique_together = (("appointment", "resource"),)


class AppointmentChange(Entity):
    """History: every reschedule and status change, with who and what it was before."""

    appointment: fields.ForeignKeyRelation[Appointment] = fields.ForeignKeyField(
        "models.Appointment", related_name="changes", on_delete=fields.CASCADE
    )
    appointment_id: str
    kind = fields.CharField(max_length=20)  # BOOKED, RESCHEDULED, STATUS
    changed_by_id = fields.UUIDField(null=True)
    before: dict[str, object] = fields.JSONField(default=dict)
    after: dict[str, object] = fields.JSONField(default=dict)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "before": (
            "times, status, practitioner/room ids and whether a call was waiting "
            "(services.scheduling.change_records.snapshot), no free text"
        ),
        "after": (
            "times, status, practitioner/room ids and whether a call was waiting "
            "(services.scheduling.change_records.snapshot), no free text"
        ),
    }

    class Meta:
        table = "appointment_change"
        ordering = ["created_at", "id"]


class SlotHold(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.CASCADE
    )
    practice_id: str
    practitioner_id = fields.UUIDField()
    room_id = fields.UUIDField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    held_by_id = fields.UUIDField(null=True)
    client_id = fields.CharField(max_length=100, null=True)
    status = fields.CharField(max_length=16, default="ACTIVE")  # RELEASED, EXPIRED, USED

    plaintext_columns: ClassVar[dict[str, str]] = {
        "client_id": "the partner app's client id, not personal data",
        "status": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "slot_hold"


class ScheduleBlock(Entity):
    practice_id = fields.UUIDField()
    key = fields.CharField(max_length=60)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    active = fields.BooleanField(default=True)
    appointment: fields.ForeignKeyNullableRelation[Appointment] = fields.ForeignKeyField(
        "models.Appointment", related_name=False, null=True, on_delete=fields.CASCADE
    )
    appointment_id: str | None
    hold: fields.ForeignKeyNullableRelation[SlotHold] = fields.ForeignKeyField(
        "models.SlotHold", related_name=False, null=True, on_delete=fields.CASCADE
    )
    hold_id: str | None

    plaintext_columns: ClassVar[dict[str, str]] = {
        "key": "'<kind>:<uuid>' occupancy key: ids only",
    }

    class Meta:
        table = "schedule_block"
        indexes = (("key", "starts_at"),)

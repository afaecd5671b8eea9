"""What queues which patient message: a freed slot offered to the waitlist, a completed
treatment, a data-subject request, the recall sweep (once per due date)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from db.models import AppointmentType, Message, Recall
from db.models.privacy import RequestKind
from services.consent import requests
from services.jobs import catalogue
from services.messaging import recall_reminders
from services.scheduling import booking, waitlist, workflow
from services.scheduling.booking import BookingRequest
from services.scheduling.waitlist import WaitlistRequest
from tests import factories
from tests.messaging_support import contactable
from tests.scheduling_fixtures import Diary, diary

catalogue.load()


async def _book(d: Diary, type_id: object, starts_at: datetime) -> object:
    request = BookingRequest(
        practice_id=d.practice.id,
        patient_id=d.patient.id,
        practitioner_id=d.dentist.id,
        appointment_type_id=type_id,  # type: ignore[arg-type]
        starts_at=starts_at,
    )
    return await booking.book(await d.principal(), request=request)


async def test_a_freed_slot_offered_to_the_waitlist_queues_the_offer(db: str) -> None:
    d = await diary()
    waiting = await contactable(await factories.patient(d.practice), mobile="07700 900555")
    principal = await d.principal()
    await waitlist.add(
        principal,
        request=WaitlistRequest(
            practice_id=d.practice.id, patient_id=waiting.id, appointment_type_id=d.exam.id
        ),
    )
    appointment = await _book(d, d.exam.id, d.at(7, 10))
    await booking.cancel(principal, appointment_id=appointment.id, reason="Unwell")  # type: ignore[attr-defined]
    [offer] = await Message.filter(purpose="WAITLIST_OFFER")
    assert offer.patient_id == waiting.id
    assert offer.channel == "SMS"
    assert offer.status == "QUEUED"


async def test_a_completed_treatment_queues_care_instructions_and_an_exam_does_not(
    db: str,
) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    extraction = await AppointmentType.create(
        practice_id=d.practice.id, name="Extraction", duration_minutes=30
    )
    dentist = await d.principal(d.dentist_user)
    for type_id, hour in ((extraction.id, 9), (d.exam.id, 11)):
        appointment = await _book(d, type_id, d.at(1, hour))  # tomorrow: never in the past
        for status in (
            workflow.Status.CONFIRMED,
            workflow.Status.ARRIVED,
            workflow.Status.IN_SURGERY,
            workflow.Status.COMPLETED,
        ):
            await workflow.set_status(dentist, appointment_id=appointment.id, status=status)  # type: ignore[attr-defined]
    [care] = await Message.filter(purpose="CARE_INSTRUCTIONS")
    assert care.template_name == "care_instructions"
    assert care.channel == "EMAIL"


async def test_a_data_subject_request_queues_its_notice(db: str) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    received = await requests.receive(
        await d.principal(), patient_id=d.patient.id, kind=RequestKind.ACCESS, received_at=None
    )
    [notice] = await Message.filter(purpose="DSR_NOTICE")
    assert notice.subject_id == received.id
    assert notice.contact_purpose == "LEGAL"


async def test_the_recall_sweep_reminds_once_per_due_date(db: str) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    soon = date.today() + timedelta(days=10)
    recall = await Recall.create(
        practice_id=d.practice.id,
        patient_id=d.patient.id,
        kind="EXAM",
        interval_months=6,
        due_on=soon,
    )
    later = await contactable(await factories.patient(d.practice), email_address="b@example.com")
    await Recall.create(
        practice_id=d.practice.id,
        patient_id=later.id,
        kind="EXAM",
        interval_months=6,
        due_on=soon + timedelta(days=60),
    )
    now = datetime.now(UTC)
    assert await recall_reminders.sweep(now=now) == 1
    assert await recall_reminders.sweep(now=now) == 0
    [reminder] = await Message.filter(purpose="RECALL_REMINDER")
    assert reminder.subject_id == recall.id
    assert reminder.patient_id == d.patient.id

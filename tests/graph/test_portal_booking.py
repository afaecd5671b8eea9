"""Portal self-service: a patient books a free slot of a type offered online and cancels their
own booking; nothing of another patient is reachable, and staff use the reception mutations."""

from __future__ import annotations

from typing import Any

import httpx

from db.models import Appointment, AuditEvent, DomainEvent
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.graph.test_schedule_sessions import DAY, local
from tests.scheduling_fixtures import Diary, diary, iso

TYPES = """
query T($practiceId: ID!) { onlineAppointmentTypes(practiceId: $practiceId) { id name } }"""
SLOTS = """
query S($practiceId: ID!, $typeId: ID!, $from: DateTime!, $to: DateTime!) {
  availableSlots(practiceId: $practiceId, appointmentTypeId: $typeId, from: $from, to: $to) {
    startsAt practitionerId
  }
}"""
BOOK_OWN = """
mutation B($input: BookOwnAppointmentInput!) {
  bookOwnAppointment(input: $input) { appointment { id patientId source status startsAt } }
}"""
CANCEL_OWN = """
mutation C($input: CancelOwnAppointmentInput!) {
  cancelOwnAppointment(input: $input) { appointment { id status } }
}"""
BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) { appointments { id patient { id } } }
}"""


async def portal(d: Diary) -> str:
    """The diary's patient signed in to the portal; the exam type is offered online."""
    d.exam.online_bookable = True
    await d.exam.save()
    user = await factories.user(Role.PATIENT, d.practice, patient_id=d.patient.id)
    return factories.access_token(user)


def own(d: Diary, start: str, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "practiceId": str(d.practice.id),
            "patientId": str(d.patient.id),
            "practitionerId": str(d.dentist.id),
            "appointmentTypeId": str(d.exam.id),
            "startsAt": start,
            **overrides,
        }
    }


def day_span(d: Diary) -> dict[str, str]:
    return {"practiceId": str(d.practice.id), "from": iso(local(DAY, 0)), "to": iso(local(DAY, 23))}


async def test_a_patient_books_an_offered_slot_and_cancels_it(client: httpx.AsyncClient) -> None:
    d = await diary()
    token = await portal(d)
    types = await gql(client, TYPES, {"practiceId": str(d.practice.id)}, token=token)
    assert types.data["onlineAppointmentTypes"] == [{"id": str(d.exam.id), "name": "Examination"}]
    offered = await gql(client, SLOTS, {**day_span(d), "typeId": str(d.exam.id)}, token=token)
    assert offered.errors == []
    first = offered.data["availableSlots"][0]
    made = await gql(client, BOOK_OWN, own(d, first["startsAt"]), token=token)
    assert made.errors == []
    appointment = made.data["bookOwnAppointment"]["appointment"]
    assert appointment["source"] == "PORTAL"
    assert appointment["patientId"] == str(d.patient.id)
    assert await DomainEvent.exists(entity_id=appointment["id"], type="appointment.booked")
    assert await AuditEvent.exists(action="BOOK_APPOINTMENT", entity_id=appointment["id"])
    # The slot is gone from what is offered; booking it again is refused.
    again = await gql(client, BOOK_OWN, own(d, first["startsAt"]), token=token)
    assert again.codes == ["CONFLICT"]
    cancel = {"input": {"appointmentId": appointment["id"], "reason": "Cannot make it"}}
    done = await gql(client, CANCEL_OWN, cancel, token=token)
    assert done.errors == []
    assert done.data["cancelOwnAppointment"]["appointment"]["status"] == "CANCELLED"
    assert (await Appointment.get(id=appointment["id"])).cancelled_by_id is not None


async def test_only_offered_types_and_listed_starts_are_bookable(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    token = await portal(d)
    filler = {**day_span(d), "typeId": str(d.filler.id)}
    assert (await gql(client, SLOTS, filler, token=token)).codes == ["NOT_FOUND"]
    start = local(DAY, 10)
    cases = [
        (own(d, iso(start), appointmentTypeId=str(d.filler.id)), "NOT_FOUND"),  # not online
        (own(d, iso(local(DAY, 10, 7))), "CONFLICT"),  # not a listed start
        (own(d, iso(local(DAY, 19))), "CONFLICT"),  # outside the sessions
        (own(d, iso(d.at(-1, 10))), "CONFLICT"),  # in the past
    ]
    for variables, code in cases:
        result = await gql(client, BOOK_OWN, variables, token=token)
        assert result.codes == [code], variables
    assert await Appointment.filter(practice_id=d.practice.id).count() == 0


async def test_no_other_patients_booking_or_data_is_reachable(client: httpx.AsyncClient) -> None:
    d = await diary()
    token = await portal(d)
    other = await factories.patient(d.practice)
    theirs = await gql(
        client, BOOK, booking(d, iso(local(DAY, 11)), patientId=str(other.id)), token=d.token
    )
    their_id = theirs.data["bookAppointment"]["appointment"]["id"]
    mine = await gql(client, BOOK_OWN, own(d, iso(local(DAY, 9))), token=token)
    assert mine.errors == []
    mine_id = mine.data["bookOwnAppointment"]["appointment"]["id"]
    # Booking for another patient, cancelling their appointment: like a random id.
    for_other = await gql(
        client, BOOK_OWN, own(d, iso(local(DAY, 14)), patientId=str(other.id)), token=token
    )
    assert for_other.codes == ["NOT_FOUND"]
    cancel = {"input": {"appointmentId": their_id, "reason": "Mischief"}}
    random = {"input": {"appointmentId": "0b0e6d4c-1111-4a4a-9b9b-123456789abc", "reason": "x"}}
    refused = await gql(client, CANCEL_OWN, cancel, token=token)
    unknown = await gql(client, CANCEL_OWN, random, token=token)
    assert refused.codes == unknown.codes == ["NOT_FOUND"]
    assert refused.errors[0]["message"] == unknown.errors[0]["message"]
    assert (await Appointment.get(id=their_id)).status == "BOOKED"
    # The patient's board holds their own booking only.
    board = await gql(client, BOARD, day_span(d), token=token)
    assert [a["id"] for a in board.data["schedule"]["appointments"]] == [mine_id]
    assert str(other.id) not in str(board.body)
    # Reception's mutations stay staff-only; the portal's are patients' only.
    staff_way = await gql(client, BOOK, booking(d, iso(local(DAY, 15))), token=token)
    assert staff_way.codes == ["FORBIDDEN"]
    portal_way = await gql(client, BOOK_OWN, own(d, iso(local(DAY, 15))), token=d.token)
    assert portal_way.codes == ["FORBIDDEN"]


async def test_administrators_choose_which_types_are_offered_online(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    token = await portal(d)
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    create = """
    mutation N($input: CreateAppointmentTypeInput!) {
      createAppointmentType(input: $input) { id }
    }"""
    values = {"practiceId": str(d.practice.id), "durationMinutes": 45, "onlineBookable": True}
    made = await gql(client, create, {"input": {**values, "name": "Hygiene"}}, token=admin)
    assert made.errors == []
    offline = await gql(
        client,
        create,
        {"input": {**values, "name": "Implant consult", "onlineBookable": False}},
        token=admin,
    )
    assert offline.errors == []
    listed = await gql(client, TYPES, {"practiceId": str(d.practice.id)}, token=token)
    assert [t["name"] for t in listed.data["onlineAppointmentTypes"]] == ["Examination", "Hygiene"]

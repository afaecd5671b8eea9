"""The booking-time rules through the real mutations and ``availableSlots``: cooling-off after
the signed consultation consent, the practitioner's registration, and the statement budget."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from db.models import Appointment, AuditEvent, SlotHold
from services.policy import Role
from services.scheduling import booking_rules
from tests import factories
from tests.aesthetic_rules_support import Aesthetic, aesthetic, registration, signed_consultation
from tests.factories import gql
from tests.scheduling_fixtures import iso
from tests.sql_counter import count_statements

BOOK = """
mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { appointment { id startsAt ageCheckedYears } }
}"""
RESCHEDULE = """
mutation M($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { appointment { startsAt } }
}"""
HOLD = """
mutation H($input: HoldSlotInput!) { holdSlot(input: $input) { hold { id } } }"""
REVOKE = """
mutation R($input: RevokeRegistrationInput!) {
  revokeRegistration(input: $input) { registration { id revokedAt } }
}"""
SLOTS = """
query Slots($practiceId: ID!, $typeId: ID!, $from: DateTime!, $to: DateTime!, $patientId: ID) {
  availableSlots(practiceId: $practiceId, appointmentTypeId: $typeId, from: $from, to: $to,
                 patientId: $patientId) { startsAt practitionerId }
}"""


def booking(a: Aesthetic, start: datetime, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "practiceId": str(a.practice_id),
            "patientId": str(a.d.patient.id),
            "practitionerId": str(a.d.dentist.id),
            "appointmentTypeId": str(a.toxin.id),
            "startsAt": iso(start),
            **overrides,
        }
    }


async def test_booking_inside_the_cooling_off_period_is_refused_naming_the_earliest_start(
    client: httpx.AsyncClient,
) -> None:
    a = await aesthetic()
    await registration(a)
    signed = a.d.at(5, 11, 30)
    await signed_consultation(a, signed)
    inside = await gql(client, BOOK, booking(a, a.d.at(7, 11)), token=a.d.token)
    assert inside.codes == ["CONFLICT"]
    error = inside.errors[0]
    assert error["extensions"]["field"] == "startsAt"
    earliest = signed + timedelta(hours=48)
    assert f"{earliest:%Y-%m-%d} 11:30 (Europe/London)" in error["message"]
    assert datetime.fromisoformat(error["extensions"]["earliestAllowedStart"]) == earliest
    assert await Appointment.filter(practice_id=a.practice_id).count() == 0
    at_boundary = await gql(client, BOOK, booking(a, earliest), token=a.d.token)
    assert at_boundary.errors == []
    assert at_boundary.data["bookAppointment"]["appointment"]["ageCheckedYears"] >= 18


async def test_no_signed_consultation_consent_is_a_conflict_and_dental_work_is_untouched(
    client: httpx.AsyncClient,
) -> None:
    a = await aesthetic()
    await registration(a)
    await signed_consultation(a, a.d.at(-10, 9), voided=True)
    refused = await gql(client, BOOK, booking(a, a.d.at(7, 11)), token=a.d.token)
    assert refused.codes == ["CONFLICT"]
    assert refused.errors[0]["extensions"]["field"] == "patientId"
    assert "consultation consent" in refused.errors[0]["message"]
    exam = booking(a, a.d.at(7, 11), appointmentTypeId=str(a.d.exam.id))
    assert (await gql(client, BOOK, exam, token=a.d.token)).errors == []


async def test_rescheduling_into_the_cooling_off_period_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    a = await aesthetic()
    await registration(a)
    await signed_consultation(a, a.d.at(3, 10))
    made = await gql(client, BOOK, booking(a, a.d.at(7, 10)), token=a.d.token)
    appointment_id = made.data["bookAppointment"]["appointment"]["id"]
    move = {"input": {"appointmentId": appointment_id, "startsAt": iso(a.d.at(4, 10))}}
    refused = await gql(client, RESCHEDULE, move, token=a.d.token)
    assert refused.codes == ["CONFLICT"]
    assert refused.errors[0]["extensions"]["field"] == "startsAt"
    assert (await Appointment.get(id=appointment_id)).starts_at == a.d.at(7, 10)
    later = {"input": {"appointmentId": appointment_id, "startsAt": iso(a.d.at(6, 10))}}
    assert (await gql(client, RESCHEDULE, later, token=a.d.token)).errors == []


async def test_a_revoked_or_lapsed_registration_blocks_booking_and_holding(
    client: httpx.AsyncClient,
) -> None:
    a = await aesthetic()
    await signed_consultation(a, a.d.at(-10, 9))
    row = await registration(a, a.d.at(8, 9).date())
    # Lapsed by the day of the appointment.
    lapsed = await gql(client, BOOK, booking(a, a.d.at(9, 11)), token=a.d.token)
    assert lapsed.codes == ["CONFLICT"]
    assert lapsed.errors[0]["extensions"]["field"] == "practitionerId"
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, a.d.practice))
    revoke = {"input": {"practiceId": str(a.practice_id), "registrationId": str(row.id)}}
    assert (await gql(client, REVOKE, revoke, token=admin)).errors == []
    revoked = await gql(client, BOOK, booking(a, a.d.at(7, 11)), token=a.d.token)
    assert revoked.codes == ["CONFLICT"]
    assert revoked.errors[0]["extensions"]["field"] == "practitionerId"
    hold = {
        "input": {
            "practiceId": str(a.practice_id),
            "practitionerId": str(a.d.dentist.id),
            "appointmentTypeId": str(a.toxin.id),
            "startsAt": iso(a.d.at(7, 11)),
        }
    }
    refused_hold = await gql(client, HOLD, hold, token=a.d.token)
    assert refused_hold.codes == ["CONFLICT"]
    assert refused_hold.errors[0]["extensions"]["field"] == "practitionerId"
    assert await SlotHold.filter(practice_id=a.practice_id).count() == 0
    assert await Appointment.filter(practice_id=a.practice_id).count() == 0


async def test_the_age_refusal_is_still_audited_through_the_engine(
    client: httpx.AsyncClient,
) -> None:
    a = await aesthetic()
    minor = await factories.patient(a.d.practice, date_of_birth=date(date.today().year - 17, 1, 1))
    refused = await gql(
        client, BOOK, booking(a, a.d.at(7, 11), patientId=str(minor.id)), token=a.d.token
    )
    assert refused.codes == ["BAD_USER_INPUT"]
    assert refused.errors[0]["extensions"]["field"] == "patientId"
    denied = await AuditEvent.filter(action="AGE_CHECK", patient_id=minor.id)
    assert [row.outcome for row in denied] == ["DENIED"]


def _starts(result: Any) -> list[datetime]:
    assert result.errors == [], result.errors
    return [datetime.fromisoformat(s["startsAt"]) for s in result.data["availableSlots"]]


def _slots(a: Aesthetic, start: datetime, end: datetime, patient: Any = None) -> dict[str, Any]:
    return {
        "practiceId": str(a.practice_id),
        "typeId": str(a.toxin.id),
        "from": iso(start),
        "to": iso(end),
        "patientId": None if patient is None else str(patient.id),
    }


async def test_available_slots_for_a_patient_skip_the_cooling_off_period(
    client: httpx.AsyncClient,
) -> None:
    a = await aesthetic()
    await registration(a)
    await signed_consultation(a, a.d.at(6, 12))
    day = (a.d.at(8, 8), a.d.at(8, 18))
    anyone = _starts(await gql(client, SLOTS, _slots(a, *day), token=a.d.token))
    assert min(anyone) == a.d.at(8, 8)
    theirs = _starts(await gql(client, SLOTS, _slots(a, *day, a.d.patient), token=a.d.token))
    assert theirs == [s for s in anyone if s >= a.d.at(8, 12)]
    assert min(theirs) == a.d.at(8, 12)  # exactly 48 hours after signing
    read = await AuditEvent.filter(patient_id=a.d.patient.id, entity_type="Patient")
    assert any("availableSlots" in (row.fields_read or []) for row in read), [
        (r.action, r.fields_read) for r in read
    ]
    unsigned = await factories.patient(a.d.practice)
    none = await gql(client, SLOTS, _slots(a, *day, unsigned), token=a.d.token)
    assert _starts(none) == []
    exam = {**_slots(a, *day, unsigned), "typeId": str(a.d.exam.id)}
    assert len(_starts(await gql(client, SLOTS, exam, token=a.d.token))) > 0


async def test_available_slots_for_a_patient_skip_days_the_registration_does_not_cover(
    client: httpx.AsyncClient,
) -> None:
    a = await aesthetic()
    await registration(a, a.d.at(8, 9).date())
    await signed_consultation(a, a.d.at(-10, 9))
    span = (a.d.at(7, 8), a.d.at(10, 8))
    anyone = _starts(await gql(client, SLOTS, _slots(a, *span), token=a.d.token))
    assert {s.date() for s in anyone} == {a.d.at(d, 9).date() for d in (7, 8, 9)}
    theirs = _starts(await gql(client, SLOTS, _slots(a, *span, a.d.patient), token=a.d.token))
    assert {s.date() for s in theirs} == {a.d.at(d, 9).date() for d in (7, 8)}
    foreign = await factories.patient(await factories.practice())
    hidden = await gql(client, SLOTS, _slots(a, *span, foreign), token=a.d.token)
    assert hidden.codes == ["NOT_FOUND"]


async def test_the_engine_adds_at_most_two_statements_to_a_booking(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts: dict[bool, int] = {}
    for on in (False, True):
        a = await aesthetic()
        await registration(a)
        await signed_consultation(a, a.d.at(-10, 9))
        variables = booking(a, a.d.at(7, 11))
        with monkeypatch.context() as patch:
            if not on:
                patch.setattr(booking_rules, "RULES", ())
            with count_statements(monkeypatch) as statements:
                result = await gql(client, BOOK, variables, token=a.d.token)
        assert result.errors == []
        counts[on] = len(statements)
    assert counts[True] - counts[False] <= 2, counts


CREATE_TYPE = """
mutation N($input: CreateAppointmentTypeInput!) { createAppointmentType(input: $input) { id } }"""
UPDATE_TYPE = """
mutation U($input: UpdateAppointmentTypeInput!) { updateAppointmentType(input: $input) { id } }"""
TYPES = """
query T($practiceId: ID!) {
  appointmentTypes(practiceId: $practiceId) {
    edges { node { id name aestheticKind coolingOffHours requiresRegistration } }
  }
}"""


async def test_appointment_types_carry_the_aesthetic_values(client: httpx.AsyncClient) -> None:
    a = await aesthetic()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, a.d.practice))
    values = {
        "practiceId": str(a.practice_id),
        "name": "Lip filler",
        "durationMinutes": 45,
        "aestheticKind": "FILLER",
        "coolingOffHours": 336,
        "requiresRegistration": True,
    }
    made = await gql(client, CREATE_TYPE, {"input": values}, token=admin)
    assert made.errors == []
    type_id = made.data["createAppointmentType"]["id"]
    refused = [
        ({**values, "name": "x", "coolingOffHours": 2161}, "coolingOffHours"),
        ({**values, "name": "y", "coolingOffHours": -1}, "coolingOffHours"),
        ({**values, "name": "z", "aestheticKind": None}, "coolingOffHours"),
    ]
    for bad, field in refused:
        result = await gql(client, CREATE_TYPE, {"input": bad}, token=admin)
        assert result.codes == ["BAD_USER_INPUT"]
        assert result.errors[0]["extensions"]["field"] == field
    wrong_kind = await gql(
        client, CREATE_TYPE, {"input": {**values, "aestheticKind": "PEEL"}}, token=admin
    )
    assert wrong_kind.codes == ["BAD_USER_INPUT"]
    changed = {**values, "appointmentTypeId": type_id, "coolingOffHours": 48}
    assert (await gql(client, UPDATE_TYPE, {"input": changed}, token=admin)).errors == []
    listed = await gql(client, TYPES, {"practiceId": str(a.practice_id)}, token=a.d.token)
    nodes = {n["node"]["name"]: n["node"] for n in listed.data["appointmentTypes"]["edges"]}
    assert nodes["Lip filler"] == {
        "id": type_id,
        "name": "Lip filler",
        "aestheticKind": "FILLER",
        "coolingOffHours": 48,
        "requiresRegistration": True,
    }
    assert nodes["Examination"]["aestheticKind"] is None
    assert nodes["Examination"]["coolingOffHours"] == 0


BOOK_OWN = """
mutation B($input: BookOwnAppointmentInput!) {
  bookOwnAppointment(input: $input) { appointment { id startsAt } }
}"""


async def test_the_portal_booking_path_runs_the_same_rules(client: httpx.AsyncClient) -> None:
    a = await aesthetic()
    a.toxin.online_bookable = True
    await a.toxin.save()
    await registration(a)
    signed = a.d.at(5, 9)
    await signed_consultation(a, signed)
    user = await factories.user(Role.PATIENT, a.d.practice, patient_id=a.d.patient.id)
    token = factories.access_token(user)
    inside = booking(a, a.d.at(6, 10))
    inside["input"].pop("patientId")
    own = {"input": {**inside["input"], "patientId": str(a.d.patient.id)}}
    refused = await gql(client, BOOK_OWN, own, token=token)
    assert refused.codes == ["CONFLICT"]
    assert refused.errors[0]["extensions"]["field"] == "startsAt"
    theirs = _slots(a, a.d.at(7, 8), a.d.at(7, 18), a.d.patient)
    offered = _starts(await gql(client, SLOTS, theirs, token=token))
    assert min(offered) == signed + timedelta(hours=48)
    own["input"]["startsAt"] = iso(min(offered))
    assert (await gql(client, BOOK_OWN, own, token=token)).errors == []
    stranger = await factories.patient(a.d.practice)
    peek = await gql(client, SLOTS, _slots(a, a.d.at(7, 8), a.d.at(7, 18), stranger), token=token)
    assert peek.codes == ["NOT_FOUND"]

"""Holds (block others, show on the board, expire by themselves with an event), recalls set by
completed visits and the due/overdue list, and waitlist offers when a slot is freed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from db.models import (
    Appointment,
    AppointmentType,
    DomainEvent,
    Recall,
    ScheduleBlock,
    SlotHold,
    WaitlistEntry,
)
from services.policy import Role
from services.scheduling import holds
from services.scheduling.recalls import add_months
from tests import factories
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.scheduling_fixtures import LONDON, Diary, diary, iso

DAY = date.today() + timedelta(days=8)
HOLD = """
mutation H($input: HoldSlotInput!) {
  holdSlot(input: $input) { hold { id startsAt endsAt expiresAt status } }
}"""
RELEASE = """
mutation R($input: ReleaseSlotInput!) { releaseSlot(input: $input) { hold { id status } } }"""
BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id }
    holds { id startsAt expiresAt }
  }
}"""
STATUS = """
mutation S($input: SetAppointmentStatusInput!) {
  setAppointmentStatus(input: $input) { appointment { status } }
}"""
CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status } }
}"""
RESCHEDULE = """
mutation M($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { appointment { startsAt } }
}"""
SET_RECALL = """
mutation R($input: SetRecallInput!) { setRecall(input: $input) { recall { id dueOn } } }"""
RECALLS = """
query Due($practiceId: ID!, $until: Date, $first: Int, $after: String) {
  recalls(practiceId: $practiceId, until: $until, first: $first, after: $after) {
    edges { node { patientId kind dueOn overdue intervalMonths } }
    pageInfo { hasNextPage endCursor }
  }
}"""
WAIT = """
mutation W($input: AddToWaitlistInput!) {
  addToWaitlist(input: $input) { entry { id lastOfferedAt } }
}"""


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def hold_input(d: Diary, start: datetime, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "practiceId": str(d.practice.id),
            "practitionerId": str(d.dentist.id),
            "appointmentTypeId": str(d.exam.id),
            "startsAt": iso(start),
            **overrides,
        }
    }


def board_of(d: Diary, day: date = DAY) -> dict[str, Any]:
    return {
        "practiceId": str(d.practice.id),
        "from": iso(local(day, 0)),
        "to": iso(local(day + timedelta(days=1), 0)),
    }


async def second_receptionist(d: Diary) -> str:
    return factories.access_token(await factories.user(Role.RECEPTIONIST, d.practice))


# Holds


async def test_a_hold_blocks_others_shows_on_the_board_and_is_used_by_its_booking(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    held = await gql(client, HOLD, hold_input(d, local(DAY, 10)), token=d.token)
    assert held.errors == []
    hold = held.data["holdSlot"]["hold"]
    expires = datetime.fromisoformat(hold["expiresAt"])
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)
    board = await gql(client, BOARD, board_of(d), token=await second_receptionist(d))
    assert [h["id"] for h in board.data["schedule"]["holds"]] == [hold["id"]]
    # Someone else cannot book over it, nor hold it again.
    other = await second_receptionist(d)
    clash = await gql(client, BOOK, booking(d, iso(local(DAY, 10, 15))), token=other)
    assert clash.codes == ["CONFLICT"]
    assert "the practitioner" in clash.errors[0]["message"]
    again = await gql(client, HOLD, hold_input(d, local(DAY, 10)), token=other)
    assert again.codes == ["CONFLICT"]
    # The booking made with the hold takes its place.
    made = await gql(
        client, BOOK, booking(d, iso(local(DAY, 10)), holdId=hold["id"]), token=d.token
    )
    assert made.errors == []
    assert (await SlotHold.get(id=hold["id"])).status == "USED"
    assert await ScheduleBlock.filter(hold_id=hold["id"]).count() == 0
    board = await gql(client, BOARD, board_of(d), token=d.token)
    assert board.data["schedule"]["holds"] == []
    assert len(board.data["schedule"]["appointments"]) == 1
    kinds = await DomainEvent.filter(practice_id=d.practice.id).order_by("sequence")
    assert [e.type for e in kinds] == ["slot.held", "appointment.booked"]


async def test_a_released_hold_frees_the_slot_with_an_event(client: httpx.AsyncClient) -> None:
    d = await diary()
    held = await gql(client, HOLD, hold_input(d, local(DAY, 10)), token=d.token)
    hold_id = held.data["holdSlot"]["hold"]["id"]
    done = await gql(client, RELEASE, {"input": {"holdId": hold_id}}, token=d.token)
    assert done.data["releaseSlot"]["hold"]["status"] == "RELEASED"
    twice = await gql(client, RELEASE, {"input": {"holdId": hold_id}}, token=d.token)
    assert twice.codes == ["NOT_FOUND"]
    released = await DomainEvent.get(entity_id=hold_id, type="slot.released")
    assert released.payload["reason"] == "RELEASED"
    assert (await gql(client, BOOK, booking(d, iso(local(DAY, 10))), token=d.token)).errors == []


async def test_an_expired_hold_stops_blocking_and_expire_all_announces_it(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    held = await gql(client, HOLD, hold_input(d, local(DAY, 10)), token=d.token)
    hold_id = held.data["holdSlot"]["hold"]["id"]
    other = await diary()  # a second practice with a hold that has not expired
    live = await gql(client, HOLD, hold_input(other, local(DAY, 11)), token=other.token)
    live_id = live.data["holdSlot"]["hold"]["id"]
    past = datetime.now(UTC) - timedelta(seconds=1)
    await SlotHold.filter(id=hold_id).update(expires_at=past)
    # Expired: off the board at once, although nothing has swept it yet.
    board = await gql(client, BOARD, board_of(d), token=d.token)
    assert board.data["schedule"]["holds"] == []
    assert (await SlotHold.get(id=hold_id)).status == "ACTIVE"
    # The sweeper (aescrm expire-holds) releases it and announces the expiry.
    assert await holds.expire_all() == 1
    assert await holds.expire_all() == 0  # nothing left to do: no second event
    assert (await SlotHold.get(id=hold_id)).status == "EXPIRED"
    assert await ScheduleBlock.filter(hold_id=hold_id).count() == 0
    expired = await DomainEvent.filter(entity_id=hold_id, type="slot.released")
    assert [e.payload["reason"] for e in expired] == ["EXPIRED"]
    assert expired[0].topic == "schedule"
    assert expired[0].practice_id == d.practice.id
    held_event = await DomainEvent.get(entity_id=hold_id, type="slot.held")
    assert expired[0].sequence > held_event.sequence  # after it on the practice's feed
    assert (await SlotHold.get(id=live_id)).status == "ACTIVE"
    assert await ScheduleBlock.filter(hold_id=live_id).count() == 2
    # The slot is free again for anyone.
    other_token = await second_receptionist(d)
    assert (
        await gql(client, BOOK, booking(d, iso(local(DAY, 10))), token=other_token)
    ).errors == []


async def test_a_later_sweep_releases_every_hold_due_by_then(client: httpx.AsyncClient) -> None:
    d = await diary()
    for hour in (9, 10, 11):
        assert (
            await gql(client, HOLD, hold_input(d, local(DAY, hour)), token=d.token)
        ).errors == []
    assert await holds.expire_all(datetime.now(UTC) + timedelta(minutes=6)) == 3
    assert await SlotHold.filter(practice_id=d.practice.id, status="EXPIRED").count() == 3
    assert await DomainEvent.filter(practice_id=d.practice.id, type="slot.released").count() == 3


async def test_a_booking_with_an_expired_hold_is_refused(client: httpx.AsyncClient) -> None:
    d = await diary()
    held = await gql(client, HOLD, hold_input(d, local(DAY, 10)), token=d.token)
    hold_id = held.data["holdSlot"]["hold"]["id"]
    await SlotHold.filter(id=hold_id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    late = await gql(client, BOOK, booking(d, iso(local(DAY, 10)), holdId=hold_id), token=d.token)
    assert late.codes == ["CONFLICT"]
    assert late.errors[0]["extensions"]["field"] == "holdId"
    assert await Appointment.filter(practice_id=d.practice.id).count() == 0


async def test_bad_hold_input_changes_nothing(client: httpx.AsyncClient) -> None:
    d = await diary()
    cases = [
        (hold_input(d, local(DAY - timedelta(days=10), 10)), "BAD_USER_INPUT", "startsAt"),
        (hold_input(d, local(DAY, 10), appointmentTypeId=str(d.room.id)), "NOT_FOUND", None),
        (hold_input(d, local(DAY, 10), practitionerId=str(d.room.id)), "NOT_FOUND", None),
        (hold_input(d, local(DAY, 19)), "CONFLICT", "startsAt"),
    ]
    for variables, code, field in cases:
        result = await gql(client, HOLD, variables, token=d.token)
        assert result.codes == [code], variables
        assert result.errors[0]["extensions"].get("field") == field
    assert await SlotHold.filter(practice_id=d.practice.id).count() == 0
    assert await DomainEvent.filter(practice_id=d.practice.id).count() == 0


# Recalls


async def complete(client: httpx.AsyncClient, d: Diary, appointment_id: str) -> None:
    for status in ("CONFIRMED", "ARRIVED", "IN_SURGERY", "COMPLETED"):
        step = await gql(
            client,
            STATUS,
            {"input": {"appointmentId": appointment_id, "status": status}},
            token=d.token,
        )
        assert step.errors == [], status


async def test_completing_exam_and_hygiene_visits_sets_recalls(client: httpx.AsyncClient) -> None:
    d = await diary()
    hygiene = await AppointmentType.create(
        practice_id=d.practice.id, name="Hygiene", duration_minutes=30, recall_kind="HYGIENE"
    )
    # The hygiene interval is the patient's own (12 months), the exam one the practice's (6).
    custom = await gql(
        client,
        SET_RECALL,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "patientId": str(d.patient.id),
                "kind": "HYGIENE",
                "intervalMonths": 12,
                "dueOn": (date.today() + timedelta(days=3)).isoformat(),
            }
        },
        token=d.token,
    )
    assert custom.errors == []
    visits = {}
    for hour, kind in ((10, d.exam), (11, hygiene), (12, d.filler)):
        made = await gql(
            client,
            BOOK,
            booking(d, iso(local(DAY, hour)), appointmentTypeId=str(kind.id)),
            token=d.token,
        )
        assert made.errors == []
        visits[kind.name] = made.data["bookAppointment"]["appointment"]["id"]
    before = datetime.now(LONDON).date()
    await complete(client, d, visits["Dermal filler"])  # no recall kind: nothing changes
    assert await Recall.filter(patient_id=d.patient.id, kind="EXAM").count() == 0
    await complete(client, d, visits["Examination"])
    await complete(client, d, visits["Hygiene"])
    after = datetime.now(LONDON).date()
    exam = await Recall.get(patient_id=d.patient.id, kind="EXAM")
    assert exam.interval_months == 6
    assert exam.due_on in {add_months(before, 6), add_months(after, 6)}
    assert exam.last_completed_at is not None
    cleaning = await Recall.get(patient_id=d.patient.id, kind="HYGIENE")
    assert cleaning.interval_months == 12
    assert cleaning.due_on in {add_months(before, 12), add_months(after, 12)}
    assert await Recall.filter(patient_id=d.patient.id).count() == 2


async def test_the_due_and_overdue_list(client: httpx.AsyncClient) -> None:
    d = await diary()
    today = datetime.now(LONDON).date()
    wanted = {"overdue": -30, "today": 0, "soon": 10, "later": 90}
    patients = {}
    for name, offset in wanted.items():
        patient = await factories.patient(d.practice)
        patients[str(patient.id)] = name
        result = await gql(
            client,
            SET_RECALL,
            {
                "input": {
                    "practiceId": str(d.practice.id),
                    "patientId": str(patient.id),
                    "kind": "EXAM",
                    "intervalMonths": 6,
                    "dueOn": (today + timedelta(days=offset)).isoformat(),
                }
            },
            token=d.token,
        )
        assert result.errors == []
    variables = {"practiceId": str(d.practice.id)}
    due = await gql(client, RECALLS, variables, token=d.token)
    nodes = [e["node"] for e in due.data["recalls"]["edges"]]
    assert [patients[n["patientId"]] for n in nodes] == ["overdue", "today"]
    assert [n["overdue"] for n in nodes] == [True, False]
    until = (today + timedelta(days=30)).isoformat()
    first = await gql(client, RECALLS, {**variables, "until": until, "first": 2}, token=d.token)
    page = first.data["recalls"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        client,
        RECALLS,
        {**variables, "until": until, "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=d.token,
    )
    names = [
        patients[e["node"]["patientId"]] for e in page["edges"] + rest.data["recalls"]["edges"]
    ]
    assert names == ["overdue", "today", "soon"]
    # Another practice's staff see none of it.
    stranger = await diary()
    theirs = await gql(client, RECALLS, variables, token=stranger.token)
    assert theirs.codes == ["NOT_FOUND"]


async def test_bad_recall_input_changes_nothing(client: httpx.AsyncClient) -> None:
    d = await diary()
    foreign = await factories.patient(await factories.practice())
    base = {
        "practiceId": str(d.practice.id),
        "patientId": str(d.patient.id),
        "kind": "EXAM",
        "intervalMonths": 6,
    }
    cases = [
        ({**base, "intervalMonths": 0}, "BAD_USER_INPUT", "intervalMonths"),
        ({**base, "patientId": str(foreign.id)}, "NOT_FOUND", None),
    ]
    for values, code, field in cases:
        result = await gql(client, SET_RECALL, {"input": values}, token=d.token)
        assert result.codes == [code], values
        assert result.errors[0]["extensions"].get("field") == field
    polish = await gql(client, SET_RECALL, {"input": {**base, "kind": "POLISH"}}, token=d.token)
    assert polish.errors != []  # kind is an enum: refused before any resolver runs
    assert await Recall.filter(practice_id=d.practice.id).count() == 0


# Waitlist


def wait_input(d: Diary, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "practiceId": str(d.practice.id),
            "patientId": str(d.patient.id),
            "appointmentTypeId": str(d.exam.id),
            **overrides,
        }
    }


async def booked(client: httpx.AsyncClient, d: Diary, start: datetime) -> str:
    someone = await factories.patient(d.practice)
    made = await gql(client, BOOK, booking(d, iso(start), patientId=str(someone.id)), token=d.token)
    assert made.errors == []
    return str(made.data["bookAppointment"]["appointment"]["id"])


async def test_a_cancellation_offers_the_slot_to_matching_entries(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    weekday = DAY.weekday()
    wants = {
        "mornings": {"weekdays": [weekday], "earliestMinute": 540, "latestMinute": 720},
        "anytime_with_dentist": {"practitionerId": str(d.dentist.id)},
        "other_day": {"weekdays": [(weekday + 1) % 7]},
        "afternoons": {"earliestMinute": 780},
    }
    entries = {}
    for name, values in wants.items():
        patient = await factories.patient(d.practice)
        added = await gql(
            client, WAIT, wait_input(d, patientId=str(patient.id), **values), token=d.token
        )
        assert added.errors == [], added.errors
        entries[added.data["addToWaitlist"]["entry"]["id"]] = name
    appointment_id = await booked(client, d, local(DAY, 10))
    done = await gql(
        client,
        CANCEL,
        {"input": {"appointmentId": appointment_id, "reason": "Moving away"}},
        token=d.token,
    )
    assert done.errors == []
    offers = await DomainEvent.filter(practice_id=d.practice.id, type="waitlist.offered")
    assert sorted(entries[str(o.entity_id)] for o in offers) == [
        "anytime_with_dentist",
        "mornings",
    ]
    assert all(o.topic == "schedule" for o in offers)
    assert all(o.payload["starts_at"] == local(DAY, 10).astimezone(UTC).isoformat() for o in offers)
    offered = await WaitlistEntry.filter(last_offered_at__isnull=False).values_list("id", flat=True)
    assert sorted(entries[str(i)] for i in offered) == ["anytime_with_dentist", "mornings"]


async def test_a_reschedule_offers_the_old_slot(client: httpx.AsyncClient) -> None:
    d = await diary()
    added = await gql(client, WAIT, wait_input(d), token=d.token)
    entry_id = added.data["addToWaitlist"]["entry"]["id"]
    appointment_id = await booked(client, d, local(DAY, 9))
    moved = await gql(
        client,
        RESCHEDULE,
        {"input": {"appointmentId": appointment_id, "startsAt": iso(local(DAY, 14))}},
        token=d.token,
    )
    assert moved.errors == []
    offer = await DomainEvent.get(practice_id=d.practice.id, type="waitlist.offered")
    assert str(offer.entity_id) == entry_id
    assert offer.payload["starts_at"] == local(DAY, 9).astimezone(UTC).isoformat()


async def test_an_entry_is_not_offered_a_slot_its_appointment_cannot_use(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    long_visit = await AppointmentType.create(
        practice_id=d.practice.id, name="Root canal", duration_minutes=90
    )
    hygienist_only = await AppointmentType.create(
        practice_id=d.practice.id,
        name="Air polish",
        duration_minutes=30,
        allowed_roles=["HYGIENIST"],
    )
    for kind in (long_visit, hygienist_only):
        patient = await factories.patient(d.practice)
        added = await gql(
            client,
            WAIT,
            wait_input(d, patientId=str(patient.id), appointmentTypeId=str(kind.id)),
            token=d.token,
        )
        assert added.errors == []
    appointment_id = await booked(client, d, local(DAY, 10))  # a 30-minute exam with a dentist
    done = await gql(
        client, CANCEL, {"input": {"appointmentId": appointment_id, "reason": "Ill"}}, token=d.token
    )
    assert done.errors == []
    assert await DomainEvent.filter(practice_id=d.practice.id, type="waitlist.offered").count() == 0


async def test_bad_waitlist_input_changes_nothing(client: httpx.AsyncClient) -> None:
    d = await diary()
    foreign = await factories.patient(await factories.practice())
    cases = [
        (wait_input(d, weekdays=[7]), "BAD_USER_INPUT", "weekdays"),
        (wait_input(d, earliestMinute=600, latestMinute=600), "BAD_USER_INPUT", "latestMinute"),
        (wait_input(d, appointmentTypeId=str(d.room.id)), "NOT_FOUND", None),
        (wait_input(d, practitionerId=str(d.room.id)), "NOT_FOUND", None),
        (wait_input(d, patientId=str(foreign.id)), "NOT_FOUND", None),
    ]
    for variables, code, field in cases:
        result = await gql(client, WAIT, variables, token=d.token)
        assert result.codes == [code], variables
        assert result.errors[0]["extensions"].get("field") == field
    assert await WaitlistEntry.filter(practice_id=d.practice.id).count() == 0


async def test_set_recall_reports_overdue_against_the_practice_day(
    client: httpx.AsyncClient,
) -> None:
    zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14: its day differs from UTC's for ten hours
    d = await diary(timezone=zone.key)
    today = datetime.now(zone).date()
    document = SET_RECALL.replace("dueOn }", "dueOn overdue }")
    found = {}
    for offset in (-1, 0):
        patient = await factories.patient(d.practice)
        values = {
            "practiceId": str(d.practice.id),
            "patientId": str(patient.id),
            "kind": "HYGIENE",
            "intervalMonths": 6,
            "dueOn": (today + timedelta(days=offset)).isoformat(),
        }
        result = await gql(client, document, {"input": values}, token=d.token)
        assert result.errors == []
        found[offset] = result.data["setRecall"]["recall"]["overdue"]
    assert found == {-1: True, 0: False}

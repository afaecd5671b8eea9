"""Calendar feeds: iCalendar that Google/Outlook update in place, behind a secret URL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from icalendar import Calendar

from db.models import AuditEvent, AuditReadPatient, CalendarFeed, ProcessingRestriction
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.scheduling_fixtures import Diary, diary, iso

BOOK = """
mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { appointment { id } }
}"""
MOVE = """
mutation Move($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { appointment { startsAt } }
}"""
CANCEL = """
mutation Cancel($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status } }
}"""
CREATE = """
mutation Create($input: CreateCalendarFeedInput!) {
  createCalendarFeed(input: $input) { url feed { id kind practitionerId revokedAt } }
}"""
REVOKE = """
mutation Revoke($input: RevokeCalendarFeedInput!) {
  revokeCalendarFeed(input: $input) { feed { id revokedAt } }
}"""
FEEDS = "{ calendarFeeds { id kind revokedAt } }"


async def book(client: httpx.AsyncClient, d: Diary, days: int, hour: int) -> str:
    variables = {
        "input": {
            "practiceId": str(d.practice.id),
            "patientId": str(d.patient.id),
            "practitionerId": str(d.dentist.id),
            "appointmentTypeId": str(d.exam.id),
            "startsAt": iso(d.at(days, hour)),
        }
    }
    result = await gql(client, BOOK, variables, token=d.token)
    assert result.errors == []
    return str(result.data["bookAppointment"]["appointment"]["id"])


async def practitioner_feed(client: httpx.AsyncClient, d: Diary) -> str:
    token = factories.access_token(d.dentist_user)
    result = await gql(
        client, CREATE, {"input": {"practitionerId": str(d.dentist.id)}}, token=token
    )
    assert result.errors == []
    url = str(result.data["createCalendarFeed"]["url"])
    assert url.startswith("http://testserver/calendar/")
    assert url.endswith(".ics")
    return url.removeprefix("http://testserver")


def events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(e.get("uid")): e for e in calendar.walk("VEVENT")}


async def test_feed_parses_and_updates_in_place_after_a_move_and_a_cancel(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    first = await book(client, d, 3, 10)
    path = await practitioner_feed(client, d)

    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    before = events(response.content)
    uid = f"{first}@aescrm"
    assert list(before) == [uid]
    event = before[uid]
    assert int(event.get("sequence")) == 0
    assert str(event.get("status")) == "CONFIRMED"
    assert event.decoded("dtstart") == d.at(3, 10)
    assert event.decoded("dtstart").utcoffset().total_seconds() == 0  # written in UTC
    summary = str(event.get("summary"))
    assert summary == f"A.{d.patient.last_name[0]}. Examination"
    assert d.patient.last_name not in response.text
    assert "penicillin" not in response.text

    moved = {"input": {"appointmentId": first, "startsAt": iso(d.at(4, 11))}}
    assert (await gql(client, MOVE, moved, token=d.token)).errors == []
    after_move = events((await client.get(path)).content)[uid]
    assert int(after_move.get("sequence")) > int(event.get("sequence"))
    assert after_move.decoded("dtstart") == d.at(4, 11)

    cancelled = {"input": {"appointmentId": first, "reason": "Patient rang"}}
    assert (await gql(client, CANCEL, cancelled, token=d.token)).errors == []
    after_cancel = events((await client.get(path)).content)[uid]
    assert str(after_cancel.get("status")) == "CANCELLED"
    assert int(after_cancel.get("sequence")) > int(after_move.get("sequence"))


async def test_etag_answers_304_until_the_diary_changes_and_fetches_are_audited(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    await book(client, d, 2, 9)
    path = await practitioner_feed(client, d)
    first = await client.get(path)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = await client.get(path, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    await book(client, d, 2, 14)
    changed = await client.get(path, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    reads = await AuditEvent.filter(action="READ calendar_feed").count()
    assert reads == 2  # the two bodies sent; the 304 sent nothing
    logged = await AuditReadPatient.filter(patient_id=d.patient.id).count()
    assert logged >= 2


async def test_revoked_forged_and_unknown_tokens_answer_the_same_404(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    path = await practitioner_feed(client, d)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    other_id = "0" * 32 + token[32:]
    answers = [
        await client.get(f"/calendar/{forged}.ics"),
        await client.get(f"/calendar/{other_id}.ics"),
        await client.get("/calendar/nonsense.ics"),
        await client.get(f"/calendar/{token[:32]}.ics"),
        await client.get(f"/calendar/{token}%00.ics"),
        await client.get("/calendar/%27%20OR%201%3D1--.ics"),
        await client.get(f"/calendar/{token[:32]}{'A' * 5000}.ics"),
    ]
    feed_id = str(UUID(hex=token[:32]))
    owner = factories.access_token(d.dentist_user)
    revoked = await gql(client, REVOKE, {"input": {"feedId": feed_id}}, token=owner)
    assert revoked.errors == []
    assert revoked.data["revokeCalendarFeed"]["feed"]["revokedAt"]
    answers.append(await client.get(path))
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    keys = {tuple(sorted(k for k in a.headers if k != "x-request-id")) for a in answers}
    assert len(keys) == 1
    stored = await CalendarFeed.get(id=feed_id)
    assert token[32:] not in stored.secret_hash
    assert len(stored.secret_hash) == 64


async def test_another_practice_cannot_create_or_revoke_and_its_diary_never_appears(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    other = await diary()
    await book(client, other, 2, 10)
    mine = await book(client, d, 2, 10)
    # Someone else's practitioner profile (own practice or another) is NOT_FOUND.
    for caller, target in ((d.receptionist, d.dentist.id), (d.dentist_user, other.dentist.id)):
        result = await gql(
            client,
            CREATE,
            {"input": {"practitionerId": str(target)}},
            token=factories.access_token(caller),
        )
        assert result.codes == ["NOT_FOUND"]
    path = await practitioner_feed(client, d)
    assert list(events((await client.get(path)).content)) == [f"{mine}@aescrm"]
    feed_id = str(UUID(hex=path.removeprefix("/calendar/")[:32]))
    stranger = factories.access_token(other.dentist_user)
    assert (await gql(client, REVOKE, {"input": {"feedId": feed_id}}, token=stranger)).codes == [
        "NOT_FOUND"
    ]
    assert (await client.get(path)).status_code == 200


async def test_deactivated_owner_feed_answers_404(client: httpx.AsyncClient) -> None:
    d = await diary()
    path = await practitioner_feed(client, d)
    d.dentist_user.is_active = False
    await d.dentist_user.save()
    assert (await client.get(path)).status_code == 404


async def test_patient_feed_is_their_own_and_staff_cannot_make_one(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    appointment = await book(client, d, 5, 9)
    portal = await factories.user(Role.PATIENT, d.practice, patient_id=d.patient.id)
    stranger_patient = await factories.patient(d.practice)
    token = factories.access_token(portal)
    refused = await gql(
        client, CREATE, {"input": {"patientId": str(stranger_patient.id)}}, token=token
    )
    assert refused.codes == ["NOT_FOUND"]
    staff = await gql(client, CREATE, {"input": {"patientId": str(d.patient.id)}}, token=d.token)
    assert staff.codes == ["NOT_FOUND"]
    both = {"input": {"patientId": str(d.patient.id), "practitionerId": str(d.dentist.id)}}
    assert (await gql(client, CREATE, both, token=token)).codes == ["BAD_USER_INPUT"]
    made = await gql(client, CREATE, {"input": {"patientId": str(d.patient.id)}}, token=token)
    assert made.errors == []
    assert made.data["createCalendarFeed"]["feed"]["kind"] == "PATIENT"
    path = made.data["createCalendarFeed"]["url"].removeprefix("http://testserver")
    found = events((await client.get(path)).content)
    assert list(found) == [f"{appointment}@aescrm"]
    assert str(found[f"{appointment}@aescrm"].get("summary")) == (
        f"Examination at {d.practice.name}"
    )
    listed = await gql(client, FEEDS, token=token)
    assert [f["kind"] for f in listed.data["calendarFeeds"]] == ["PATIENT"]


async def test_restricted_patient_shows_as_busy_in_the_practitioner_feed(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    appointment = await book(client, d, 2, 10)
    await ProcessingRestriction.create(
        practice_id=d.practice.id, patient_id=d.patient.id, kind="RESTRICTION", reason="Art. 18"
    )
    path = await practitioner_feed(client, d)
    event = events((await client.get(path)).content)[f"{appointment}@aescrm"]
    assert str(event.get("summary")) == "Busy"


async def test_partner_app_and_anonymous_callers_cannot_have_feeds(
    client: httpx.AsyncClient,
) -> None:
    from tests.graph.visibility_world import partner_token

    d = await diary()
    _, partner = await partner_token(client, d.practice.id, d.practice.organization_id)
    create = {"input": {"practitionerId": str(d.dentist.id)}}
    assert (await gql(client, CREATE, create, token=partner)).codes == ["FORBIDDEN"]
    assert (await gql(client, FEEDS, token=partner)).codes == ["FORBIDDEN"]
    anonymous = await gql(client, CREATE, create)
    assert anonymous.codes in (["UNAUTHENTICATED"], ["FORBIDDEN"])
    assert await CalendarFeed.all().count() == 0

"""Bringing archived rooms, appointment types, practitioners and extra resources back, and
changing and archiving extra resources under the same rules as rooms (archive refused while a
live future booking uses it). Every change is audited and announced to boards; another
practice's ids answer NOT_FOUND; reception may not do any of it."""

from __future__ import annotations

from typing import Any

import httpx

from db.models import (
    AppointmentType,
    AuditEvent,
    DomainEvent,
    ExtraResource,
    Membership,
    Practitioner,
    Room,
)
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.graph.test_schedule_sessions import DAY, admin_token, bare_practitioner, local
from tests.graph.test_schedule_setup import UNKNOWN, _mutation
from tests.scheduling_fixtures import Diary, diary, iso

ARCHIVE_ROOM = _mutation("archiveRoom", "ArchiveRoomInput")
REACTIVATE_ROOM = _mutation("reactivateRoom", "ReactivateRoomInput")
ARCHIVE_TYPE = _mutation("archiveAppointmentType", "ArchiveAppointmentTypeInput")
REACTIVATE_TYPE = _mutation("reactivateAppointmentType", "ReactivateAppointmentTypeInput")
DEACTIVATE = _mutation("deactivatePractitioner", "DeactivatePractitionerInput")
REACTIVATE_PRACTITIONER = _mutation("reactivatePractitioner", "ReactivatePractitionerInput")
UPDATE_RESOURCE = _mutation("updateResource", "UpdateResourceInput")
ARCHIVE_RESOURCE = _mutation("archiveResource", "ArchiveResourceInput")
REACTIVATE_RESOURCE = _mutation("reactivateResource", "ReactivateResourceInput")
CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { id } }
}"""


async def run(client: httpx.AsyncClient, document: str, values: dict[str, Any], token: str) -> Any:
    return await gql(client, document, {"input": values}, token=token)


async def setup_events(d: Diary) -> list[tuple[str, str, str]]:
    rows = await DomainEvent.filter(practice_id=d.practice.id, type="setup.changed").order_by(
        "sequence"
    )
    return [(r.payload["entity"], r.payload["change"], str(r.entity_id)) for r in rows]


async def test_archived_rooms_types_and_practitioners_come_back(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    practice = str(d.practice.id)
    colleague = await bare_practitioner(d)
    items = [
        (ARCHIVE_ROOM, REACTIVATE_ROOM, {"roomId": str(d.room2.id)}, Room, d.room2.id),
        (
            ARCHIVE_TYPE,
            REACTIVATE_TYPE,
            {"appointmentTypeId": str(d.exam.id)},
            AppointmentType,
            d.exam.id,
        ),
        (
            DEACTIVATE,
            REACTIVATE_PRACTITIONER,
            {"practitionerId": str(colleague.id)},
            Practitioner,
            colleague.id,
        ),
    ]
    for archive, reactivate, ids, model, row_id in items:
        values = {"practiceId": practice, **ids}
        assert (await run(client, archive, values, admin)).errors == []
        assert not (await model.get(id=row_id)).active
        assert (await run(client, reactivate, values, d.token)).codes == ["FORBIDDEN"]
        back = await run(client, reactivate, values, admin)
        assert back.errors == []
        assert back.data[next(iter(back.data))]["id"] == str(row_id)
        assert (await model.get(id=row_id)).active
    # Bookable again: the reactivated type books.
    assert (await gql(client, BOOK, booking(d, iso(local(DAY, 10))), token=d.token)).errors == []
    actions = await AuditEvent.filter(
        practice_id=d.practice.id, action__startswith="REACTIVATE_"
    ).values_list("action", flat=True)
    assert sorted(actions) == [
        "REACTIVATE_APPOINTMENT_TYPE",
        "REACTIVATE_PRACTITIONER",
        "REACTIVATE_ROOM",
    ]
    assert (await setup_events(d))[-2:] == [
        ("PRACTITIONER", "ARCHIVED", str(colleague.id)),
        ("PRACTITIONER", "REACTIVATED", str(colleague.id)),
    ]
    # Reactivating what is active changes nothing.
    before = await AuditEvent.filter(practice_id=d.practice.id).count()
    again = await run(client, REACTIVATE_ROOM, {"practiceId": practice, **items[0][2]}, admin)
    assert again.errors == []
    assert await AuditEvent.filter(practice_id=d.practice.id).count() == before
    # Someone who has left the staff is not made bookable again.
    assert (
        await run(client, DEACTIVATE, {"practiceId": practice, **items[2][2]}, admin)
    ).errors == []
    await Membership.filter(user_id=colleague.user_id, practice_id=d.practice.id).delete()
    gone = await run(
        client, REACTIVATE_PRACTITIONER, {"practiceId": practice, **items[2][2]}, admin
    )
    assert gone.codes == ["CONFLICT"]
    assert not (await Practitioner.get(id=colleague.id)).active


async def test_extra_resources_are_changed_archived_and_reactivated(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    practice = str(d.practice.id)
    nurse = await ExtraResource.create(practice_id=d.practice.id, name="Nurse Ann", kind="STAFF")
    laser = await ExtraResource.create(practice_id=d.practice.id, name="Laser", kind="EQUIPMENT")
    mine = {"practiceId": practice, "resourceId": str(nurse.id)}
    renamed = await run(
        client, UPDATE_RESOURCE, {**mine, "name": "Nurse Anne", "kind": "STAFF"}, admin
    )
    assert renamed.errors == []
    assert (await ExtraResource.get(id=nurse.id)).name == "Nurse Anne"
    bad = [
        ({"name": " ", "kind": "STAFF"}, "BAD_USER_INPUT", "name"),
        ({"name": "Laser", "kind": "STAFF"}, "CONFLICT", "name"),
    ]
    for change, code, field in bad:
        result = await run(client, UPDATE_RESOURCE, {**mine, **change}, admin)
        assert result.codes == [code], change
        assert result.errors[0]["extensions"]["field"] == field
    robot = await run(client, UPDATE_RESOURCE, {**mine, "name": "Nurse", "kind": "ROBOT"}, admin)
    assert robot.errors != []  # kind is an enum: refused before any resolver runs
    assert (await ExtraResource.get(id=nurse.id)).name == "Nurse Anne"
    # A future booking with the nurse keeps her from being archived until it is cancelled.
    with_nurse = booking(d, iso(local(DAY, 10)), resourceIds=[str(nurse.id)])
    made = await gql(client, BOOK, with_nurse, token=d.token)
    assert made.errors == []
    refused = await run(client, ARCHIVE_RESOURCE, mine, admin)
    assert refused.codes == ["CONFLICT"]
    assert (await ExtraResource.get(id=nurse.id)).active
    laser_only = {"practiceId": practice, "resourceId": str(laser.id)}
    assert (await run(client, ARCHIVE_RESOURCE, laser_only, admin)).errors == []
    appointment = made.data["bookAppointment"]["appointment"]["id"]
    cancel = {"input": {"appointmentId": appointment, "reason": "Unwell"}}
    assert (await gql(client, CANCEL, cancel, token=d.token)).errors == []
    assert (await run(client, ARCHIVE_RESOURCE, mine, admin)).errors == []
    assert not (await ExtraResource.get(id=nurse.id)).active
    # Archived: not bookable; reactivated: bookable again.
    again = booking(d, iso(local(DAY, 11)), resourceIds=[str(nurse.id)])
    assert (await gql(client, BOOK, again, token=d.token)).codes == ["NOT_FOUND"]
    assert (await run(client, REACTIVATE_RESOURCE, mine, admin)).errors == []
    assert (await gql(client, BOOK, again, token=d.token)).errors == []
    assert [e for e in await setup_events(d) if e[0] == "RESOURCE"] == [
        ("RESOURCE", "UPDATED", str(nurse.id)),
        ("RESOURCE", "ARCHIVED", str(laser.id)),
        ("RESOURCE", "ARCHIVED", str(nurse.id)),
        ("RESOURCE", "REACTIVATED", str(nurse.id)),
    ]
    audited = await AuditEvent.filter(practice_id=d.practice.id, action="UPDATE_RESOURCE")
    assert [a.fields_read for a in audited] == [["name"]]


async def test_another_practices_items_are_not_found(client: httpx.AsyncClient) -> None:
    d = await diary()
    other = await diary()
    admin = await admin_token(d)
    theirs = await ExtraResource.create(practice_id=other.practice.id, name="Nurse", kind="STAFF")
    cases = [
        (REACTIVATE_ROOM, {"roomId": str(other.room.id)}),
        (REACTIVATE_TYPE, {"appointmentTypeId": str(other.exam.id)}),
        (REACTIVATE_PRACTITIONER, {"practitionerId": str(other.dentist.id)}),
        (UPDATE_RESOURCE, {"resourceId": str(theirs.id), "name": "Mine", "kind": "STAFF"}),
        (ARCHIVE_RESOURCE, {"resourceId": str(theirs.id)}),
        (REACTIVATE_RESOURCE, {"resourceId": str(theirs.id)}),
    ]
    before = await AuditEvent.filter(practice_id=other.practice.id).count()
    for document, ids in cases:
        mine = await run(client, document, {"practiceId": str(d.practice.id), **ids}, admin)
        assert mine.codes == ["NOT_FOUND"], document
        random = {k: UNKNOWN if k.endswith("Id") else v for k, v in ids.items()}
        unknown = await run(client, document, {"practiceId": str(d.practice.id), **random}, admin)
        assert unknown.errors[0]["message"] == mine.errors[0]["message"]
        theirs_practice = {"practiceId": str(other.practice.id), **ids}
        assert (await run(client, document, theirs_practice, admin)).codes == ["NOT_FOUND"]
    assert await AuditEvent.filter(practice_id=other.practice.id).count() == before
    assert (await ExtraResource.get(id=theirs.id)).name == "Nurse"
    assert (await ExtraResource.get(id=theirs.id)).active


CREATE_ROOM = _mutation("createRoom", "CreateRoomInput")
CREATE_RESOURCE = _mutation("createResource", "CreateResourceInput")
ADD_SESSION = _mutation("addWorkingSession", "AddWorkingSessionInput")


async def test_new_items_are_announced_to_boards(client: httpx.AsyncClient) -> None:
    d = await diary()
    admin = await admin_token(d)
    practice = str(d.practice.id)
    room = await run(client, CREATE_ROOM, {"practiceId": practice, "name": "Surgery 3"}, admin)
    nurse = await run(
        client, CREATE_RESOURCE, {"practiceId": practice, "name": "Nurse", "kind": "STAFF"}, admin
    )
    session = await run(
        client,
        ADD_SESSION,
        {
            "practiceId": practice,
            "practitionerId": str(d.dentist.id),
            "weekday": 0,
            "startMinute": 18 * 60,
            "endMinute": 20 * 60,
            "validFrom": "2030-01-01",
        },
        admin,
    )
    made = [room.data["createRoom"], nurse.data["createResource"]]
    made.append(session.data["addWorkingSession"])
    assert await setup_events(d) == [
        ("ROOM", "CREATED", made[0]["id"]),
        ("RESOURCE", "CREATED", made[1]["id"]),
        ("WORKING_SESSION", "CREATED", made[2]["id"]),
    ]
    # A refused creation (a name already used) announces nothing.
    clash = await run(client, CREATE_ROOM, {"practiceId": practice, "name": "Surgery 3"}, admin)
    assert clash.codes == ["CONFLICT"]
    assert len(await setup_events(d)) == 3

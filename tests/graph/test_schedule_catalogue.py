"""The board's columns: a practice's practitioners, rooms, appointment types and extra resources.

Connections ordered by name, archived items only when asked for, readers of the practice's
schedule only, another practice answering like a random id, one SQL statement per page.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from db.models import AppointmentType, ExtraResource, Practitioner, Room
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.scheduling_fixtures import Diary, diary, practitioner
from tests.sql_counter import count_statements

LISTS = {
    "practitioners": "displayName role active",
    "rooms": "name colour active",
    "appointmentTypes": "name durationMinutes allowedRoles recallKind active",
    "extraResources": "name kind active",
}
INPUT_FIELDS = (
    '{ __type(name: "CreateResourceInput") { inputFields { name type { ofType { kind name } } } } }'
)


def document(field: str) -> str:
    return f"""query($practiceId: ID!, $archived: Boolean! = false, $first: Int, $after: String) {{
  {field}(practiceId: $practiceId, includeArchived: $archived, first: $first, after: $after) {{
    edges {{ cursor node {{ id {LISTS[field]} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""


def nodes(result: factories.GraphQLResult, field: str) -> list[dict[str, Any]]:
    assert result.errors == [], result.errors
    return [edge["node"] for edge in result.data[field]["edges"]]


async def _with_archived(d: Diary) -> dict[str, tuple[str, str]]:
    """One archived item of each kind, and each kind's name of the archived item."""
    old_room = await Room.create(practice_id=d.practice.id, name="Old surgery", active=False)
    retired = await practitioner(d.practice, d.room)
    retired.display_name, retired.active = "Zed Retired", False
    await retired.save()
    await AppointmentType.create(
        practice_id=d.practice.id, name="Old type", duration_minutes=20, active=False
    )
    await ExtraResource.create(practice_id=d.practice.id, name="Laser", kind="EQUIPMENT")
    await ExtraResource.create(
        practice_id=d.practice.id, name="Old laser", kind="EQUIPMENT", active=False
    )
    await ExtraResource.create(practice_id=d.practice.id, name="Nurse Ann", kind="STAFF")
    return {
        "rooms": ("Old surgery", str(old_room.id)),
        "practitioners": ("Zed Retired", str(retired.id)),
        "appointmentTypes": ("Old type", ""),
        "extraResources": ("Old laser", ""),
    }


async def test_each_list_shows_active_items_by_name_and_archived_only_when_asked(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    archived = await _with_archived(d)
    expected_active = {
        "practitioners": [d.dentist.display_name],
        "rooms": ["Surgery 1", "Surgery 2"],
        "appointmentTypes": ["Dermal filler", "Examination"],
        "extraResources": ["Laser", "Nurse Ann"],
    }
    for field, names in expected_active.items():
        key = "displayName" if field == "practitioners" else "name"
        variables = {"practiceId": str(d.practice.id)}
        active = nodes(await gql(client, document(field), variables, token=d.token), field)
        assert [n[key] for n in active] == names, field
        assert all(n["active"] for n in active)
        everything = nodes(
            await gql(client, document(field), {**variables, "archived": True}, token=d.token),
            field,
        )
        assert [n[key] for n in everything] == sorted([*names, archived[field][0]]), field
        assert [n[key] for n in everything if not n["active"]] == [archived[field][0]]


async def test_kinds_and_roles_are_enums(client: httpx.AsyncClient) -> None:
    d = await diary()
    await _with_archived(d)
    variables = {"practiceId": str(d.practice.id)}
    resources = nodes(
        await gql(client, document("extraResources"), variables, token=d.token), "extraResources"
    )
    assert [(n["name"], n["kind"]) for n in resources] == [
        ("Laser", "EQUIPMENT"),
        ("Nurse Ann", "STAFF"),
    ]
    types = nodes(
        await gql(client, document("appointmentTypes"), variables, token=d.token),
        "appointmentTypes",
    )
    assert {n["name"]: n["recallKind"] for n in types} == {
        "Dermal filler": None,
        "Examination": "EXAM",
    }
    staff = nodes(
        await gql(client, document("practitioners"), variables, token=d.token), "practitioners"
    )
    assert [n["role"] for n in staff] == ["DENTIST"]
    introspection = await gql(
        client,
        INPUT_FIELDS,
        token=d.token,
    )
    kind = next(f for f in introspection.data["__type"]["inputFields"] if f["name"] == "kind")
    assert kind["type"]["ofType"] == {"kind": "ENUM", "name": "ResourceKind"}


@pytest.mark.parametrize("field", sorted(LISTS))
async def test_pages_cover_every_item_once(client: httpx.AsyncClient, field: str) -> None:
    d = await diary()
    for n in range(7):
        await Room.create(practice_id=d.practice.id, name=f"Chair {n}")
        await AppointmentType.create(
            practice_id=d.practice.id, name=f"Type {n}", duration_minutes=15
        )
        await ExtraResource.create(practice_id=d.practice.id, name=f"Kit {n}", kind="EQUIPMENT")
        await practitioner(d.practice, d.room)
    everything = {"practiceId": str(d.practice.id), "first": 100}
    expected = nodes(await gql(client, document(field), everything, token=d.token), field)
    seen: list[str] = []
    after = None
    for _ in range(10):
        variables = {"practiceId": str(d.practice.id), "first": 3, "after": after}
        result = await gql(client, document(field), variables, token=d.token)
        seen += [n["id"] for n in nodes(result, field)]
        info = result.data[field]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == [n["id"] for n in expected]
    assert len(seen) == len(set(seen)) >= 7


@pytest.mark.parametrize("count", [3, 60])
async def test_a_page_costs_the_same_statements_whatever_its_size(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    d = await diary()
    for n in range(count):
        await Room.create(practice_id=d.practice.id, name=f"Chair {n:03}")
        await ExtraResource.create(practice_id=d.practice.id, name=f"Kit {n:03}", kind="STAFF")
        await AppointmentType.create(
            practice_id=d.practice.id, name=f"Type {n:03}", duration_minutes=15
        )
    for field in ("rooms", "extraResources", "appointmentTypes", "practitioners"):
        variables = {"practiceId": str(d.practice.id), "first": 100}
        with count_statements(monkeypatch) as statements:
            result = await gql(client, document(field), variables, token=d.token)
        assert result.errors == []
        table = {
            "rooms": '"room"',
            "extraResources": '"extra_resource"',
            "appointmentTypes": '"appointment_type"',
            "practitioners": '"practitioner"',
        }[field]
        assert len(statements.matching(f"FROM {table}")) == 1, statements
        assert len(statements) <= 4, statements  # authentication + the page


async def test_another_practice_answers_like_a_random_id_and_patients_use_online_types(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    neighbour = await factories.practice(await factories.organization())
    same_org = await factories.practice(await d.practice.organization)
    for other in (neighbour, same_org):
        await Room.create(practice_id=other.id, name="Their surgery")
    patient_user = await factories.user(Role.PATIENT, d.practice, patient_id=d.patient.id)
    patient = factories.access_token(patient_user)
    for field in LISTS:
        random = await gql(
            client, document(field), {"practiceId": str(uuid.uuid4())}, token=d.token
        )
        assert random.codes == ["NOT_FOUND"]
        for other in (neighbour, same_org):
            foreign = await gql(
                client, document(field), {"practiceId": str(other.id)}, token=d.token
            )
            assert foreign.body == random.body
            assert "Their surgery" not in str(foreign.body)
        own_as_patient = await gql(
            client, document(field), {"practiceId": str(d.practice.id)}, token=patient
        )
        assert own_as_patient.codes == ["NOT_FOUND"]  # patients book through onlineAppointmentTypes
        assert own_as_patient.data[field] is None
    staff = await gql(
        client,
        document("rooms"),
        {"practiceId": str(d.practice.id)},
        token=factories.access_token(await factories.user(Role.DENTIST, d.practice)),
    )
    assert [n["name"] for n in nodes(staff, "rooms")] == ["Surgery 1", "Surgery 2"]


async def test_archiving_takes_an_item_off_the_default_list(client: httpx.AsyncClient) -> None:
    d = await diary()
    await Practitioner.filter(id=d.dentist.id).update(active=False)
    variables = {"practiceId": str(d.practice.id)}
    result = await gql(client, document("practitioners"), variables, token=d.token)
    assert nodes(result, "practitioners") == []

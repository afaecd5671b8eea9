"""The helpers that keep resolvers thin: ids converted by the input (errors name the GraphQL
field the client sent), one keyset decoder for every connection's ``after``, and patient
reads recorded from the returned types."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import strawberry

from db.models import AuditEvent
from graph.ids import IdFields, id_argument, id_list_argument, optional_id_argument
from graph.schema.pagination import after_key, encode_cursor
from services.errors import ValidationFailed
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.scheduling_fixtures import diary, iso

# --- ids ---------------------------------------------------------------------------------------


@strawberry.input
class _Sample(IdFields):
    appointment_type_id: strawberry.ID
    room_id: strawberry.ID | None = None
    resource_ids: list[strawberry.ID] | None = None
    renamed_id: strawberry.ID | None = strawberry.field(default=None, name="otherId")


def _refusal(call: Any) -> tuple[str, str | None]:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return str(refused.value), refused.value.field


def test_an_input_converts_its_ids_and_names_the_graphql_field() -> None:
    good = uuid4()
    sample = _Sample(appointment_type_id=strawberry.ID(str(good)))
    assert sample.ids.appointment_type_id == good
    assert sample.optional_ids.room_id is None
    assert sample.id_lists.resource_ids == []

    bad = _Sample(
        appointment_type_id=strawberry.ID("x"),
        room_id=strawberry.ID("y"),
        resource_ids=[strawberry.ID(str(good)), strawberry.ID("z")],
        renamed_id=strawberry.ID("w"),
    )
    assert _refusal(lambda: bad.ids.appointment_type_id) == (
        "'appointmentTypeId' is not a valid id.",
        "appointmentTypeId",
    )
    assert _refusal(lambda: bad.optional_ids.room_id)[1] == "roomId"
    assert _refusal(lambda: bad.id_lists.resource_ids)[1] == "resourceIds"
    assert _refusal(lambda: bad.optional_ids.renamed_id)[1] == "otherId"  # the schema's name
    with pytest.raises(AttributeError):
        _ = bad.ids.no_such_field


def test_more_than_a_hundred_ids_are_refused() -> None:
    many = [strawberry.ID(str(uuid4())) for _ in range(101)]
    assert _refusal(lambda: id_list_argument(practitioner_ids=many)) == (
        "At most 100 ids.",
        "practitionerIds",
    )


def test_an_argument_is_named_by_its_python_keyword() -> None:
    assert _refusal(lambda: id_argument(patient_id=strawberry.ID("1"))) == (
        "'patientId' is not a valid id.",
        "patientId",
    )
    assert optional_id_argument(user_id=None) is None
    with pytest.raises(TypeError):
        id_argument()


# --- cursors -----------------------------------------------------------------------------------


def test_after_key_reads_back_what_a_connection_wrote() -> None:
    when, row = datetime(2030, 1, 2, 9, 30, tzinfo=UTC), uuid4()
    assert after_key(None, datetime, UUID) is None
    assert after_key(encode_cursor([when.isoformat(), str(row)]), datetime, UUID) == (when, row)
    assert after_key(encode_cursor([str(row)]), UUID) == row
    assert after_key(encode_cursor([7]), int) == 7
    assert after_key(encode_cursor(["2030-01-02", str(row)]), date, UUID) == (
        date(2030, 1, 2),
        row,
    )
    assert after_key(encode_cursor(["Ann", str(row)]), str, UUID) == ("Ann", row)


@pytest.mark.parametrize(
    ("position", "kinds"),
    [
        (["a", "b", "c"], (str, UUID)),  # too many parts
        ([str(uuid4())], (datetime, UUID)),  # too few
        (["not-a-uuid"], (UUID,)),
        ([True], (int,)),  # JSON true is not a sequence number
        (["7"], (int,)),
        ([7], (UUID,)),
        (["yesterday", str(uuid4())], (datetime, UUID)),
        ([None, str(uuid4())], (date, UUID)),
    ],
)
def test_a_cursor_of_another_shape_is_bad_user_input(
    position: list[object], kinds: tuple[type, ...]
) -> None:
    assert _refusal(lambda: after_key(encode_cursor(position), *kinds)) == (
        "'after' is not a valid cursor.",
        "after",
    )
    assert _refusal(lambda: after_key("%%%", *kinds))[1] == "after"


# --- end to end --------------------------------------------------------------------------------


async def test_a_malformed_id_in_an_input_names_its_field(client: httpx.AsyncClient) -> None:
    d = await diary()
    start = iso(d.at(1, 10))
    for field in ("appointmentTypeId", "practitionerId", "roomId", "holdId"):
        result = await gql(client, BOOK, booking(d, start, **{field: "nope"}), token=d.token)
        assert result.codes == ["BAD_USER_INPUT"], field
        assert result.errors[0]["extensions"]["field"] == field
        assert result.errors[0]["message"] == f"'{field}' is not a valid id."


CONNECTIONS = {
    "patients": "query($p: ID!, $a: String) { patients(practiceId: $p, after: $a) { __typename } }",
    "rooms": "query($p: ID!, $a: String) { rooms(practiceId: $p, after: $a) { __typename } }",
    "recalls": "query($p: ID!, $a: String) { recalls(practiceId: $p, after: $a) { __typename } }",
    "waitlist": "query($p: ID!, $a: String) { waitlist(practiceId: $p, after: $a) { __typename } }",
}


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
async def test_every_connection_refuses_a_foreign_cursor(
    client: httpx.AsyncClient, name: str
) -> None:
    d = await diary()
    foreign = encode_cursor([1, 2, 3])
    result = await gql(
        client, CONNECTIONS[name], {"p": str(d.practice.id), "a": foreign}, token=d.token
    )
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "after"


PATIENT = "query($id: ID!) { patient(id: $id) { firstName lastName } }"


async def test_a_patient_read_is_audited_with_the_fields_selected(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    result = await gql(client, PATIENT, {"id": str(d.patient.id)}, token=d.token)
    assert result.errors == []
    reads = await AuditEvent.filter(action__startswith="READ", patient_id=d.patient.id)
    assert [sorted(row.fields_read) for row in reads] == [["firstName", "lastName"]]

    bad = await gql(client, PATIENT, {"id": "nope"}, token=d.token)
    assert bad.errors[0]["extensions"]["field"] == "id"
    elsewhere = await factories.practice()
    stranger = factories.access_token(await factories.user(Role.RECEPTIONIST, elsewhere))
    refused = await gql(client, PATIENT, {"id": str(d.patient.id)}, token=stranger)
    assert refused.codes == ["NOT_FOUND"]  # nothing returned: nothing recorded as read
    assert await AuditEvent.filter(action__startswith="READ", patient_id=d.patient.id).count() == 1


IN_FORCE = "query($p: ID!) { restrictionsInForce(patientId: $p) { id } }"


async def test_reading_no_restrictions_is_still_a_read_of_the_patient(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    result = await gql(client, IN_FORCE, {"p": str(patient.id)}, token=admin)
    assert result.data == {"restrictionsInForce": []}
    reads = await AuditEvent.filter(action__startswith="READ", patient_id=patient.id)
    assert [(row.entity_type, row.fields_read) for row in reads] == [("Patient", ["restrictions"])]

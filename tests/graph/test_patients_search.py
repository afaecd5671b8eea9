"""Search and access: name prefixes, identifiers by blind index, paging, injection, isolation."""

from __future__ import annotations

import uuid

import httpx
import pytest

from db.models import AuditEvent
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.patient_support import FULL, SEARCH, create, staff

ONE = "query One($id: ID!) { patient(id: $id) { id email } }"


async def _names(client: httpx.AsyncClient, token: str, practice_id: str, term: str) -> list[str]:
    result = await gql(client, SEARCH, {"practiceId": practice_id, "search": term}, token=token)
    assert result.errors == [], result.errors
    return [e["node"]["lastName"] for e in result.data["patients"]["edges"]]


async def test_search_by_name_dob_number_and_blind_indexes(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    pid = str(practice.id)
    await create(
        client,
        token,
        practice,
        firstName="Zoë",
        lastName="Ångström",
        email="Zoe.A@Example.test",
        mobilePhone="07700 900123",
        nhsNumber="9434765919",
        dateOfBirth="1985-03-14",
    )
    await create(
        client, token, practice, firstName="Alice", lastName="Smith", dateOfBirth="1990-01-02"
    )
    await create(
        client, token, practice, firstName="Bob", lastName="Smithson", dateOfBirth="1990-01-02"
    )

    assert await _names(client, token, pid, "smi") == ["Smith", "Smithson"]
    assert await _names(client, token, pid, "ANGS") == ["Ångström"]
    assert await _names(client, token, pid, "zoe ang") == ["Ångström"]
    assert await _names(client, token, pid, "alice") == ["Smith"]
    assert await _names(client, token, pid, "zoe.a@example.TEST") == ["Ångström"]
    assert await _names(client, token, pid, "+44 7700 900123") == ["Ångström"]
    assert await _names(client, token, pid, "943 476 5919") == ["Ångström"]
    assert await _names(client, token, pid, "14/03/1985") == ["Ångström"]
    assert await _names(client, token, pid, "2") == ["Smith"]
    assert await _names(client, token, pid, "other@example.test") == []


@pytest.mark.parametrize("term", ["' OR 1=1--", "%", "_", "\\", "smi%", "sm_th"])
async def test_injection_strings_are_literals(client: httpx.AsyncClient, term: str) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    await create(client, token, practice, firstName="Alice", lastName="Smith")
    await create(client, token, practice, firstName="Percy", lastName="100% Sure")

    assert await _names(client, token, str(practice.id), term) == []


@pytest.mark.parametrize("term", ["a\x00b", "\x00"])
async def test_nul_in_a_search_term_is_refused_at_the_edge(
    client: httpx.AsyncClient, term: str
) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    variables = {"practiceId": str(practice.id), "search": term}
    result = await gql(client, SEARCH, variables, token=token)
    assert result.data is None
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "search"


async def test_literal_wildcard_characters_match_themselves(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    await create(client, token, practice, lastName="100%_Sure\\ly")
    await create(client, token, practice, lastName="100xxSurely")

    assert await _names(client, token, str(practice.id), "100%_s") == ["100%_Sure\\ly"]


async def test_paging_is_stable_with_opaque_cursors(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    for name in ["Carter", "Adams", "Brown", "Adams", "Evans"]:
        await create(client, token, practice, lastName=name)
    seen: list[str] = []
    after = None
    while True:
        variables = {"practiceId": str(practice.id), "first": 2, "after": after}
        page = (await gql(client, SEARCH, variables, token=token)).data["patients"]
        seen += [e["node"]["lastName"] for e in page["edges"]]
        assert all("Adams" not in e["cursor"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Adams", "Adams", "Brown", "Carter", "Evans"]
    too_many = await gql(
        client, SEARCH, {"practiceId": str(practice.id), "first": 101}, token=token
    )
    assert too_many.codes == ["BAD_USER_INPUT"]
    bad = await gql(client, SEARCH, {"practiceId": str(practice.id), "after": "x!"}, token=token)
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_other_practice_patient_is_the_same_not_found(client: httpx.AsyncClient) -> None:
    mine, theirs = await factories.practice(), await factories.practice()
    _, token = await staff(Role.PRACTICE_ADMIN, mine)
    _, other_token = await staff(Role.PRACTICE_ADMIN, theirs)
    foreign = await create(client, other_token, theirs)

    stolen = await gql(client, ONE, {"id": foreign["id"]}, token=token)
    random = await gql(client, ONE, {"id": str(uuid.uuid4())}, token=token)
    listing = await gql(client, SEARCH, {"practiceId": str(theirs.id)}, token=token)

    assert stolen.codes == random.codes == listing.codes == ["NOT_FOUND"]
    assert stolen.errors[0]["message"] == random.errors[0]["message"]


async def test_patient_principal_reads_only_their_own_record(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.DENTIST, practice)
    own = await create(client, token, practice, lastName="Own", email="own@example.test")
    other = await create(client, token, practice, lastName="Other")
    portal = await factories.user(Role.PATIENT, practice, patient_id=uuid.UUID(own["id"]))
    patient_token = factories.access_token(portal)

    own_query = "query($id: ID!) { patient(id: $id) { email alerts medicalHistory { id } } }"
    mine = await gql(client, own_query, {"id": own["id"]}, token=patient_token)
    billing = await gql(client, FULL, {"id": own["id"]}, token=patient_token)
    theirs = await gql(client, ONE, {"id": other["id"]}, token=patient_token)
    listed = await _names(client, patient_token, str(practice.id), "")

    assert mine.errors == []
    assert mine.data["patient"]["email"] == "own@example.test"
    # Since billing (issue 16) a patient holds billing:read, narrowed to their own record like
    # every patient scope: they read their own insurance and account, nobody else's.
    assert billing.errors == []
    assert theirs.codes == ["NOT_FOUND"]
    assert listed == ["Own"]


async def test_every_read_is_audited_with_selected_fields(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    user, token = await staff(Role.RECEPTIONIST, practice)
    created = await create(client, token, practice)

    await gql(
        client,
        "query Look($id: ID!) { patient(id: $id) { email ... on Patient { lastName } } }",
        {"id": created["id"]},
        token=token,
    )

    rows = await AuditEvent.filter(actor_user_id=user.id, action="READ query Look")
    assert [(str(r.patient_id), r.fields_read) for r in rows] == [
        (created["id"], ["email", "lastName"])
    ]


async def test_receptionist_sees_alert_flag_not_clinical_detail(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    _, dentist = await staff(Role.DENTIST, practice)
    _, reception = await staff(Role.RECEPTIONIST, practice)
    created = await create(client, dentist, practice)
    from tests.graph.patient_support import record_history

    await record_history(client, dentist, created["id"])
    query = "query($id: ID!) { patient(id: $id) { hasMedicalAlert alerts } }"

    result = await gql(client, query, {"id": created["id"]}, token=reception)

    assert result.data["patient"] == {"hasMedicalAlert": True, "alerts": None}
    assert result.codes == ["FORBIDDEN"]
    assert result.errors[0]["path"] == ["patient", "alerts"]

"""Staff role changes, deactivation and practice/organisation settings over GraphQL."""

from __future__ import annotations

import httpx

from db.models import AuditEvent, Membership, Practice, RefreshToken, User
from services.policy import Role
from tests import factories
from tests.factories import PASSWORD, gql

CHANGE = """
mutation Change($input: ChangeStaffRoleInput!) {
  changeStaffRole(input: $input) { staff { id active } }
}"""
DEACTIVATE = """
mutation Off($input: StaffAccountInput!) { deactivateStaff(input: $input) { staff { active } } }"""
REACTIVATE = """
mutation On($input: StaffAccountInput!) { reactivateStaff(input: $input) { staff { active } } }"""
STAFF = """
query Staff($practiceId: ID!) {
  staffMembers(practiceId: $practiceId) { id email active roles }
}"""
UPDATE_PRACTICE = """
mutation P($input: UpdatePracticeInput!) {
  updatePractice(input: $input) {
    practice { name timezone jurisdiction address } timezoneChanged futureAppointments
  }
}"""
UPDATE_ORG = """
mutation O($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) { organization { name address } }
}"""
LOGIN = """
mutation L($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { accessToken refreshToken } }
}"""
REFRESH = """
mutation R($token: String!) {
  refreshSession(input: {refreshToken: $token}) { session { accessToken } }
}"""
ME = "{ me { email } }"


def change(user: User, practice: Practice, role: str) -> dict[str, object]:
    return {"input": {"userId": str(user.id), "practiceId": str(practice.id), "role": role}}


def account(user: User) -> dict[str, object]:
    return {"input": {"userId": str(user.id)}}


async def roles_of(user: User) -> set[str]:
    return set(await Membership.filter(user_id=user.id).values_list("role", flat=True))


async def test_practice_admin_changes_roles_within_their_rank_only(
    client: httpx.AsyncClient,
) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    token = factories.access_token(admin)

    made = await gql(client, CHANGE, change(receptionist, practice, "DENTIST"), token=token)
    assert made.errors == []
    assert await roles_of(receptionist) == {"DENTIST"}
    assert (await User.get(id=receptionist.id)).token_version == receptionist.token_version + 1

    above = await gql(client, CHANGE, change(receptionist, practice, "ORG_ADMIN"), token=token)
    assert above.codes == ["FORBIDDEN"]
    assert await roles_of(receptionist) == {"DENTIST"}
    assert await AuditEvent.filter(action="STAFF_ROLE_CHANGED", outcome="DENIED").exists()

    org_admin = await factories.user(Role.ORG_ADMIN, org=org)
    demote = await gql(client, CHANGE, change(org_admin, practice, "RECEPTIONIST"), token=token)
    assert demote.codes == ["FORBIDDEN"]
    assert await roles_of(org_admin) == {"ORG_ADMIN"}


async def test_another_practice_staff_is_not_found_like_a_random_id(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    other = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    theirs = await factories.user(Role.RECEPTIONIST, other)
    token = factories.access_token(admin)
    foreign = await gql(client, CHANGE, change(theirs, practice, "DENTIST"), token=token)
    random = await gql(
        client,
        CHANGE,
        {
            "input": {
                "userId": "00000000-0000-4000-8000-0000000000ee",
                "practiceId": str(practice.id),
                "role": "DENTIST",
            }
        },
        token=token,
    )
    assert foreign.errors == random.errors
    assert foreign.codes == ["NOT_FOUND"]
    other_practice = await gql(client, CHANGE, change(theirs, other, "DENTIST"), token=token)
    assert other_practice.codes == ["NOT_FOUND"]
    off = await gql(client, DEACTIVATE, account(theirs), token=token)
    assert off.codes == ["NOT_FOUND"]
    assert (await User.get(id=theirs.id)).is_active
    staff = await gql(client, STAFF, {"practiceId": str(other.id)}, token=token)
    assert staff.codes == ["NOT_FOUND"]


async def test_deactivation_ends_every_session_and_reactivation_lets_them_sign_in(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    patient_user = await factories.user(Role.PATIENT, practice)
    staff = await factories.user(Role.RECEPTIONIST, practice)
    session = (await gql(client, LOGIN, {"email": staff.email, "password": PASSWORD})).data
    access = session["login"]["session"]["accessToken"]
    refresh = session["login"]["session"]["refreshToken"]
    live = factories.access_token(staff)
    token = factories.access_token(admin)

    assert (await gql(client, DEACTIVATE, account(staff), token=token)).errors == []
    assert (await gql(client, ME, token=live)).codes == ["UNAUTHENTICATED"]
    assert (await gql(client, ME, token=access)).codes == ["UNAUTHENTICATED"]
    assert (await gql(client, REFRESH, {"token": refresh})).codes == ["UNAUTHENTICATED"]
    assert not await RefreshToken.filter(user_id=staff.id, revoked_at__isnull=True).exists()
    login = await gql(client, LOGIN, {"email": staff.email, "password": PASSWORD})
    assert login.codes == ["UNAUTHENTICATED"]
    assert await AuditEvent.filter(action="STAFF_DEACTIVATED", entity_id=str(staff.id)).exists()

    assert (await gql(client, REACTIVATE, account(staff), token=token)).errors == []
    again = await gql(client, LOGIN, {"email": staff.email, "password": PASSWORD})
    assert again.errors == []
    # Portal accounts are not staff: not found here.
    assert (await gql(client, DEACTIVATE, account(patient_user), token=token)).codes == [
        "NOT_FOUND"
    ]
    # Nobody deactivates themselves.
    assert (await gql(client, DEACTIVATE, account(admin), token=token)).codes == ["CONFLICT"]


async def test_last_org_admin_cannot_be_deactivated_or_demoted(
    client: httpx.AsyncClient,
) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    first = await factories.user(Role.ORG_ADMIN, org=org)
    second = await factories.user(Role.ORG_ADMIN, org=org)
    token = factories.access_token(first)
    assert (await gql(client, DEACTIVATE, account(second), token=token)).errors == []
    by_second = factories.access_token(second)
    assert (await gql(client, DEACTIVATE, account(first), token=by_second)).codes == [
        "UNAUTHENTICATED"
    ]
    # ``first`` is now the last active organisation admin.
    await gql(client, REACTIVATE, account(second), token=token)
    await User.filter(id=second.id).update(is_active=False)
    demoted = await gql(client, CHANGE, change(first, practice, "PRACTICE_ADMIN"), token=token)
    assert demoted.codes == ["CONFLICT"]
    assert await roles_of(first) == {"ORG_ADMIN"}
    third = await factories.user(Role.ORG_ADMIN, org=org)
    alone = factories.access_token(third)
    await User.filter(id=third.id).update(is_active=True)
    assert (await gql(client, DEACTIVATE, account(first), token=alone)).errors == []
    assert (await gql(client, DEACTIVATE, account(third), token=token)).codes == ["UNAUTHENTICATED"]


async def test_org_admin_promotes_and_lists_staff(client: httpx.AsyncClient) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    boss = await factories.user(Role.ORG_ADMIN, org=org)
    dentist = await factories.user(Role.DENTIST, practice)
    token = factories.access_token(boss)
    result = await gql(client, CHANGE, change(dentist, practice, "ORG_ADMIN"), token=token)
    assert result.errors == []
    assert "ORG_ADMIN" in await roles_of(dentist)
    listed = await gql(client, STAFF, {"practiceId": str(practice.id)}, token=token)
    assert listed.errors == []
    by_id = {row["id"]: set(row["roles"]) for row in listed.data["staffMembers"]}
    assert by_id[str(dentist.id)] == {"DENTIST", "ORG_ADMIN"}
    assert by_id[str(boss.id)] == {"ORG_ADMIN"}


async def test_practice_settings_validate_time_zone_and_keep_appointments(
    client: httpx.AsyncClient,
) -> None:
    from tests.graph.test_calendar_feeds import book
    from tests.scheduling_fixtures import diary

    d = await diary()
    admin = await factories.user(Role.PRACTICE_ADMIN, d.practice)
    token = factories.access_token(admin)
    await book(client, d, 3, 10)
    from db.models import Appointment

    before = await Appointment.filter(practice_id=d.practice.id).values_list("starts_at", flat=True)
    pid = str(d.practice.id)
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "Europe/London\n"):
        refused = await gql(
            client, UPDATE_PRACTICE, {"input": {"practiceId": pid, "timezone": bad}}, token=token
        )
        if bad == "Europe/London\n":  # trimmed: a real zone (and the same one)
            assert refused.errors == []
            continue
        assert refused.codes == ["BAD_USER_INPUT"]
        assert refused.errors[0]["extensions"]["field"] == "timezone"
    header = await gql(
        client, UPDATE_PRACTICE, {"input": {"practiceId": pid, "name": "A\r\nBcc: x"}}, token=token
    )
    assert header.codes == ["BAD_USER_INPUT"]
    wrong = await gql(
        client, UPDATE_PRACTICE, {"input": {"practiceId": pid, "jurisdiction": "MARS"}}, token=token
    )
    assert wrong.codes == ["BAD_USER_INPUT"]
    changed = await gql(
        client,
        UPDATE_PRACTICE,
        {
            "input": {
                "practiceId": pid,
                "timezone": "America/New_York",
                "name": "Smile Studio",
                "address": "1 High Street\nLondon",
                "jurisdiction": "SCOTLAND",
            }
        },
        token=token,
    )
    assert changed.errors == []
    payload = changed.data["updatePractice"]
    assert payload["practice"] == {
        "name": "Smile Studio",
        "timezone": "America/New_York",
        "jurisdiction": "SCOTLAND",
        "address": "1 High Street\nLondon",
    }
    assert payload["timezoneChanged"] is True
    assert payload["futureAppointments"] == 1
    after = await Appointment.filter(practice_id=d.practice.id).values_list("starts_at", flat=True)
    assert list(after) == list(before)  # same instants
    assert await AuditEvent.filter(action="PRACTICE_UPDATED", practice_id=d.practice.id).exists()
    receptionist = await gql(
        client, UPDATE_PRACTICE, {"input": {"practiceId": pid, "name": "X"}}, token=d.token
    )
    assert receptionist.codes == ["FORBIDDEN"]
    other = await factories.practice()
    foreign = await gql(
        client, UPDATE_PRACTICE, {"input": {"practiceId": str(other.id), "name": "X"}}, token=token
    )
    assert foreign.codes == ["NOT_FOUND"]
    assert (await Practice.get(id=other.id)).name != "X"


async def test_organisation_settings_for_org_admins_only(client: httpx.AsyncClient) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    boss = await factories.user(Role.ORG_ADMIN, org=org)
    practice_admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    variables = {"input": {"organizationId": str(org.id), "name": "Group", "address": "2 Road"}}
    refused = await gql(client, UPDATE_ORG, variables, token=factories.access_token(practice_admin))
    assert refused.codes == ["NOT_FOUND"]
    done = await gql(client, UPDATE_ORG, variables, token=factories.access_token(boss))
    assert done.errors == []
    assert done.data["updateOrganization"]["organization"] == {"name": "Group", "address": "2 Road"}
    other = await factories.organization()
    foreign = {"input": {"organizationId": str(other.id), "name": "Mine"}}
    assert (await gql(client, UPDATE_ORG, foreign, token=factories.access_token(boss))).codes == [
        "NOT_FOUND"
    ]

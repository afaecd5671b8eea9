"""Invitations, password resets and email changes: single-use links sent by email."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from db.models import AccountToken, AuditEvent, Membership, RefreshToken, User
from services.policy import Role
from tests import factories
from tests.factories import PASSWORD, gql

INVITE = """
mutation Invite($input: InviteStaffInput!) {
  inviteStaff(input: $input) { staff { id active } expiresAt }
}"""
ACCEPT = """
mutation Accept($token: String!, $password: String!) {
  acceptInvitation(input: {token: $token, password: $password}) {
    session { accessToken mfaEnrolmentRequired }
  }
}"""
ASK_RESET = """
mutation Ask($email: String!) { requestPasswordReset(input: {email: $email}) { message } }"""
RESET = """
mutation Reset($token: String!, $password: String!) {
  resetPassword(input: {token: $token, password: $password}) { ok }
}"""
ASK_EMAIL = """
mutation AskEmail($email: String!, $password: String!) {
  requestEmailChange(input: {newEmail: $email, password: $password}) { message }
}"""
CONFIRM_EMAIL = """
mutation ConfirmEmail($token: String!) { confirmEmailChange(input: {token: $token}) { ok } }"""
LOGIN = """
mutation L($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { accessToken refreshToken } }
}"""
REFRESH = """
mutation R($token: String!) {
  refreshSession(input: {refreshToken: $token}) { session { accessToken } }
}"""
BEGIN = "mutation { beginMfaEnrolment { otpauthUri } }"
PRACTICES = "{ practices { id } }"
NEW_PASSWORD = "a much better passphrase 42"


async def sent(template: str) -> list[tuple[str, dict[str, str]]]:
    """(masked address, context) of every recorded staff email of ``template``, oldest first."""
    from db.models import Message
    from services.messaging import records

    rows = await Message.filter(template_name=template).order_by("created_at")
    return [
        (str(row.address_masked), json.loads(records.opened(row, "context") or "{}"))
        for row in rows
    ]


def token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def invitation(practice_id: object, email: str, role: str = "RECEPTIONIST") -> dict[str, object]:
    return {
        "input": {
            "email": email,
            "fullName": "New Starter",
            "practiceId": str(practice_id),
            "role": role,
        }
    }


async def test_invitation_is_single_use_sets_a_password_and_requires_mfa(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    token = factories.access_token(admin)
    result = await gql(
        client, INVITE, invitation(practice.id, "New.Starter@Example.test"), token=token
    )
    assert result.errors == []
    assert result.data["inviteStaff"]["staff"]["active"] is False
    [(_, context)] = await sent("staff_invitation")
    assert context["name"] == "New Starter"
    assert context["expires_at"]
    secret = token_of(context["link"])
    stored = await AccountToken.get(purpose="INVITATION")
    assert secret not in stored.token_hash

    weak = await gql(client, ACCEPT, {"token": secret, "password": "short"})
    assert weak.codes == ["BAD_USER_INPUT"]  # the link is not spent by a refused password
    accepted = await gql(client, ACCEPT, {"token": secret, "password": NEW_PASSWORD})
    assert accepted.errors == []
    session = accepted.data["acceptInvitation"]["session"]
    assert session["mfaEnrolmentRequired"] is True
    assert (await gql(client, PRACTICES, token=session["accessToken"])).codes == ["FORBIDDEN"]
    assert (await gql(client, BEGIN, token=session["accessToken"])).errors == []

    again = await gql(client, ACCEPT, {"token": secret, "password": NEW_PASSWORD})
    assert again.codes == ["BAD_USER_INPUT"]
    user = await User.get(email="new.starter@example.test")
    assert user.is_active
    login = await gql(client, LOGIN, {"email": user.email, "password": NEW_PASSWORD})
    assert login.errors == []


async def test_expired_forged_and_wrong_purpose_links_get_the_same_answer(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    token = factories.access_token(admin)
    await gql(client, INVITE, invitation(practice.id, "late@example.test"), token=token)
    [(_, context)] = await sent("staff_invitation")
    secret = token_of(context["link"])
    await AccountToken.filter(purpose="INVITATION").update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    answers = [
        await gql(client, ACCEPT, {"token": secret, "password": NEW_PASSWORD}),
        await gql(client, ACCEPT, {"token": secret[:-2] + "xx", "password": NEW_PASSWORD}),
        await gql(client, ACCEPT, {"token": "' OR 1=1--", "password": NEW_PASSWORD}),
        await gql(client, RESET, {"token": secret, "password": NEW_PASSWORD}),
    ]
    assert {tuple(a.codes) for a in answers} == {("BAD_USER_INPUT",)}
    assert len({a.errors[0]["message"] for a in answers}) == 1
    assert not (await User.get(email="late@example.test")).is_active


async def test_invitation_permissions_and_rank(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    other = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    token = factories.access_token(admin)
    above = await gql(
        client, INVITE, invitation(practice.id, "a@example.test", "ORG_ADMIN"), token=token
    )
    assert above.codes == ["FORBIDDEN"]
    foreign = await gql(client, INVITE, invitation(other.id, "b@example.test"), token=token)
    assert foreign.codes == ["NOT_FOUND"]
    desk = await gql(
        client,
        INVITE,
        invitation(practice.id, "c@example.test"),
        token=factories.access_token(receptionist),
    )
    assert desk.codes == ["FORBIDDEN"]
    taken = await gql(client, INVITE, invitation(practice.id, receptionist.email), token=token)
    assert taken.codes == ["CONFLICT"]
    bad = await gql(client, INVITE, invitation(practice.id, "not an email"), token=token)
    assert bad.codes == ["BAD_USER_INPUT"]
    assert await sent("staff_invitation") == []
    assert not await User.filter(email__in=["a@example.test", "b@example.test"]).exists()


async def test_reset_answers_the_same_for_unknown_addresses_and_ends_every_session(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    staff = await factories.user(Role.DENTIST, practice)
    signed_in = (await gql(client, LOGIN, {"email": staff.email, "password": PASSWORD})).data
    refresh = signed_in["login"]["session"]["refreshToken"]
    live = factories.access_token(staff)

    known = await gql(client, ASK_RESET, {"email": staff.email})
    unknown = await gql(client, ASK_RESET, {"email": "nobody@example.test"})
    assert known.errors == unknown.errors == []
    assert known.body == unknown.body
    [(_, context)] = await sent("password_reset")
    secret = token_of(context["link"])

    done = await gql(client, RESET, {"token": secret, "password": NEW_PASSWORD})
    assert done.errors == []
    assert (await gql(client, REFRESH, {"token": refresh})).codes == ["UNAUTHENTICATED"]
    assert (await gql(client, PRACTICES, token=live)).codes == ["UNAUTHENTICATED"]
    assert not await RefreshToken.filter(user_id=staff.id, revoked_at__isnull=True).exists()
    old = await gql(client, LOGIN, {"email": staff.email, "password": PASSWORD})
    assert old.codes == ["UNAUTHENTICATED"]
    assert (
        await gql(client, RESET, {"token": secret, "password": "yet another passphrase"})
    ).codes == ["BAD_USER_INPUT"]
    assert await AuditEvent.filter(action="PASSWORD_RESET", entity_id=str(staff.id)).exists()


async def test_reset_requests_are_rate_limited_per_address_the_same_for_any_address(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    staff = await factories.user(Role.RECEPTIONIST, practice)
    for address in (staff.email, "ghost@example.test"):
        codes = [(await gql(client, ASK_RESET, {"email": address})).codes for _ in range(4)]
        assert codes == [[], [], [], ["RATE_LIMITED"]]
    assert len(await sent("password_reset")) == 3
    # Aliased copies in one document are refused before anything runs.
    many = (
        'mutation { a: requestPasswordReset(input: {email: "x@example.test"}) { message } '
        'b: requestPasswordReset(input: {email: "y@example.test"}) { message } }'
    )
    assert (await gql(client, many)).codes == ["QUERY_TOO_COMPLEX"]


async def test_deactivated_account_gets_no_reset_and_its_invitation_dies(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    token = factories.access_token(admin)
    await gql(client, INVITE, invitation(practice.id, "gone@example.test"), token=token)
    [(_, context)] = await sent("staff_invitation")
    invitee = await User.get(email="gone@example.test")
    off = (
        "mutation($input: StaffAccountInput!) "
        "{ deactivateStaff(input: $input) { staff { active } } }"
    )
    assert (
        await gql(client, off, {"input": {"userId": str(invitee.id)}}, token=token)
    ).errors == []
    late = await gql(client, ACCEPT, {"token": token_of(context["link"]), "password": NEW_PASSWORD})
    assert late.codes == ["BAD_USER_INPUT"]
    assert (await gql(client, ASK_RESET, {"email": invitee.email})).errors == []
    assert await sent("password_reset") == []


async def test_email_change_needs_the_password_confirms_by_link_and_ends_sessions(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    staff = await factories.user(Role.DENTIST, practice)
    other = await factories.user(Role.DENTIST, practice)
    token = factories.access_token(staff)
    wrong = await gql(
        client, ASK_EMAIL, {"email": "me@new.test", "password": "wrong password!"}, token=token
    )
    assert wrong.codes == ["UNAUTHENTICATED"]
    taken = await gql(client, ASK_EMAIL, {"email": other.email, "password": PASSWORD}, token=token)
    fresh = await gql(
        client, ASK_EMAIL, {"email": "Me@New.test", "password": PASSWORD}, token=token
    )
    assert taken.errors == fresh.errors == []
    assert taken.body == fresh.body
    [(masked, context)] = await sent("email_change")
    assert "new.test" in masked
    [(old, notice)] = await sent("email_change_notice")  # the old address told, without a link
    assert "new.test" not in old
    assert notice["link"] == ""
    secret = token_of(context["link"])
    assert (await User.get(id=staff.id)).email == staff.email  # nothing moves until confirmed
    done = await gql(client, CONFIRM_EMAIL, {"token": secret})
    assert done.errors == []
    assert (await User.get(id=staff.id)).email == "me@new.test"
    assert (await gql(client, PRACTICES, token=token)).codes == ["UNAUTHENTICATED"]
    assert (await gql(client, CONFIRM_EMAIL, {"token": secret})).codes == ["BAD_USER_INPUT"]
    anonymous = await gql(client, ASK_EMAIL, {"email": "x@new.test", "password": PASSWORD})
    assert anonymous.codes == ["UNAUTHENTICATED"]
    assert await Membership.filter(user_id=staff.id).count() == 1


async def test_one_link_used_twice_at_once_works_once(client: httpx.AsyncClient) -> None:
    import asyncio

    practice = await factories.practice()
    staff = await factories.user(Role.RECEPTIONIST, practice)
    assert (await gql(client, ASK_RESET, {"email": staff.email})).errors == []
    [(_, context)] = await sent("password_reset")
    secret = token_of(context["link"])
    first, second = await asyncio.gather(
        gql(client, RESET, {"token": secret, "password": NEW_PASSWORD}),
        gql(client, RESET, {"token": secret, "password": "the other new passphrase"}),
    )
    assert sorted([first.codes, second.codes]) == [[], ["BAD_USER_INPUT"]]
    assert await AuditEvent.filter(action="PASSWORD_RESET").count() == 1


async def test_invitation_arrives_over_smtp_and_its_link_works(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    from services.jobs import catalogue
    from services.jobs.runner import run_due
    from services.messaging import channels
    from tests.messaging_support import smtp_server

    catalogue.load()
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    with smtp_server(tmp_path) as (box, config):
        channels.configure(channels.MessagingConfig(smtp=config, production=True))
        try:
            variables = invitation(practice.id, "smtp.starter@example.test")
            invited = await gql(client, INVITE, variables, token=factories.access_token(admin))
            assert invited.errors == []
            while await run_due(now=datetime.now(UTC)):
                pass
        finally:
            channels.configure(channels.MessagingConfig())
    [got] = box.received
    assert got["To"] == "smtp.starter@example.test"
    text = got.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/account/accept-invitation?token=" in word)
    accepted = await gql(client, ACCEPT, {"token": token_of(link), "password": NEW_PASSWORD})
    assert accepted.errors == []

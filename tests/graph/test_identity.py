"""Signing in, MFA, refresh rotation, logout and lockout, through the real GraphQL API."""

from __future__ import annotations

import httpx
import pyotp
import pytest

from db.crypto import FieldContext
from db.models import RefreshToken, User
from services import runtime
from services.policy import Role
from tests import factories
from tests.factories import PASSWORD, gql

LOGIN = """
mutation Login($email: String!, $password: String!, $otp: String) {
  login(input: {email: $email, password: $password, otp: $otp}) {
    session { accessToken refreshToken mfaEnrolmentRequired expiresAt }
  }
}"""
REFRESH = """
mutation Refresh($token: String!) {
  refreshSession(input: {refreshToken: $token}) { session { accessToken refreshToken } }
}"""
ME = "{ me { email mfaEnabled mfaEnrolmentRequired scopes memberships { role } } }"
PRACTICES = "{ practices { id } }"
ME_ID = "{ me { email } }"
BEGIN = "mutation { beginMfaEnrolment { otpauthUri } }"
CONFIRM = """
mutation Confirm($code: String!) {
  confirmMfaEnrolment(input: {code: $code}) { recoveryCodes session { accessToken } }
}"""
LOGOUT = "mutation { logout(input: {everywhere: false}) { ok } }"


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD, otp=None):
    return await gql(client, LOGIN, {"email": email, "password": password, "otp": otp})


async def totp_for(user: User) -> pyotp.TOTP:
    fresh = await User.get(id=user.id)
    context = FieldContext("user", "app_user", "mfa_secret", str(user.id))
    return pyotp.TOTP(runtime.keyring().decrypt(fresh.mfa_secret or "", context))


async def test_patient_signs_in_without_mfa(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    portal = await factories.user(Role.PATIENT, practice)
    result = await login(client, portal.email.upper())  # emails are case-insensitive
    assert result.errors == []
    session = result.data["login"]["session"]
    assert session["mfaEnrolmentRequired"] is False
    me = await gql(client, ME, token=session["accessToken"])
    assert me.data["me"]["memberships"] == [{"role": "PATIENT"}]
    assert "PATIENT_READ" in me.data["me"]["scopes"]


async def test_receptionist_holds_billing_write_so_must_enrol_mfa(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    session = (await login(client, receptionist.email)).data["login"]["session"]
    assert session["mfaEnrolmentRequired"] is True
    assert (await gql(client, PRACTICES, token=session["accessToken"])).codes == ["FORBIDDEN"]


async def test_wrong_password_is_unauthenticated_and_reveals_nothing(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    wrong = await login(client, receptionist.email, "not the password")
    unknown = await login(client, "nobody@example.test", "not the password")
    assert wrong.codes == unknown.codes == ["UNAUTHENTICATED"]
    assert wrong.errors[0]["message"] == unknown.errors[0]["message"]


async def test_clinician_without_mfa_can_only_enrol_then_signs_in_with_codes(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    dentist = await factories.user(Role.DENTIST, practice)
    first = await login(client, dentist.email)
    session = first.data["login"]["session"]
    assert session["mfaEnrolmentRequired"] is True
    limited = session["accessToken"]

    blocked = await gql(client, PRACTICES, token=limited)
    assert blocked.codes == ["FORBIDDEN"]
    me = await gql(client, ME, token=limited)
    assert me.data["me"]["mfaEnrolmentRequired"] is True
    assert me.data["me"]["scopes"] == []

    uri = (await gql(client, BEGIN, token=limited)).data["beginMfaEnrolment"]["otpauthUri"]
    assert uri.startswith("otpauth://totp/")
    totp = await totp_for(dentist)
    wrong = await gql(client, CONFIRM, {"code": "000000"}, token=limited)
    assert wrong.codes == ["BAD_USER_INPUT"]
    confirmed = await gql(client, CONFIRM, {"code": totp.now()}, token=limited)
    assert confirmed.errors == []
    recovery = confirmed.data["confirmMfaEnrolment"]["recoveryCodes"]
    assert len(recovery) == 10
    full = confirmed.data["confirmMfaEnrolment"]["session"]["accessToken"]
    assert (await gql(client, PRACTICES, token=full)).data == {
        "practices": [{"id": str(practice.id)}]
    }

    # From now on the password alone is not enough.
    assert (await login(client, dentist.email)).codes == ["MFA_REQUIRED"]
    # The code already used for confirmation cannot be replayed.
    assert (await login(client, dentist.email, otp=totp.now())).codes == ["UNAUTHENTICATED"]
    # A recovery code works exactly once.
    ok = await login(client, dentist.email, otp=recovery[0])
    assert ok.errors == []
    again = await login(client, dentist.email, otp=recovery[0])
    assert again.codes == ["UNAUTHENTICATED"]


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    receptionist = await factories.user(Role.PATIENT, practice)
    session = (await login(client, receptionist.email)).data["login"]["session"]
    first_refresh = session["refreshToken"]

    rotated = await gql(client, REFRESH, {"token": first_refresh})
    assert rotated.errors == []
    second_refresh = rotated.data["refreshSession"]["session"]["refreshToken"]
    assert second_refresh != first_refresh

    stolen = await gql(client, REFRESH, {"token": first_refresh})
    assert stolen.codes == ["UNAUTHENTICATED"]
    # The legitimate holder's newer token died with the family.
    assert (await gql(client, REFRESH, {"token": second_refresh})).codes == ["UNAUTHENTICATED"]
    assert await RefreshToken.filter(revoked_at__isnull=True).count() == 0


async def test_logout_kills_access_and_refresh_tokens(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    receptionist = await factories.user(Role.PATIENT, practice)
    session = (await login(client, receptionist.email)).data["login"]["session"]
    token = session["accessToken"]
    assert (await gql(client, LOGOUT, token=token)).data == {"logout": {"ok": True}}
    after = await client.post(
        "/graphql", json={"query": ME_ID}, headers={"authorization": f"Bearer {token}"}
    )
    assert after.status_code == 401
    assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refresh = await gql(client, REFRESH, {"token": session["refreshToken"]})
    assert refresh.codes == ["UNAUTHENTICATED"]


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    codes = [(await login(client, receptionist.email, f"wrong-{n}")).codes[0] for n in range(5)]
    assert codes == ["UNAUTHENTICATED"] * 5
    locked = await login(client, receptionist.email)
    assert locked.codes == ["ACCOUNT_LOCKED"]
    assert locked.errors[0]["extensions"]["retryAfterSeconds"] > 0
    # Probing with a wrong password while locked answers exactly the same.
    assert (await login(client, receptionist.email, "wrong")).errors[0]["message"] == (
        locked.errors[0]["message"]
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_aliased_logins_are_refused_before_any_check(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    guesses = "\n".join(
        f'g{n}: login(input: {{email: "{receptionist.email}", password: "guess-{n}"}}) '
        "{ session { accessToken } }"
        for n in range(20)
    )
    result = await gql(client, f"mutation {{ {guesses} }}")
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.data is None
    hidden = await gql(
        client,
        "mutation { ...A ...B } "
        f'fragment A on Mutation {{ login(input: {{email: "{receptionist.email}", '
        'password: "a"}) { session { accessToken } } } '
        f'fragment B on Mutation {{ b: login(input: {{email: "{receptionist.email}", '
        'password: "b"}) { session { accessToken } } }',
    )
    assert hidden.codes == ["QUERY_TOO_COMPLEX"]

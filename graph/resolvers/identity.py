"""Signing in and out, MFA enrolment, the viewer and the role policy."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.identity import (
    BeginMfaEnrolmentPayload,
    ConfirmMfaEnrolmentInput,
    ConfirmMfaEnrolmentPayload,
    LoginInput,
    LoginPayload,
    LogoutInput,
    LogoutPayload,
    RefreshSessionInput,
    RefreshSessionPayload,
    RolePolicy,
    Session,
    Viewer,
)
from services import identity
from services.auth import enrolment, sessions
from services.policy import Scope


@strawberry.type
class IdentityQueries:
    @strawberry.field(description="The signed-in person, their roles and scopes.")
    async def me(self, info: Info) -> Viewer:
        return Viewer.from_data(await identity.viewer(info.context.principal))

    @strawberry.field(
        description="The access policy: which scopes each role grants.",
        extensions=requires(Scope.STAFF_ADMIN),
    )
    def roles(self) -> list[RolePolicy] | None:
        return [RolePolicy.from_policy(r, s) for r, s in identity.role_policy()]


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(description="Sign in with email, password and (when enrolled) a code.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        session = await sessions.login(
            email=input.email,
            password=input.password,
            otp=input.otp,
            meta=info.context.principal.meta,
        )
        return LoginPayload(session=Session.from_data(session))

    @strawberry.mutation(description="Exchange a refresh token for a new session (rotation).")
    async def refresh_session(self, input: RefreshSessionInput) -> RefreshSessionPayload:
        session = await sessions.refresh(refresh_token=input.refresh_token)
        return RefreshSessionPayload(session=Session.from_data(session))

    @strawberry.mutation(description="Sign out: revokes the refresh tokens and live tokens.")
    async def logout(self, info: Info, input: LogoutInput) -> LogoutPayload:
        await sessions.logout(info.context.principal, everywhere=input.everywhere)
        return LogoutPayload(ok=True)

    @strawberry.mutation(description="Start enrolling an authenticator app.")
    async def begin_mfa_enrolment(self, info: Info) -> BeginMfaEnrolmentPayload:
        uri = await enrolment.begin(info.context.principal)
        return BeginMfaEnrolmentPayload(otpauth_uri=uri)

    @strawberry.mutation(description="Confirm the authenticator with a first code.")
    async def confirm_mfa_enrolment(
        self, info: Info, input: ConfirmMfaEnrolmentInput
    ) -> ConfirmMfaEnrolmentPayload:
        enrolled = await enrolment.confirm(info.context.principal, code=input.code)
        return ConfirmMfaEnrolmentPayload(
            recovery_codes=enrolled.recovery_codes, session=Session.from_data(enrolled.session)
        )

"""Sessions, the signed-in viewer and the inspectable role policy."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.ids import IdFields
from graph.permissions.fields import ScopeEnum
from graph.schema.clinical_chart import ToothNotation
from services.auth.sessions import Session as SessionData
from services.clinical.teeth import Notation
from services.identity import Viewer as ViewerData
from services.policy import Role, Scope

RoleEnum = strawberry.enum(Role, name="Role", description="What a person does in a practice.")


@strawberry.type(description="Tokens for an authenticated session.")
class Session:
    access_token: str = strawberry.field(description="Bearer token for API calls (short-lived).")
    refresh_token: str = strawberry.field(description="Single-use token to renew the session.")
    expires_at: datetime = strawberry.field(description="When the access token expires.")
    mfa_enrolment_required: bool = strawberry.field(
        description="True when the account must enrol MFA before it can do anything else."
    )

    @classmethod
    def from_data(cls, data: SessionData) -> Session:
        return cls(
            access_token=data.access_token,
            refresh_token=data.refresh_token,
            expires_at=data.expires_at,
            mfa_enrolment_required=data.mfa_enrolment_required,
        )


@strawberry.input(description="Credentials; `otp` is a TOTP code or a recovery code.")
class LoginInput(IdFields):
    email: str = strawberry.field(description="Sign-in email (case-insensitive).")
    password: str = strawberry.field(description="The account password.")
    otp: str | None = strawberry.field(
        default=None, description="Authenticator code or recovery code, when MFA is on."
    )


@strawberry.type(description="The result of signing in.")
class LoginPayload:
    session: Session = strawberry.field(description="The new session.")


@strawberry.input(description="The refresh token received with the current session.")
class RefreshSessionInput(IdFields):
    refresh_token: str = strawberry.field(description="The current, unspent refresh token.")


@strawberry.type(description="A renewed session; the old refresh token is now spent.")
class RefreshSessionPayload:
    session: Session = strawberry.field(description="The renewed session.")


@strawberry.input(description="End this session, or every session of the account.")
class LogoutInput(IdFields):
    everywhere: bool = strawberry.field(
        default=False, description="Also end the account's sessions on other devices."
    )


@strawberry.type(description="Sign-out confirmation.")
class LogoutPayload:
    ok: bool = strawberry.field(description="True once the session is revoked.")


@strawberry.type(description="Scan the URI with an authenticator app, then confirm a code.")
class BeginMfaEnrolmentPayload:
    otpauth_uri: str = strawberry.field(description="otpauth:// URI (show as a QR code).")


@strawberry.input(description="A code from the authenticator app.")
class ConfirmMfaEnrolmentInput(IdFields):
    code: str = strawberry.field(description="The 6-digit code the app shows now.")


@strawberry.type(description="MFA is on. Keep the recovery codes safe: they are shown once.")
class ConfirmMfaEnrolmentPayload:
    recovery_codes: list[str] = strawberry.field(description="Single-use fallback codes.")
    session: Session = strawberry.field(description="A full session, second factor proven.")


@strawberry.type(description="A role held in a practice or organization.")
class Membership:
    role: RoleEnum = strawberry.field(description="The role held.")  # type: ignore[valid-type]
    practice_id: strawberry.ID | None = strawberry.field(description="Practice, if practice-level.")
    organization_id: strawberry.ID | None = strawberry.field(description="Organization, if any.")


@strawberry.type(description="The signed-in person.")
class Viewer:
    id: strawberry.ID
    email: str = strawberry.field(description="Sign-in email.")
    full_name: str = strawberry.field(description="Display name.")
    mfa_enabled: bool = strawberry.field(description="Whether a second factor is enrolled.")
    mfa_enrolment_required: bool = strawberry.field(description="Must enrol MFA before acting.")
    memberships: list[Membership] = strawberry.field(description="Roles held.")
    scopes: list[ScopeEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Every scope held somewhere (per practice checks still apply)."
    )
    tooth_notation: ToothNotation = strawberry.field(  # type: ignore[valid-type]
        description="How tooth charts show tooth numbers for you (setToothNotation changes it)."
    )

    @classmethod
    def from_data(cls, data: ViewerData) -> Viewer:
        principal = data.principal
        held = set(principal.global_scopes)
        for scopes in principal.practice_scopes.values():
            held |= scopes
        return cls(
            id=strawberry.ID(str(data.user.id)),
            email=data.user.email,
            full_name=data.user.full_name,
            mfa_enabled=data.user.mfa_enabled,
            mfa_enrolment_required=principal.enrolment_only,
            memberships=[
                Membership(
                    role=Role(m.role),
                    practice_id=strawberry.ID(str(m.practice_id)) if m.practice_id else None,
                    organization_id=(
                        strawberry.ID(str(m.organization_id)) if m.organization_id else None
                    ),
                )
                for m in data.memberships
            ],
            scopes=[] if principal.enrolment_only else sorted(held, key=str),
            tooth_notation=Notation(data.user.tooth_notation)
            if data.user.tooth_notation in Notation.__members__
            else Notation.FDI,
        )


@strawberry.type(description="One row of the access policy: a role and the scopes it grants.")
class RolePolicy:
    role: RoleEnum = strawberry.field(description="The role.")  # type: ignore[valid-type]
    scopes: list[ScopeEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Scopes the role grants (checked per practice)."
    )

    @classmethod
    def from_policy(cls, role: Role, scopes: list[Scope]) -> RolePolicy:
        return cls(role=role, scopes=scopes)

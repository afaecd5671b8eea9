"""Invitations, password resets and email changes: the inputs and payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.ids import IdFields
from graph.schema.identity import RoleEnum, Session
from graph.schema.staff import StaffAccount


@strawberry.input(description="Invite someone to work in a practice you administer.")
class InviteStaffInput(IdFields):
    email: str = strawberry.field(description="Their email: the invitation link goes there.")
    full_name: str = strawberry.field(description="Their name, 1-200 characters.")
    practice_id: strawberry.ID = strawberry.field(description="A practice you administer.")
    role: RoleEnum = strawberry.field(  # type: ignore[valid-type]
        description="Their role (ORG_ADMIN: admin of the practice's organisation); at most "
        "your own."
    )


@strawberry.type(description="The invitation is sent; the account waits, inactive, for them.")
class InviteStaffPayload:
    staff: StaffAccount = strawberry.field(description="The new, not yet active, account.")
    expires_at: datetime = strawberry.field(description="When the invitation link expires.")


@strawberry.input(description="The invitation link's token and the password chosen.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The token from the invitation link.")
    password: str = strawberry.field(description="A new password (at least 12 characters).")


@strawberry.type(description="Signed in; the session can only enrol MFA until that is done.")
class AcceptInvitationPayload:
    session: Session = strawberry.field(description="The new session.")


@strawberry.input(description="The address of the account whose password was forgotten.")
class RequestPasswordResetInput:
    email: str = strawberry.field(description="The sign-in email.")


@strawberry.type(description="The same answer whether or not the address has an account.")
class RequestPasswordResetPayload:
    message: str = strawberry.field(description="What to do next.")


@strawberry.input(description="The reset link's token and the new password.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The token from the reset link.")
    password: str = strawberry.field(description="A new password (at least 12 characters).")


@strawberry.type(description="The password is changed and every session of the account ended.")
class ResetPasswordPayload:
    ok: bool = strawberry.field(description="True once done.")


@strawberry.input(description="Move your sign-in to another email address.")
class RequestEmailChangeInput:
    new_email: str = strawberry.field(description="The new address: the link goes there.")
    password: str = strawberry.field(description="Your current password.")


@strawberry.type(description="A confirmation link is on its way to the new address.")
class RequestEmailChangePayload:
    message: str = strawberry.field(description="What to do next.")


@strawberry.input(description="The email-change link's token.")
class ConfirmEmailChangeInput:
    token: str = strawberry.field(description="The token from the confirmation link.")


@strawberry.type(description="The email is changed; sign in again with it.")
class ConfirmEmailChangePayload:
    ok: bool = strawberry.field(description="True once done.")

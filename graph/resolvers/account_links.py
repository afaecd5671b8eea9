"""Invitations, password resets and email changes: links sent by email, spent once."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.account_links import (
    AcceptInvitationInput,
    AcceptInvitationPayload,
    ConfirmEmailChangeInput,
    ConfirmEmailChangePayload,
    InviteStaffInput,
    InviteStaffPayload,
    RequestEmailChangeInput,
    RequestEmailChangePayload,
    RequestPasswordResetInput,
    RequestPasswordResetPayload,
    ResetPasswordInput,
    ResetPasswordPayload,
)
from graph.schema.identity import Session
from graph.schema.staff import StaffAccount
from services.policy import Role, Scope
from services.staff import email_change, invitations, password_reset


def _base(info: Info) -> str:
    return info.context.settings.public_url or str(info.context.request.base_url)


@strawberry.type
class AccountLinkMutations:
    @strawberry.mutation(
        description="Invite a staff member by email (single-use link, expiring).",
        extensions=requires(Scope.STAFF_ADMIN),
    )
    async def invite_staff(self, info: Info, input: InviteStaffInput) -> InviteStaffPayload | None:
        invited = await invitations.invite(
            info.context.principal,
            email=input.email,
            full_name=input.full_name,
            practice_id=input.ids.practice_id,
            role=Role(input.role),
            link_base=_base(info),
        )
        return InviteStaffPayload(
            staff=StaffAccount.from_model(invited.user), expires_at=invited.expires_at
        )

    @strawberry.mutation(description="Accept an invitation: choose a password, then enrol MFA.")
    async def accept_invitation(
        self, info: Info, input: AcceptInvitationInput
    ) -> AcceptInvitationPayload:
        session = await invitations.accept(
            token=input.token, password=input.password, meta=info.context.principal.meta
        )
        return AcceptInvitationPayload(session=Session.from_data(session))

    @strawberry.mutation(description="Email a password-reset link (same answer for any address).")
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        message = await password_reset.request(
            email=input.email, meta=info.context.principal.meta, link_base=_base(info)
        )
        return RequestPasswordResetPayload(message=message)

    @strawberry.mutation(description="Set a new password with a reset link; ends every session.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        await password_reset.reset(
            token=input.token, password=input.password, meta=info.context.principal.meta
        )
        return ResetPasswordPayload(ok=True)

    @strawberry.mutation(description="Ask to move your sign-in to a new email address.")
    async def request_email_change(
        self, info: Info, input: RequestEmailChangeInput
    ) -> RequestEmailChangePayload:
        message = await email_change.request(
            info.context.principal,
            new_email=input.new_email,
            password=input.password,
            link_base=_base(info),
        )
        return RequestEmailChangePayload(message=message)

    @strawberry.mutation(description="Confirm a new email address with the emailed link.")
    async def confirm_email_change(
        self, info: Info, input: ConfirmEmailChangeInput
    ) -> ConfirmEmailChangePayload:
        await email_change.confirm(token=input.token, principal=info.context.principal)
        return ConfirmEmailChangePayload(ok=True)

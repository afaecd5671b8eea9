"""Partner apps (OAuth clients): register, list, rotate, narrow, suspend, resume, delete
(organisation admins, ``partner:admin``)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from db.models import PartnerClient as PartnerClientRow
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.partner_clients import (
    DeletePartnerClientInput,
    DeletePartnerClientPayload,
    PartnerClient,
    RegisterPartnerClientInput,
    RegisterPartnerClientPayload,
    ResumePartnerClientInput,
    ResumePartnerClientPayload,
    RotatePartnerClientSecretInput,
    RotatePartnerClientSecretPayload,
    SuspendPartnerClientInput,
    SuspendPartnerClientPayload,
    UpdatePartnerClientInput,
    UpdatePartnerClientPayload,
)
from services.auth import client_admin, clients
from services.policy import Scope

ADMIN = requires(Scope.PARTNER_ADMIN)


def _client(row: PartnerClientRow) -> PartnerClient:
    return PartnerClient.from_model(row, clients.clock())


@strawberry.type
class PartnerClientQueries:
    @strawberry.field(
        description="The organisation's partner apps, oldest first (never their secrets).",
        extensions=ADMIN,
    )
    async def partner_clients(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID, strawberry.argument(description="The organisation.")
        ],
    ) -> list[PartnerClient] | None:
        found = await client_admin.listed(
            info.context.principal, organization_id=id_argument(organization_id=organization_id)
        )
        return [_client(row) for row in found]


@strawberry.type
class PartnerClientMutations:
    @strawberry.mutation(
        description="Register a partner app; its client secret is shown once.", extensions=ADMIN
    )
    async def register_partner_client(
        self, info: Info, input: RegisterPartnerClientInput
    ) -> RegisterPartnerClientPayload | None:
        made = await client_admin.register(
            info.context.principal,
            organization_id=input.ids.organization_id,
            name=input.name,
            scopes=[str(scope) for scope in input.scopes],
            practice_ids=input.id_lists.practice_ids,
            trusted_documents_only=input.trusted_documents_only,
        )
        return RegisterPartnerClientPayload(client=_client(made.client), client_secret=made.secret)

    @strawberry.mutation(
        description="Replace a partner app's secret (shown once); the current one keeps "
        "working for the grace period asked.",
        extensions=ADMIN,
    )
    async def rotate_partner_client_secret(
        self, info: Info, input: RotatePartnerClientSecretInput
    ) -> RotatePartnerClientSecretPayload | None:
        made = await client_admin.rotate_secret(
            info.context.principal, client_id=input.client_id, grace_minutes=input.grace_minutes
        )
        return RotatePartnerClientSecretPayload(
            client=_client(made.client), client_secret=made.secret
        )

    @strawberry.mutation(
        description="Rename a partner app, narrow its scopes and practices, or set it to "
        "trusted documents only (at once, for tokens already issued too).",
        extensions=ADMIN,
    )
    async def update_partner_client(
        self, info: Info, input: UpdatePartnerClientInput
    ) -> UpdatePartnerClientPayload | None:
        row = await client_admin.update(
            info.context.principal,
            client_id=input.client_id,
            name=input.name,
            scopes=None if input.scopes is None else [str(scope) for scope in input.scopes],
            practice_ids=None if input.practice_ids is None else input.id_lists.practice_ids,
            trusted_documents_only=input.trusted_documents_only,
        )
        return UpdatePartnerClientPayload(client=_client(row))

    @strawberry.mutation(
        description="Suspend a partner app: no new tokens, and its issued tokens are refused "
        "from the next request.",
        extensions=ADMIN,
    )
    async def suspend_partner_client(
        self, info: Info, input: SuspendPartnerClientInput
    ) -> SuspendPartnerClientPayload | None:
        row = await client_admin.set_active(
            info.context.principal, client_id=input.client_id, active=False
        )
        return SuspendPartnerClientPayload(client=_client(row))

    @strawberry.mutation(description="Resume a suspended partner app.", extensions=ADMIN)
    async def resume_partner_client(
        self, info: Info, input: ResumePartnerClientInput
    ) -> ResumePartnerClientPayload | None:
        row = await client_admin.set_active(
            info.context.principal, client_id=input.client_id, active=True
        )
        return ResumePartnerClientPayload(client=_client(row))

    @strawberry.mutation(
        description="Delete a partner app for good: its secret and tokens stop working.",
        extensions=ADMIN,
    )
    async def delete_partner_client(
        self, info: Info, input: DeletePartnerClientInput
    ) -> DeletePartnerClientPayload | None:
        gone = await client_admin.delete(info.context.principal, client_id=input.client_id)
        return DeletePartnerClientPayload(deleted_client_id=gone)

"""Role changes, deactivation and reactivation of staff accounts, by their admins.

Rules (``services.staff.reach`` ranks the roles):

- An admin acts only on people holding a staff role in a practice they administer; anyone else
  (another practice's staff, a portal account, a random id) is the same NOT_FOUND.
- No role above one's own (FORBIDDEN), and nobody who outranks the admin, or who also works
  somewhere the admin does not administer, can be changed or deactivated (FORBIDDEN).
- The last active organisation admin of an organisation can be neither demoted nor
  deactivated (CONFLICT), and nobody deactivates their own account (CONFLICT).
- Deactivation ends every session at once: refresh tokens revoked and the token version bumped
  in the same transaction, so live access tokens, WebSocket subscriptions and calendar feeds
  stop on their next check. A role change bumps the version too (tokens re-read roles).

Each change is audited in its transaction; a refusal is audited as DENIED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from db.models import Membership, User
from db.queries import account_tokens
from db.queries import sessions as session_rows
from db.queries import staff as staff_rows
from db.tenancy import OrganizationId, PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.policy import Role, Scope
from services.principal import Principal
from services.staff import reach

_STAFF = frozenset(role.value for role in reach.RANK)
LAST_ADMIN = "The organisation must keep at least one active organisation admin."


@dataclass(frozen=True, slots=True)
class StaffMember:
    user_id: UUID
    email: str
    full_name: str
    active: bool
    mfa_enabled: bool
    roles: list[Role] = field(default_factory=list)


def _uuid(value: object) -> UUID | None:
    return None if value is None else UUID(str(value))


async def _refuse(principal: Principal, action: str, user_id: UUID, message: str) -> None:
    await audit.write(
        [
            audit.record_for(
                principal,
                action=action,
                outcome="DENIED",
                entity_type="User",
                entity_id=user_id,
            )
        ]
    )
    raise PolicyDenied(message)


async def _target(uow: UnitOfWork, user_id: UUID) -> tuple[User, list[dict[str, Any]]]:
    user = await staff_rows.user_for_update(user_id, uow.connection)
    held = await staff_rows.held_by(user_id, uow.connection) if user is not None else []
    staff = [m for m in held if str(m["role"]) in _STAFF]
    if user is None or not staff:
        raise NotFound("Staff member")
    return user, staff


async def _keep_an_org_admin(
    uow: UnitOfWork, principal: Principal, organization_id: UUID | None, user_id: UUID
) -> None:
    """Only an admin of the organisation gets here (rank checked), so it is among theirs."""
    if organization_id is None:
        return
    oid = tenant_gate.organization_among(principal.organization_scopes, organization_id)
    if await staff_rows.other_org_admins(oid, user_id, uow.connection) == 0:
        raise Conflict(LAST_ADMIN)


def _org_admin_of(rows: list[dict[str, Any]]) -> list[UUID]:
    return [
        u
        for m in rows
        if m["role"] == Role.ORG_ADMIN.value and (u := _uuid(m["organization_id"])) is not None
    ]


async def change_role(
    principal: Principal, *, user_id: UUID, practice_id: UUID, role: Role
) -> User:
    """Their staff role in this practice (ORG_ADMIN: in its organisation) becomes ``role``."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STAFF_ADMIN)
    if role not in reach.ASSIGNABLE:
        raise ValidationFailed("Only staff roles can be given here.", field="role")
    actor = reach.rank_in(principal, pid)
    if reach.RANK[role] > actor:
        await _refuse(
            principal, "STAFF_ROLE_CHANGED", user_id, "You cannot give a role above your own."
        )
    org = principal.organization_of(pid)
    refused: str | None = None
    async with unit_of_work() as uow:
        user, staff = await _target(uow, user_id)
        here = [
            m
            for m in staff
            if _uuid(m["practice_id"]) == pid
            or (m["role"] == Role.ORG_ADMIN.value and _uuid(m["organization_id"]) == org)
        ]
        if not here:
            raise NotFound("Staff member")
        if any(need > have for need, have in (reach.membership_rank(principal, m) for m in here)):
            refused = "This person's role is above yours."
        else:
            await _apply_role(uow, user, principal, pid, org, role, here)
            user.token_version += 1
            await user.save(using_db=uow.connection, update_fields=["token_version"])
            uow.audit(
                audit.record_for(
                    principal,
                    action="STAFF_ROLE_CHANGED",
                    practice_id=pid,
                    entity_type="User",
                    entity_id=user.id,
                    fields=["role", role.value],
                )
            )
    if refused is not None:
        await _refuse(principal, "STAFF_ROLE_CHANGED", user_id, refused)
    return user


async def _apply_role(
    uow: UnitOfWork,
    user: User,
    principal: Principal,
    pid: PracticeId,
    org: OrganizationId | None,
    role: Role,
    here: list[dict[str, Any]],
) -> None:
    was_org_admin = org in _org_admin_of(here)
    if role is Role.ORG_ADMIN:
        if not was_org_admin:
            await Membership.create(
                user_id=user.id, organization_id=org, role=role.value, using_db=uow.connection
            )
        return
    if was_org_admin and org is not None:
        await _keep_an_org_admin(uow, principal, org, user.id)
        await staff_rows.drop_org_admin(org, user.id, uow.connection)
    await staff_rows.drop_practice_roles(pid, user.id, uow.connection)
    await Membership.create(
        user_id=user.id, practice_id=pid, role=role.value, using_db=uow.connection
    )


async def set_active(principal: Principal, *, user_id: UUID, active: bool) -> User:
    """Deactivate (ending every session) or reactivate a staff account."""
    action = "STAFF_REACTIVATED" if active else "STAFF_DEACTIVATED"
    if not active and user_id == principal.user_id:
        raise Conflict("You cannot deactivate your own account.")
    refused: str | None = None
    async with unit_of_work() as uow:
        user, staff = await _target(uow, user_id)
        ranks = [reach.membership_rank(principal, m) for m in staff]
        if all(have == 0 for _, have in ranks):
            raise NotFound("Staff member")
        if any(need > have for need, have in ranks):
            refused = (
                "This person holds a role you do not administer "
                "(a higher role, or in another practice)."
            )
        else:
            if not active:
                for org in _org_admin_of(staff):
                    await _keep_an_org_admin(uow, principal, org, user.id)
            await _switch(uow, principal, user, active, action, staff)
    if refused is not None:
        await _refuse(principal, action, user_id, refused)
    return user


async def _switch(
    uow: UnitOfWork,
    principal: Principal,
    user: User,
    active: bool,
    action: str,
    staff: list[dict[str, Any]],
) -> None:
    user.is_active = active
    user.token_version += 1
    await user.save(using_db=uow.connection, update_fields=["is_active", "token_version"])
    if not active:
        now = datetime.now(UTC)
        await session_rows.revoke_all_in(user.id, now, uow.connection)
        await account_tokens.spend_all_open(user.id, now, uow.connection)
    practices = {p for m in staff if (p := _uuid(m["practice_id"])) is not None}
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=next(iter(practices)) if len(practices) == 1 else None,
            entity_type="User",
            entity_id=user.id,
        )
    )


async def staff_members(principal: Principal, *, practice_id: UUID) -> list[StaffMember]:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STAFF_ADMIN)
    org = principal.organization_of(pid)
    if org is None:
        raise NotFound("Practice")
    found: dict[UUID, StaffMember] = {}
    for row in await staff_rows.staff_of(pid, org):
        uid = UUID(str(row["user_id"]))
        member = found.setdefault(
            uid,
            StaffMember(
                user_id=uid,
                email=str(row["user__email"]),
                full_name=str(row["user__full_name"]),
                active=bool(row["user__is_active"]),
                mfa_enabled=bool(row["user__mfa_enabled"]),
            ),
        )
        if Role(str(row["role"])) not in member.roles:
            member.roles.append(Role(str(row["role"])))
    return list(found.values())


__all__ = ["LAST_ADMIN", "StaffMember", "change_role", "set_active", "staff_members"]

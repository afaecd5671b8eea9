"""What a signed-in principal may know about themselves and about the access policy."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Membership, User
from db.queries import memberships as membership_rows
from db.queries import users
from services.errors import Unauthenticated
from services.policy import ROLE_SCOPES, Role, Scope
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class Viewer:
    user: User
    memberships: list[Membership]
    principal: Principal


async def viewer(principal: Principal) -> Viewer:
    if principal.user_id is None:
        raise Unauthenticated("Sign in first.")
    user = await users.by_id(principal.user_id)
    if user is None:
        raise Unauthenticated("Sign in first.")
    return Viewer(user, await membership_rows.of_user(user.id), principal)


def role_policy() -> list[tuple[Role, list[Scope]]]:
    """The policy table as data, for admins to inspect."""
    return [(role, sorted(scopes, key=lambda s: s.value)) for role, scopes in ROLE_SCOPES.items()]

"""Creating accounts (the CLI's create-user): one role in one practice or organization."""

from __future__ import annotations

from uuid import UUID

from db.models import Membership, User
from db.queries import organizations, users
from db.uow import unit_of_work
from services import audit
from services.auth.passwords import hash_password, password_problem
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Role
from services.principal import Principal, RequestMeta

# Commands run by an operator on the server act as this principal in the audit log.
OPERATOR = Principal(meta=RequestMeta(request_id="cli", user_agent="aescrm-cli"))


async def create_user(
    *,
    email: str,
    full_name: str,
    password: str,
    role: Role,
    practice_id: UUID | None = None,
    organization_id: UUID | None = None,
    actor: Principal = OPERATOR,
) -> User:
    email = email.strip().casefold()
    if "@" not in email or len(email) > 254:
        raise ValidationFailed("Enter a valid email address.", field="email")
    if problem := password_problem(password):
        raise ValidationFailed(problem, field="password")
    if role is Role.PARTNER:
        raise ValidationFailed("Partners are OAuth clients, not users.", field="role")
    if role is Role.PATIENT:
        raise ValidationFailed("Portal accounts are created from the patient record.", field="role")
    practice = organization = None
    if role is Role.ORG_ADMIN:
        organization = (
            await organizations.organization_by_id(organization_id) if organization_id else None
        )
        if organization is None:
            raise NotFound("Organization")
    elif role is not Role.SYSTEM_OWNER:
        practice = await organizations.practice_by_id(practice_id) if practice_id else None
        if practice is None:
            raise NotFound("Practice")
    if await users.email_taken(email):
        raise Conflict("An account with that email already exists.")
    owner = organization.id if organization else practice.organization_id if practice else None
    async with unit_of_work() as uow:
        user = await User.create(
            email=email,
            full_name=full_name,
            password_hash=hash_password(password),
            using_db=uow.connection,
        )
        await Membership.create(
            user=user,
            role=role.value,
            practice=practice,
            organization=organization,
            using_db=uow.connection,
        )
        uow.audit(
            audit.record_for(
                actor,
                action="USER_CREATED",
                practice_id=practice.id if practice else None,
                organization_id=UUID(str(owner)) if owner else None,
                entity_type="User",
                entity_id=user.id,
                fields=["role", role.value],
            )
        )
    return user

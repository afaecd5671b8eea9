"""Patient-portal accounts, and the rule that nobody under 16 has one.

A minor's record is reached through a guardian: a linked patient with parental responsibility
who has their own portal account gains a second PATIENT membership naming the minor, so the
principal built at sign-in lists both records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from db.models import Membership, Patient, User
from db.models.patients import ResponsibilityEvidence
from db.queries import guardians, portal_accounts, users
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.auth import portal_age
from services.auth.passwords import hash_password, password_problem
from services.consent import privacy_access
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.policy import Role, Scope
from services.principal import Principal

PORTAL_MINIMUM_AGE = portal_age.PORTAL_MINIMUM_AGE


def _too_young(patient: Patient) -> bool:
    return portal_age.too_young(patient.date_of_birth)


async def create_account(
    principal: Principal, *, patient_id: UUID, email: str, password: str
) -> User:
    patient = await privacy_access.staff_with(
        principal, Scope.PATIENT_WRITE, patient_id, action="CREATE portal account"
    )
    if _too_young(patient):
        raise PolicyDenied(
            "Patients under 16 cannot have a portal account; give access through a guardian."
        )
    email = email.strip().casefold()
    if "@" not in email or len(email) > 254:
        raise ValidationFailed("Enter a valid email address.", field="email")
    if problem := password_problem(password):
        raise ValidationFailed(problem, field="password")
    if await users.email_taken(email):
        raise Conflict("An account with that email already exists.", field="email")
    async with unit_of_work() as uow:
        user = await User.create(
            email=email,
            full_name=f"{patient.first_name} {patient.last_name}",
            password_hash=hash_password(password),
            using_db=uow.connection,
        )
        await Membership.create(
            user=user,
            practice_id=patient.practice_id,
            role=Role.PATIENT.value,
            patient_id=patient.id,
            using_db=uow.connection,
        )
        _audit(uow, principal, patient, "CREATE portal account", user.id)
    return user


async def grant_guardian_access(
    principal: Principal,
    *,
    patient_id: UUID,
    guardian_id: UUID,
    evidence: ResponsibilityEvidence,
) -> Membership:
    """The guardian's portal account may now also read the minor's record.

    Staff record what proved parental responsibility; the link keeps the kind of evidence, who
    checked it and when, and the grant is audited with the evidence field named.
    """
    patient = await privacy_access.staff_with(
        principal, Scope.PATIENT_WRITE, patient_id, action="GRANT guardian portal access"
    )
    link = await guardians.responsible_link(
        tenant_gate.practice_of(patient), patient.id, guardian_id
    )
    if link is None:
        raise NotFound("Guardian link")
    own = await portal_accounts.own_account(guardian_id, Role.PATIENT.value)
    if own is None:
        raise ValidationFailed("The guardian needs a portal account first.", field="guardianId")
    async with unit_of_work() as uow:
        link.responsibility_evidence = ResponsibilityEvidence(evidence).value
        link.evidence_checked_by_user_id = principal.user_id
        link.evidence_checked_at = datetime.now(UTC)
        await link.save(
            using_db=uow.connection,
            update_fields=[
                "responsibility_evidence",
                "evidence_checked_by_user_id",
                "evidence_checked_at",
            ],
        )
        membership = await portal_accounts.membership(
            own.user_id, patient.id, Role.PATIENT.value, uow.connection
        )
        if membership is None:
            membership = await Membership.create(
                user_id=own.user_id,
                practice_id=patient.practice_id,
                role=Role.PATIENT.value,
                patient_id=patient.id,
                using_db=uow.connection,
            )
        _audit(
            uow,
            principal,
            patient,
            "GRANT guardian portal access",
            own.user_id,
            fields=["responsibilityEvidence"],
        )
    return membership


def _audit(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    action: str,
    user_id: object,
    *,
    fields: list[str] | None = None,
) -> None:
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=tenant_gate.practice_of(patient),
            entity_type="User",
            entity_id=user_id,
            patient_id=patient.id,
            fields=fields,
        )
    )

"""Legal holds: placing, lifting and listing them (in force when: ``db.queries.legal_holds``).

A hold names who placed it, why, and optionally the last day it applies; while one is in force
on a patient (or on their whole practice) retention skips the patient and erasure keeps
everything. Placing and lifting need ``legal_hold:write`` in the practice, are validated once
here, and are audited in the same transaction as the change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from db.audit_chain import AuditRecord
from db.models import LegalHold, Patient
from db.queries import accounts, owned
from db.queries import legal_holds as queries
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.auth.principal_loader import principal_for_user
from services.consent import privacy_access
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import validation as v
from services.policy import Scope
from services.principal import Principal, RequestMeta

PLACE_ACTION = "PLACE legal hold"
LIFT_ACTION = "LIFT legal hold"


def _today() -> date:
    return datetime.now(UTC).date()


async def _require(principal: Principal, practice_id: PracticeId, action: str) -> None:
    if (
        principal.is_patient
        or principal.client_id
        or not principal.has_scope(Scope.LEGAL_HOLD_WRITE, practice_id)
    ):
        await audit.record_denied(principal, action=action, practice_id=practice_id)
        raise PolicyDenied("You do not have permission to do this.")


def _reason(value: str, field: str) -> str:
    text = v.text(value, field, max_length=300, required=True) or ""
    if len(text) < 3:
        raise ValidationFailed(f"'{field}' needs at least 3 characters.", field=field)
    return text


async def place(
    principal: Principal,
    *,
    practice_id: UUID,
    patient_id: UUID | None,
    reason: str,
    until: date | None,
) -> LegalHold:
    """A hold on one patient, or (no patient) on every record of the practice."""
    patient: Patient | None = None
    if patient_id is not None:
        patient = await privacy_access.readable(principal, patient_id)  # not theirs: NOT_FOUND
        if str(patient.practice_id) != str(practice_id):
            raise NotFound("Patient")
        pid = tenant_gate.practice_of(patient)
    else:
        pid = tenant_gate.practice_among(principal.practice_ids, practice_id)
    await _require(principal, pid, PLACE_ACTION)
    text = _reason(reason, "reason")
    if until is not None and until < _today():
        raise ValidationFailed("'until' cannot be in the past.", field="until")
    async with unit_of_work() as uow:
        hold = LegalHold(
            id=uuid4(),
            practice_id=pid,
            patient_id=None if patient is None else patient.id,
            reason=text,
            held_until=until,
            placed_by_user_id=principal.user_id,
        )
        await hold.save(using_db=uow.connection)
        uow.audit(_record(principal, hold, PLACE_ACTION, ["reason", "heldUntil"]))
    return hold


async def lift(principal: Principal, *, hold_id: UUID, reason: str) -> LegalHold:
    hold = await owned.row(LegalHold, principal.practice_ids, hold_id)
    if hold is None:
        raise NotFound("Legal hold")
    pid = tenant_gate.practice_of(hold)
    await _require(principal, pid, LIFT_ACTION)
    text = _reason(reason, "reason")
    async with unit_of_work() as uow:
        locked = await queries.locked(pid, hold.id, uow.connection)
        if locked.released_at is not None:
            raise Conflict("This legal hold was already lifted.", field="holdId")
        locked.released_at = datetime.now(UTC)
        locked.released_by_user_id = principal.user_id
        locked.release_reason = text
        await locked.save(using_db=uow.connection)
        uow.audit(_record(principal, locked, LIFT_ACTION, ["releaseReason"]))
    return locked


async def listed(
    principal: Principal, *, practice_id: UUID, in_force_only: bool = True
) -> list[LegalHold]:
    pid = tenant_gate.practice_among(principal.practice_ids, practice_id)
    await _require(principal, pid, "READ legal holds")
    return await queries.listed(pid, in_force_on=_today() if in_force_only else None)


def _record(principal: Principal, hold: LegalHold, action: str, fields: list[str]) -> AuditRecord:
    return audit.record_for(
        principal,
        action=action,
        practice_id=UUID(str(hold.practice_id)),
        entity_type="LegalHold",
        entity_id=hold.id,
        patient_id=None if hold.patient_id is None else UUID(str(hold.patient_id)),
        fields=fields,
    )


async def acting_as(email: str) -> Principal:
    """The principal of a staff account, for commands an operator runs on someone's word
    (``aescrm legal-hold --by EMAIL``): the same scopes apply, and the audit names them."""
    user = await accounts.live_user(email.strip().casefold())
    if user is None or not user.is_active:
        raise NotFound("User")
    meta = RequestMeta(request_id="cli", user_agent="aescrm-cli")
    return await principal_for_user(user, mfa_passed=True, claims={}, meta=meta)

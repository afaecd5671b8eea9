"""Insurance and payment arrangements (``billing:*``). Policy numbers and the processor's
payment token are encrypted; a card number is refused outright."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID, uuid4

from db.models import PatientInsurance
from db.queries import insurance as queries
from db.uow import unit_of_work
from services import tenant_gate
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal


class PlanType(StrEnum):
    PRIVATE_INSURANCE = "PRIVATE_INSURANCE"
    CAPITATION = "CAPITATION"  # e.g. a monthly dental plan
    NHS = "NHS"
    SELF_PAY = "SELF_PAY"


@dataclass(frozen=True, slots=True)
class InsuranceDetails:
    provider: str
    plan_type: PlanType = PlanType.PRIVATE_INSURANCE
    plan: str | None = None
    policy_number: str | None = None
    payment_token: str | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class RevealedInsurance:
    policy_number: str | None
    payment_token_last4: str | None


async def set_insurance(
    principal: Principal, *, patient_id: UUID, details: InsuranceDetails
) -> tuple[PatientInsurance, list[str]]:
    """Create or replace the patient's arrangement; audits which fields changed."""
    patient = await patient_access.readable_patient(principal, patient_id)
    await patient_access.require(
        principal, Scope.BILLING_WRITE, patient, action="SET patient_insurance"
    )
    provider = v.text(details.provider, "provider", max_length=120, required=True) or ""
    plan = v.text(details.plan or "", "plan", max_length=120)
    policy = v.text(details.policy_number or "", "policyNumber", max_length=64)
    if policy is not None and v.looks_like_card_number(policy):
        v.payment_token(policy, "policyNumber")  # raises: card numbers are never stored
    token = v.payment_token(details.payment_token or "")
    async with unit_of_work() as uow:
        pid = tenant_gate.practice_of(patient)
        row = await queries.arrangement(pid, patient.id, uow.connection)
        if row is None:
            row = PatientInsurance(id=uuid4(), practice_id=patient.practice_id, patient=patient)
            before: dict[str, object] = {}
        else:
            before = _plain(row)
        row.provider, row.plan, row.plan_type = provider, plan, details.plan_type.value
        row.valid_until = details.valid_until
        row.policy_number = sealing.seal(row, "policy_number", policy)  # type: ignore[assignment]
        row.payment_token = sealing.seal(row, "payment_token", token)  # type: ignore[assignment]
        after = {**_plain(row), "policyNumber": policy, "paymentToken": token}
        changed = [name for name, value in after.items() if before.get(name) != value]
        await row.save(using_db=uow.connection)
        await record_change(
            uow,
            principal,
            patient,
            action="SET patient_insurance",
            event="PATIENT_INSURANCE_SET",
            changed=changed,
            entity_type="PatientInsurance",
            entity_id=row.id,
        )
    return row, changed


def _plain(row: PatientInsurance) -> dict[str, object]:
    values: dict[str, object] = {
        "provider": row.provider,
        "plan": row.plan,
        "planType": row.plan_type,
        "validUntil": row.valid_until,
    }
    if row.policy_number is not None or row.payment_token is not None:
        values["policyNumber"] = sealing.reveal(row, "policy_number")
        values["paymentToken"] = sealing.reveal(row, "payment_token")
    return values


def reveal(row: PatientInsurance) -> RevealedInsurance:
    """The token itself is for the payment processor only: staff see its last four."""
    return RevealedInsurance(
        policy_number=policy_number(row), payment_token_last4=payment_token_last4(row)
    )


def policy_number(row: PatientInsurance) -> str | None:
    """Decrypted alone, so a damaged token fails only the field that holds it."""
    return sealing.reveal(row, "policy_number")


def payment_token_last4(row: PatientInsurance) -> str | None:
    token = sealing.reveal(row, "payment_token")
    return token[-4:] if token else None

"""A practice's NHS England contract, year by year: the annual UDA target the NHS activity
report measures delivery against (``services.reports.nhs``).

Setting it is running the practice, not taking money: it needs practice:write in the practice
(practice and organisation administrators), not billing:write, which reception holds to take
payments and should not move the target the practice is judged by. Only practices in England
hold one. A year runs from ``startsOn`` to the day before the same date a year later; setting
the year that starts on a day again replaces its target, and a year overlapping another of the
practice is CONFLICT. Each change is audited and emits a ``billing`` event
(NHS_CONTRACT_CHANGED), in one unit of work.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from db.models import NhsContractYear
from db.queries import nhs_contracts
from db.queries import organizations as org_queries
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.billing.fees import recorded
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.reports.nhs import ENGLAND, ContractYear

MAX_TARGET = 1_000_000  # UDAs a year; the largest NHS dental contracts are a few hundred thousand


async def set_year(
    principal: Principal, *, practice_id: UUID, starts_on: date, annual_uda_target: int
) -> NhsContractYear:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_READ)
    if not principal.has_scope(Scope.PRACTICE_WRITE, pid):
        await audit.record_denied(principal, action="SET nhs_contract_year", practice_id=pid)
        raise PolicyDenied("Setting the NHS contract needs practice:write in the practice.")
    practice = await org_queries.practice({pid}, pid)
    if practice is None:
        raise NotFound("Practice")
    if practice.jurisdiction != ENGLAND:
        raise ValidationFailed(
            "NHS England contracts are for practices in England.", field="practiceId"
        )
    if not 1 <= annual_uda_target <= MAX_TARGET:
        raise ValidationFailed(f"Between 1 and {MAX_TARGET:,} UDAs.", field="annualUdaTarget")
    asked = ContractYear(starts_on, annual_uda_target)
    async with unit_of_work() as uow:
        years = await nhs_contracts.lock_years(pid, uow.connection)
        row = next((y for y in years if y.starts_on == starts_on), None)
        for other in years:
            held = ContractYear(other.starts_on, other.annual_uda_target)
            if (
                other is not row
                and held.starts_on <= asked.ends_on
                and asked.starts_on <= held.ends_on
            ):
                raise Conflict(
                    f"It overlaps the contract year starting {held.starts_on.isoformat()}.",
                    field="startsOn",
                )
        if row is None:
            row = NhsContractYear(id=uuid4(), practice_id=pid, starts_on=starts_on)
        row.annual_uda_target = annual_uda_target
        row.set_by_user_id = principal.user_id
        await row.save(using_db=uow.connection)
        await recorded(
            uow,
            principal,
            pid,
            action="SET nhs_contract_year",
            entity_type="NhsContractYear",
            entity_id=row.id,
            event="NHS_CONTRACT_CHANGED",
            fields=["annualUdaTarget", "startsOn"],
            payload={"startsOn": starts_on.isoformat(), "annualUdaTarget": annual_uda_target},
        )
    return row

"""Treatment-plan acceptance: the plans proposed in each bucket and, of those, how many (and
how much) the patients have accepted and completed so far.

Definitions (printed in the schema too):
- proposed: treatment-plan versions created in the bucket (``created_at``) with at least one
  item. Every version is put to the patient and answered on its own (PROPOSED moves only to
  ACCEPTED or DECLINED; a change after that is a new version), so a re-proposed plan counts
  again, with the items it re-proposes;
- accepted: of those, the versions the patient has accepted (``accepted_at`` set: ACCEPTED,
  IN_PROGRESS, COMPLETED, or SUPERSEDED after acceptance), whenever they accepted;
- completed: of those, the versions with every item done (``completed_at`` set);
- declined: of those, the versions declined;
- value: the sum of the version's items' fees (``fee_pence``, pence, GBP), for each count;
- acceptance rate: accepted ÷ proposed; value acceptance rate: accepted value ÷ proposed
  value (0-1, 4 places; null when nothing was proposed), from summed counts and values.
Later buckets can still change as patients answer: the figures are as the plans stand now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_plans
from services.principal import Principal
from services.reports import periods, reach, series

NAME = "treatmentPlanAcceptance"
CURRENCY = "GBP"  # plan fees are pence (services.clinical.plans)


@dataclass(frozen=True, slots=True)
class PlanAcceptance:
    proposed: int = 0
    proposed_pence: int = 0
    accepted: int = 0
    accepted_pence: int = 0
    completed: int = 0
    completed_pence: int = 0
    declined: int = 0
    declined_pence: int = 0

    def __add__(self, other: PlanAcceptance) -> PlanAcceptance:
        return PlanAcceptance(
            self.proposed + other.proposed,
            self.proposed_pence + other.proposed_pence,
            self.accepted + other.accepted,
            self.accepted_pence + other.accepted_pence,
            self.completed + other.completed,
            self.completed_pence + other.completed_pence,
            self.declined + other.declined,
            self.declined_pence + other.declined_pence,
        )


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> series.Report[PlanAcceptance]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    rows = await report_plans.acceptance(series.bounds(where, found))
    figures = {
        (r.practice_id, r.bucket): PlanAcceptance(
            r.proposed,
            r.proposed_pence,
            r.accepted,
            r.accepted_pence,
            r.completed,
            r.completed_pence,
            r.declined,
            r.declined_pence,
        )
        for r in rows
    }
    return series.assemble(NAME, where, found, figures, PlanAcceptance())

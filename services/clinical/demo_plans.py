"""Demo treatment plans: the first adult patients of each demo practice get a PROPOSED plan in
two phases (hygiene first, then a filling and a radiograph), so ``treatmentPlans`` and the
acceptance flow have something real to show. Signing is left to the demo user: a signature is
the patient's act, never seeded."""

from __future__ import annotations

import random
from datetime import date
from uuid import uuid4

from db.models import Patient, Practice, TreatmentPlan, TreatmentPlanItem, User
from db.queries import clinical_chart as chart_queries
from db.queries import treatment_plans as queries
from services import tenant_gate
from services.clinical.plans import PlanStatus

PLANNED_PATIENTS = 10
# (phase, code, tooth, surfaces)
_STEPS = (
    (1, "SP", None, ""),
    (2, "XR-PA", 36, ""),
    (2, "AM2", 36, "MO"),
)


async def seed_plans(
    practice: Practice, patients: list[Patient], dentist: User, rng: random.Random
) -> int:
    """Proposed plans for one practice (its catalogue already seeded); how many were made."""
    pid = tenant_gate.operator_practice(practice.id)
    items = await chart_queries.procedures_by_code(pid)
    plans: list[TreatmentPlan] = []
    rows: list[TreatmentPlanItem] = []
    today = date.today()
    adults = [p for p in patients if (today - p.date_of_birth).days >= 12 * 365]
    for patient in adults[:PLANNED_PATIENTS]:
        plan_id = uuid4()
        plan = TreatmentPlan(
            id=plan_id,
            practice_id=pid,
            patient_id=patient.id,
            plan_id=plan_id,
            version=1,
            status=PlanStatus.PROPOSED.value,
            created_by_user_id=dentist.id,
        )
        plans.append(plan)
        tooth = rng.choice((36, 46))
        for position, (phase, code, fdi, surfaces) in enumerate(_STEPS):
            item = items[code]
            rows.append(
                TreatmentPlanItem(
                    id=uuid4(),
                    practice_id=pid,
                    patient_id=patient.id,
                    plan_version_id=plan_id,
                    phase=phase,
                    position=position,
                    procedure_id=item.id,
                    code=code,
                    tooth=None if fdi is None else tooth,
                    surfaces=surfaces,
                    fee_pence=item.default_fee_pence,
                    nhs_band=item.nhs_band,
                )
            )
    await queries.add_plans(plans, rows)
    return len(plans)

"""Demo tooth charts: each demo practice gets the UK procedure catalogue, and its first patients
get charts with a history (old restorations, a plan later completed, an entry voided as entered
in error), so ``toothChart`` at different ``asOf`` instants shows something real."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from db.models import ChartEntry, Patient, Practice, ProcedureItem, User
from db.queries import clinical_chart as queries
from services import tenant_gate
from services.clinical import catalogue, teeth
from services.clinical.chart import EntryKind, EntryStatus
from services.patients import sealing

CHARTED_PATIENTS = 30
_ADULT_FINDINGS = (
    ("CONDITION", "RESTORATION", "MO"),
    ("CONDITION", "RESTORATION", "DO"),
    ("CONDITION", "CROWN", ""),
    ("CONDITION", "ROOT_FILLED", ""),
    ("CONDITION", "MISSING", ""),
    ("CONDITION", "CARIES", "O"),
    ("CONDITION", "WATCH", "O"),
)
_POSTERIOR = (16, 17, 26, 27, 36, 37, 46, 47, 14, 15, 24, 25, 34, 35, 44, 45)


def _age(patient: Patient, today: date) -> int:
    born = patient.date_of_birth
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _entry(
    patient: Patient,
    user: User,
    *,
    kind: str,
    entry_code: str,
    tooth: int | None,
    surfaces: str,
    status: str,
    at: datetime,
    procedure: ProcedureItem | None = None,
    replaces: ChartEntry | None = None,
    notes: str | None = None,
) -> ChartEntry:
    entry = ChartEntry(
        id=uuid4(),
        practice_id=patient.practice_id,
        patient_id=patient.id,
        kind=kind,
        code=entry_code,
        procedure_id=None if procedure is None else procedure.id,
        tooth=tooth,
        surfaces="" if tooth is None else teeth.surfaces(teeth.tooth(tooth), surfaces),
        status=status,
        recorded_at=at,
        recorded_by_user_id=user.id,
        replaces_id=None if replaces is None else replaces.id,
    )
    entry.notes = sealing.seal(entry, "notes", notes)
    return entry


async def seed_charts(
    practice: Practice, patients: list[Patient], dentist: User, rng: random.Random
) -> int:
    """The catalogue and some charts for one practice; returns how many entries were made."""
    pid = tenant_gate.operator_practice(practice.id)
    await catalogue.seed_practice(pid)
    items = await queries.procedures_by_code(pid)
    now = datetime.now(UTC)
    rows: list[ChartEntry] = []
    for patient in patients[:CHARTED_PATIENTS]:
        first_visit = now - timedelta(days=rng.randint(400, 1500))
        if _age(patient, now.date()) < 12:
            for fdi, surfaces in ((55, "O"), (64, "MO"), (75, "O")):
                rows.append(
                    _entry(
                        patient, dentist, kind="CONDITION", entry_code="CARIES", tooth=fdi,
                        surfaces=surfaces, status="EXISTING", at=first_visit,
                    )
                )  # fmt: skip
            continue
        for fdi in rng.sample(_POSTERIOR, 3):
            kind, code, surfaces = rng.choice(_ADULT_FINDINGS)
            rows.append(
                _entry(
                    patient, dentist, kind=kind, entry_code=code, tooth=fdi, surfaces=surfaces,
                    status=rng.choice(("EXISTING", "EXISTING_OTHER")), at=first_visit,
                )
            )  # fmt: skip
        # A filling planned at one visit and done at the next: the chart's history shows both.
        tooth = rng.choice((36, 46, 26, 16))
        planned = _entry(
            patient, dentist, kind=EntryKind.PROCEDURE.value, entry_code="CO2", tooth=tooth,
            surfaces="DO", status=EntryStatus.PLANNED.value, at=first_visit + timedelta(days=1),
            procedure=items["CO2"], notes="Distal caries into dentine on bitewing.",
        )  # fmt: skip
        done = _entry(
            patient, dentist, kind=EntryKind.PROCEDURE.value, entry_code="CO2", tooth=tooth,
            surfaces="DO", status=EntryStatus.COMPLETED.value,
            at=first_visit + timedelta(days=rng.randint(14, 40)), procedure=items["CO2"],
            replaces=planned, notes="LA 2.2 ml articaine; rubber dam; A3 composite.",
        )  # fmt: skip
        rows += [planned, done]
        if rng.random() < 0.3:  # one slip of the mouse, voided with its reason
            wrong = _entry(
                patient, dentist, kind="CONDITION", entry_code="MISSING", tooth=18, surfaces="",
                status="EXISTING", at=first_visit + timedelta(days=2),
            )  # fmt: skip
            wrong.voided_at = wrong.recorded_at + timedelta(minutes=5)
            wrong.voided_by_user_id = dentist.id
            wrong.void_reason = sealing.seal(wrong, "void_reason", "Charted on the wrong side.")
            rows.append(wrong)
        if rng.random() < 0.5:
            rows.append(
                _entry(
                    patient, dentist, kind=EntryKind.PROCEDURE.value, entry_code="SP", tooth=None,
                    surfaces="", status=EntryStatus.PLANNED.value, at=now - timedelta(days=3),
                    procedure=items["SP"],
                )
            )  # fmt: skip
    await queries.add_entries(rows)
    return len(rows)

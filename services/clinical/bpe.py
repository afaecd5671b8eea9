"""The Basic Periodontal Examination as the British Society of Periodontology guidance has it.

The mouth is six sextants (17-14, 13-23, 24-27, 47-44, 43-33, 34-37); third molars are left out
(a sextant never includes 18, 28, 38 or 48). A sextant needs at least two teeth to be scored,
otherwise it is X; which teeth are there comes from the tooth chart as it stood at the BPE.
Each scored sextant gets its worst code: 0 healthy, 1 bleeding, 2 calculus or an overhang, 3 a
shallow pocket (3.5-5.5 mm), 4 a deep pocket (over 5.5 mm), with ``*`` added for furcation
involvement.

The guidance's follow-up is raised as a task naming the BPE: a code 3 asks for a six-point
pocket chart of that sextant after initial therapy (due in three months), a code 4 anywhere
for a full-mouth six-point chart now. A final perio exam that probes every present tooth of the
task's sextants completes it (``services.clinical.perio``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from db.models import BpeRecord, Patient, PerioFollowUp
from db.queries import clinical_perio as queries
from db.uow import unit_of_work
from services.clinical import perio
from services.clinical.perio import ToothReading
from services.errors import ValidationFailed
from services.patients import patient_access
from services.policy import Scope
from services.principal import Principal
from services.scheduling.recalls import add_months
from services.tenant_gate import practice_of


@dataclass(frozen=True, slots=True)
class Sextant:
    number: int  # 1-6 in the order of the guidance's grid
    label: str
    teeth: tuple[int, ...]


SEXTANTS: tuple[Sextant, ...] = (
    Sextant(1, "17-14", (17, 16, 15, 14)),
    Sextant(2, "13-23", (13, 12, 11, 21, 22, 23)),
    Sextant(3, "24-27", (24, 25, 26, 27)),
    Sextant(4, "47-44", (47, 46, 45, 44)),
    Sextant(5, "43-33", (43, 42, 41, 31, 32, 33)),
    Sextant(6, "34-37", (34, 35, 36, 37)),
)
_CODE = re.compile(r"^(?:[0-4]\*?|X)$")
SHALLOW_POCKET_MM = 4  # probing to 3.5-5.5 mm reads 4 or 5 on a whole-millimetre probe
DEEP_POCKET_MM = 6  # over 5.5 mm
SEXTANT_CHART_MONTHS = 3  # a code 3 sextant is charted after initial therapy


class FollowUpScope:
    SEXTANTS = "SEXTANTS"
    FULL_MOUTH = "FULL_MOUTH"


def present(sextant: Sextant, absent: frozenset[int]) -> int:
    return sum(1 for fdi in sextant.teeth if fdi not in absent)


def numeric(code: str) -> int | None:
    return None if code == "X" else int(code[0])


def checked(codes: Sequence[str], absent: frozenset[int]) -> list[str]:
    """The six codes, normalised; a fault names ``codes[i]``."""
    if len(codes) != 6:
        raise ValidationFailed("Give one code for each of the six sextants.", field="codes")
    found = []
    for i, (sextant, raw) in enumerate(zip(SEXTANTS, codes, strict=True)):
        code = raw.strip().upper()
        where = f"codes[{i}]"
        if not _CODE.match(code):
            raise ValidationFailed("A BPE code is 0-4 (with * for furcation) or X.", field=where)
        scoreable = present(sextant, absent) >= 2
        if code == "X" and scoreable:
            raise ValidationFailed(
                f"Sextant {sextant.label} has two or more teeth on the chart: score it.",
                field=where,
            )
        if code != "X" and not scoreable:
            raise ValidationFailed(
                f"Sextant {sextant.label} has fewer than two teeth on the chart: it is X.",
                field=where,
            )
        found.append(code)
    return found


def highest(codes: Sequence[str]) -> int | None:
    scores = [n for n in (numeric(c) for c in codes) if n is not None]
    return max(scores) if scores else None


def follow_up(codes: Sequence[str]) -> tuple[str, list[int]] | None:
    """What the guidance asks for after these codes: (scope, sextant numbers), or None."""
    top = highest(codes)
    if top == 4:
        return FollowUpScope.FULL_MOUTH, [s.number for s in SEXTANTS]
    if top == 3:
        return FollowUpScope.SEXTANTS, [
            s.number for s, c in zip(SEXTANTS, codes, strict=True) if numeric(c) == 3
        ]
    return None


def _tooth_code(reading: ToothReading) -> int:
    deepest = max((d for d in reading.depths if d is not None), default=0)
    if deepest >= DEEP_POCKET_MM:
        return 4
    if deepest >= SHALLOW_POCKET_MM:
        return 3
    return 1 if any(reading.bleeding) else 0


def from_exam(readings: dict[int, ToothReading], absent: Sequence[int]) -> list[str | None]:
    """The BPE a six-point exam implies, per sextant: X with fewer than two teeth, None when
    none of its teeth were charted. Calculus is not charted, so code 2 never comes from here."""
    gone = frozenset(absent)
    codes: list[str | None] = []
    for sextant in SEXTANTS:
        if present(sextant, gone) < 2:
            codes.append("X")
            continue
        charted = [readings[f] for f in sextant.teeth if f in readings and f not in gone]
        if not charted:
            codes.append(None)
            continue
        worst = max(_tooth_code(r) for r in charted)
        furcation = any(g > 0 for r in charted for g in r.furcation.values())
        codes.append(f"{worst}{'*' if furcation else ''}")
    return codes


@dataclass(frozen=True, slots=True)
class BpeView:
    record: BpeRecord
    patient: Patient
    follow_up: PerioFollowUp | None


def _due(scope: str, day: date) -> date:
    return day if scope == FollowUpScope.FULL_MOUTH else add_months(day, SEXTANT_CHART_MONTHS)


async def record(
    principal: Principal,
    *,
    patient_id: UUID,
    codes: Sequence[str],
    examined_at: datetime | None = None,
) -> BpeView:
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_WRITE, action="RECORD bpe"
    )
    pid = practice_of(patient)
    now = datetime.now(UTC)
    at = perio.when(examined_at, now, "examinedAt")
    absent = frozenset(await perio.absent_teeth(pid, UUID(str(patient.id)), at))
    normal = checked(codes, absent)
    wanted = follow_up(normal)
    async with unit_of_work() as uow:
        row = BpeRecord(
            id=uuid4(),
            practice_id=pid,
            patient_id=patient.id,
            examined_at=at,
            recorded_by_user_id=principal.user_id,
            codes=normal,
            highest=highest(normal),
        )
        await row.save(using_db=uow.connection)
        await perio.changed(uow, principal, patient, "RECORD bpe", "BpeRecord", row.id,
                            "BPE_RECORDED", ["bpeRecords"])  # fmt: skip
        task = None
        if wanted is not None:
            scope, sextants = wanted
            task = PerioFollowUp(
                id=uuid4(),
                practice_id=pid,
                patient_id=patient.id,
                bpe_id=row.id,
                scope=scope,
                sextants=sextants,
                due_on=_due(scope, at.date()),
            )
            await task.save(using_db=uow.connection)
            await perio.changed(uow, principal, patient, "RAISE perio_follow_up",
                                "PerioFollowUp", task.id, "PERIO_FOLLOW_UP_RAISED",
                                ["bpeRecords.followUp"])  # fmt: skip
    return BpeView(row, patient, task)


@dataclass(frozen=True, slots=True)
class BpePage:
    patient: Patient
    records: list[BpeView]
    has_next: bool


async def records(
    principal: Principal, patient_id: UUID, *, first: int, after: tuple[datetime, UUID] | None
) -> BpePage:
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ bpe"
    )
    pid = practice_of(patient)
    rows = await queries.bpe_records({pid}, UUID(str(patient.id)), after=after, limit=first + 1)
    page = rows[:first]
    tasks = await queries.follow_ups_of({pid}, [UUID(str(r.id)) for r in page])
    return BpePage(
        patient,
        [BpeView(r, patient, tasks.get(UUID(str(r.id)))) for r in page],
        len(rows) > first,
    )

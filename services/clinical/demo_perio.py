"""Demo perio records: BPEs for the first adult patients of each demo practice (one with a code 3
and its follow-up task) and, for two of them, a six-point exam six months ago and another last
month, so ``perioComparison`` shows change. Teeth the demo chart shows missing are skipped."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from db.models import BpeRecord, Patient, PerioExam, PerioFollowUp, Practice, User
from db.queries import clinical_chart as chart_queries
from services.clinical import bpe, perio, teeth
from services.tenant_gate import operator_practice

BPE_PATIENTS = 6
EXAM_PATIENTS = 2


def _adult(patient: Patient, today: date) -> bool:
    return (today - patient.date_of_birth).days >= 18 * 365


def _reading(fdi: int, rng: random.Random, worse: int) -> perio.ToothReading:
    t = teeth.Tooth(fdi)
    base = 4 if fdi in (16, 26, 36, 46, 17, 47) else 2
    depths = tuple(min(15, base + rng.randint(0, 2) + (worse if i in (0, 2) else 0))
                   for i in range(6))  # fmt: skip
    margins = tuple(-rng.randint(0, 1) if t.position >= 4 else 0 for _ in range(6))
    return perio.ToothReading(
        fdi=fdi,
        depths=depths,
        margins=margins,
        bleeding=tuple(d >= 4 and rng.random() < 0.6 for d in depths),
        suppuration=(False,) * 6,
        plaque=tuple(rng.random() < 0.3 for _ in range(6)),
        mobility=1 if max(depths) >= 6 else 0,
        furcation=dict.fromkeys(perio.furcation_sites(t), 1) if max(depths) >= 5 else {},
    )


async def seed_perio(
    practice: Practice, patients: list[Patient], dentist: User, rng: random.Random
) -> int:
    """Returns how many perio exams and BPEs were made."""
    pid = operator_practice(practice.id)
    now = datetime.now(UTC)
    exams: list[PerioExam] = []
    records: list[BpeRecord] = []
    tasks: list[PerioFollowUp] = []
    adults = [p for p in patients if _adult(p, now.date())][:BPE_PATIENTS]
    for n, patient in enumerate(adults):
        key = UUID(str(patient.id))
        rows = await chart_queries.entries_until({pid}, key, now)
        absent = perio.absent_in(rows, now)
        gone = frozenset(absent)
        codes = [
            "X" if bpe.present(s, gone) < 2 else rng.choice(("0", "1", "2", "2*"))
            for s in bpe.SEXTANTS
        ]
        if n == 0 and codes[0] != "X":
            codes[0] = "3"  # the guidance's follow-up: chart this sextant after therapy
        taken = now - timedelta(days=200)
        record = BpeRecord(
            id=uuid4(), practice_id=pid, patient_id=patient.id, examined_at=taken,
            recorded_by_user_id=dentist.id, codes=codes, highest=bpe.highest(codes),
        )  # fmt: skip
        records.append(record)
        wanted = bpe.follow_up(codes)
        if wanted is not None:
            scope, sextants = wanted
            tasks.append(
                PerioFollowUp(
                    id=uuid4(), practice_id=pid, patient_id=patient.id, bpe_id=record.id,
                    scope=scope, sextants=sextants, due_on=(taken + timedelta(days=90)).date(),
                )
            )  # fmt: skip
        if n >= EXAM_PATIENTS:
            continue
        previous = None
        for days, worse in ((180, 1), (30, 0)):
            readings = {
                fdi: _reading(fdi, rng, worse)
                for fdi in teeth.PERMANENT_TEETH
                if fdi not in gone and fdi % 10 != 8
            }
            exam = PerioExam(
                id=uuid4(), practice_id=pid, patient_id=patient.id, status="FINAL",
                examined_at=now - timedelta(days=days), recorded_by_user_id=dentist.id,
                copied_from_id=None if previous is None else previous.id,
                readings={str(k): r.stored() for k, r in sorted(readings.items())},
            )  # fmt: skip
            exams.append(exam)
            previous = exam
    await PerioExam.bulk_create(exams)
    await BpeRecord.bulk_create(records)
    await PerioFollowUp.bulk_create(tasks)
    return len(exams) + len(records)

"""The periodontal chart: six sites per tooth, recorded as one whole exam at a time.

A nurse charts a full mouth while the dentist calls out numbers, so the unit of saving is the
exam, not the site: ``record`` validates every value first (BAD_USER_INPUT names the exact path,
``teeth[3].probingDepths[2]``, and nothing is written), then stores the exam as one row. A DRAFT
may be saved over until it is FINAL; a FINAL exam never changes. ``copy_previous`` starts a new
draft from the last final exam, dropping teeth the chart now shows missing.

Conventions: sites are stored in the order MB, B, DB, ML, L, DL (named MP, P, DP on the upper
arch). The gingival margin is measured from the cemento-enamel junction, negative for
recession, so clinical attachment level is ``depth - margin`` (5 mm pocket with 2 mm recession:
7 mm); it is derived when shown and never stored. Furcations are graded 0-3 where a furcation
exists: upper molars buccal, mesio-palatal and disto-palatal; lower molars buccal and lingual.
Teeth missing on the tooth chart as it stood at the exam (missing, unerupted, a bridge pontic, or
extracted) cannot be charted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from db.models import ChartEntry, Patient, PerioExam
from db.queries import clinical_chart as chart_queries
from db.queries import clinical_perio as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services.clinical import chart, teeth
from services.clinical.teeth import Notation, Tooth, ToothType
from services.errors import Conflict, NotFound, ValidationFailed
from services.patients import patient_access
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal
from services.tenant_gate import practice_of

SITES = ("MB", "B", "DB", "ML", "L", "DL")
UPPER_SITES = ("MB", "B", "DB", "MP", "P", "DP")
DEPTH_RANGE = (0, 15)  # mm; beyond 9 is rare but real, beyond 15 is a slip of the keypad
MARGIN_RANGE = (-15, 10)  # mm from the CEJ: deep recession down to -15, overgrowth up to +10
MOBILITY_RANGE = (0, 3)
FURCATION_RANGE = (0, 3)
# What the tooth chart says is not there to probe.
ABSENT_CONDITIONS = frozenset({"MISSING", "UNERUPTED", "BRIDGE_PONTIC"})
EXTRACTIONS = frozenset({"EXT", "EXT-S"})
CLOCK_SKEW = timedelta(minutes=1)  # a tablet's clock a little ahead is not "the future"


class ExamStatus(StrEnum):
    DRAFT = "DRAFT"
    FINAL = "FINAL"


def site_names(t: Tooth) -> tuple[str, ...]:
    return UPPER_SITES if t.upper else SITES


def furcation_sites(t: Tooth) -> tuple[str, ...]:
    """Where this tooth has furcations to grade (none on single-rooted teeth)."""
    if t.type is not ToothType.MOLAR or t.dentition is not teeth.Dentition.PERMANENT:
        return ()
    return ("B", "MP", "DP") if t.upper else ("B", "L")


def _bits(flags: Sequence[bool]) -> int:
    return sum(1 << i for i, on in enumerate(flags) if on)


def _flags(bits: int) -> tuple[bool, ...]:
    return tuple(bool(bits >> i & 1) for i in range(6))


@dataclass(frozen=True, slots=True)
class ToothReading:
    """One tooth of an exam. Per-site tuples are in storage order (``SITES``)."""

    fdi: int
    depths: tuple[int | None, ...] = (None,) * 6
    margins: tuple[int | None, ...] = (None,) * 6
    bleeding: tuple[bool, ...] = (False,) * 6
    suppuration: tuple[bool, ...] = (False,) * 6
    plaque: tuple[bool, ...] = (False,) * 6
    mobility: int | None = None
    furcation: dict[str, int] = field(default_factory=dict)

    @property
    def attachment(self) -> tuple[int | None, ...]:
        """Clinical attachment level per site: depth minus margin (margin negative = recession)."""
        return tuple(
            None if d is None or m is None else d - m
            for d, m in zip(self.depths, self.margins, strict=True)
        )

    def stored(self) -> dict[str, Any]:
        return {
            "pd": list(self.depths),
            "gm": list(self.margins),
            "b": _bits(self.bleeding),
            "s": _bits(self.suppuration),
            "p": _bits(self.plaque),
            "m": self.mobility,
            "f": self.furcation,
        }

    @classmethod
    def load(cls, fdi: int, raw: dict[str, Any]) -> ToothReading:
        return cls(
            fdi=fdi,
            depths=tuple(raw["pd"]),
            margins=tuple(raw["gm"]),
            bleeding=_flags(raw["b"]),
            suppuration=_flags(raw["s"]),
            plaque=_flags(raw["p"]),
            mobility=raw["m"],
            furcation=dict(raw["f"]),
        )


@dataclass(frozen=True, slots=True)
class ToothInput:
    """One tooth as the client sent it (site lists in order MB, B, DB, ML/MP, L/P, DL/DP)."""

    tooth: str
    probing_depths: Sequence[int | None] | None = None
    gingival_margins: Sequence[int | None] | None = None
    bleeding: Sequence[bool] | None = None
    suppuration: Sequence[bool] | None = None
    plaque: Sequence[bool] | None = None
    mobility: int | None = None
    furcation: Sequence[tuple[str, int]] = ()


def _sites(
    values: Sequence[Any] | None, path: str, bounds: tuple[int, int] | None, empty: Any
) -> tuple[Any, ...]:
    if values is None or len(values) == 0:
        return (empty,) * 6
    if len(values) != 6:
        raise ValidationFailed("Give six sites (MB, B, DB, ML/MP, L/P, DL/DP) or none.", field=path)
    if bounds is not None:
        low, high = bounds
        for i, value in enumerate(values):
            if value is not None and not low <= value <= high:
                raise ValidationFailed(f"Between {low} and {high} mm.", field=f"{path}[{i}]")
    return tuple(values)


def validated(
    given: Sequence[ToothInput], notation: Notation, absent: frozenset[int]
) -> dict[int, ToothReading]:
    """Every tooth checked before anything is stored; the first fault names its path."""
    found: dict[int, ToothReading] = {}
    for i, item in enumerate(given):
        path = f"teeth[{i}]"
        t = teeth.parse(item.tooth, notation, field=f"{path}.tooth")
        if t.dentition is not teeth.Dentition.PERMANENT:
            raise ValidationFailed("Perio charting is of permanent teeth.", field=f"{path}.tooth")
        if t.fdi in found:
            raise ValidationFailed("This tooth is given twice.", field=f"{path}.tooth")
        if t.fdi in absent:
            raise ValidationFailed(
                "The tooth chart shows this tooth missing at the exam.", field=f"{path}.tooth"
            )
        mobility = item.mobility
        if mobility is not None and not MOBILITY_RANGE[0] <= mobility <= MOBILITY_RANGE[1]:
            raise ValidationFailed("Mobility is graded 0-3.", field=f"{path}.mobility")
        furcation: dict[str, int] = {}
        allowed = furcation_sites(t)
        for j, (site, grade) in enumerate(item.furcation):
            where = f"{path}.furcation[{j}]"
            name = site.strip().upper()
            if name not in allowed:
                shown = ", ".join(allowed) if allowed else "none"
                raise ValidationFailed(
                    f"No such furcation on this tooth (it has: {shown}).", field=f"{where}.site"
                )
            if name in furcation:
                raise ValidationFailed("This furcation is given twice.", field=f"{where}.site")
            if not FURCATION_RANGE[0] <= grade <= FURCATION_RANGE[1]:
                raise ValidationFailed("Furcation is graded 0-3.", field=f"{where}.grade")
            furcation[name] = grade
        found[t.fdi] = ToothReading(
            fdi=t.fdi,
            depths=_sites(item.probing_depths, f"{path}.probingDepths", DEPTH_RANGE, None),
            margins=_sites(item.gingival_margins, f"{path}.gingivalMargins", MARGIN_RANGE, None),
            bleeding=_sites(item.bleeding, f"{path}.bleeding", None, False),
            suppuration=_sites(item.suppuration, f"{path}.suppuration", None, False),
            plaque=_sites(item.plaque, f"{path}.plaque", None, False),
            mobility=mobility,
            furcation=furcation,
        )
    return found


def readings_of(exam: PerioExam) -> dict[int, ToothReading]:
    """The exam's teeth in FDI order."""
    raw = exam.readings or {}
    return {int(k): ToothReading.load(int(k), raw[k]) for k in sorted(raw, key=int)}


def _stored(readings: dict[int, ToothReading]) -> dict[str, Any]:
    return {str(fdi): readings[fdi].stored() for fdi in sorted(readings)}


@dataclass(frozen=True, slots=True)
class ExamView:
    exam: PerioExam
    patient: Patient
    readings: dict[int, ToothReading]
    missing: list[int]  # teeth the chart showed missing at the exam
    notation: Notation


def absent_in(rows: Sequence[ChartEntry], instant: datetime) -> list[int]:
    """Teeth not there to probe on the tooth chart (``rows``) as it stood at ``instant``."""
    gone = set()
    for state in chart.state_at(rows, instant, include_voided=False):
        entry = state.entry
        if entry.tooth is None:
            continue
        if (entry.kind == chart.EntryKind.CONDITION.value and entry.code in ABSENT_CONDITIONS) or (
            entry.kind == chart.EntryKind.PROCEDURE.value
            and entry.code in EXTRACTIONS
            and state.status is chart.EntryStatus.COMPLETED
        ):
            gone.add(int(entry.tooth))
    return sorted(gone)


async def absent_teeth(practice_id: PracticeId, patient_id: UUID, instant: datetime) -> list[int]:
    rows = await chart_queries.entries_until({practice_id}, patient_id, instant)
    return absent_in(rows, instant)


@dataclass(frozen=True, slots=True)
class NewExam:
    patient_id: UUID
    teeth: Sequence[ToothInput]
    exam_id: UUID | None = None  # a DRAFT to save over
    examined_at: datetime | None = None
    final: bool = True
    notation: Notation | None = None


def when(value: datetime | None, default: datetime, name: str) -> datetime:
    """The time given (with a zone, not in the future beyond clock skew), else ``default``."""
    if value is None:
        return default
    if value.tzinfo is None:
        raise ValidationFailed(f"'{name}' needs a time zone.", field=name)
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValidationFailed("An examination cannot be in the future.", field=name)
    return value


async def record(principal: Principal, new: NewExam) -> ExamView:
    """Save a whole exam (new, or over a DRAFT): validated in full before the transaction."""
    patient = await patient_access.clinical_patient(
        principal, new.patient_id, Scope.CLINICAL_WRITE, action="RECORD perio_exam"
    )
    pid = practice_of(patient)
    now = datetime.now(UTC)
    draft = None
    if new.exam_id is not None:
        draft = await queries.exam({pid}, new.exam_id)
        if draft is None or str(draft.patient_id) != str(patient.id):
            raise NotFound("Perio exam")
    at = when(new.examined_at, draft.examined_at if draft else now, "examinedAt")
    notation = await chart.notation_of(principal, new.notation)
    missing = await absent_teeth(pid, UUID(str(patient.id)), at)
    readings = validated(new.teeth, notation, frozenset(missing))
    if not readings:
        raise ValidationFailed("Chart at least one tooth.", field="teeth")
    status = ExamStatus.FINAL if new.final else ExamStatus.DRAFT
    status_value = status.value
    async with unit_of_work() as uow:
        await queries.lock_patient(pid, UUID(str(patient.id)), uow.connection)
        if draft is not None:
            exam = await queries.exam({pid}, draft.id, connection=uow.connection, for_update=True)
            assert exam is not None  # exams are never deleted
            if exam.status != ExamStatus.DRAFT:
                raise Conflict("This exam is final; record a new one.", field="examId")
            exam.readings = _stored(readings)
            exam.examined_at = at
            exam.status = status_value
            exam.recorded_by_user_id = principal.user_id
            await exam.save(using_db=uow.connection)
        else:
            exam = PerioExam(
                id=uuid4(),
                practice_id=pid,
                patient_id=patient.id,
                status=status_value,
                examined_at=at,
                recorded_by_user_id=principal.user_id,
                readings=_stored(readings),
            )
            await exam.save(using_db=uow.connection)
        if status == ExamStatus.FINAL:
            await _close_follow_ups(uow, pid, patient, exam, readings, missing)
        await changed(uow, principal, patient, "RECORD perio_exam", "PerioExam", exam.id,
                      "PERIO_EXAM_RECORDED", ["perioExam"])  # fmt: skip
    return ExamView(exam, patient, readings, missing, notation)


async def copy_previous(
    principal: Principal, patient_id: UUID, notation: Notation | None = None
) -> ExamView:
    """A new DRAFT holding the last final exam's values, less teeth missing since."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_WRITE, action="RECORD perio_exam"
    )
    pid = practice_of(patient)
    previous = await queries.exams({pid}, UUID(str(patient.id)), limit=1, final_only=True)
    if not previous:
        raise Conflict("There is no earlier final exam to copy.", field="patientId")
    now = datetime.now(UTC)
    missing = await absent_teeth(pid, UUID(str(patient.id)), now)
    readings = {k: r for k, r in readings_of(previous[0]).items() if k not in missing}
    async with unit_of_work() as uow:
        exam = PerioExam(
            id=uuid4(),
            practice_id=pid,
            patient_id=patient.id,
            status=ExamStatus.DRAFT.value,
            examined_at=now,
            recorded_by_user_id=principal.user_id,
            copied_from_id=previous[0].id,
            readings=_stored(readings),
        )
        await exam.save(using_db=uow.connection)
        await changed(uow, principal, patient, "COPY perio_exam", "PerioExam", exam.id,
                      "PERIO_EXAM_RECORDED", ["perioExam"])  # fmt: skip
    return ExamView(exam, patient, readings, missing, await chart.notation_of(principal, notation))


async def _close_follow_ups(
    uow: UnitOfWork,
    pid: PracticeId,
    patient: Patient,
    exam: PerioExam,
    readings: dict[int, ToothReading],
    missing: list[int],
) -> None:
    """A final exam probing every present tooth of a follow-up's sextants completes it."""
    from services.clinical import bpe  # bpe raises follow-ups; perio completes them

    probed = {fdi for fdi, r in readings.items() if any(d is not None for d in r.depths)}
    for task in await queries.open_follow_ups(pid, UUID(str(patient.id)), uow.connection):
        wanted = {
            fdi for n in task.sextants for fdi in bpe.SEXTANTS[n - 1].teeth if fdi not in missing
        }
        if wanted <= probed:
            task.done_at = datetime.now(UTC)
            task.done_by_exam_id = exam.id
            await task.save(using_db=uow.connection, update_fields=["done_at", "done_by_exam_id"])


async def changed(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    action: str,
    entity_type: str,
    entity_id: object,
    event: str,
    fields: list[str],
) -> None:
    """Audit (field names only) and an ids-only event on the patient's clinical stream."""
    await record_change(
        uow,
        principal,
        patient,
        action=action,
        event=event,
        changed=fields,
        entity_type=entity_type,
        entity_id=entity_id,
        topic=chart.TOPIC,
        patient_stream=True,
    )


async def exam(principal: Principal, exam_id: UUID, notation: Notation | None = None) -> ExamView:
    """One exam; another practice's or a hidden patient's answers like a random id."""
    found = await queries.exam(patient_access.readable_practices(principal), exam_id)
    if found is None:
        raise NotFound("Perio exam")
    try:
        patient = await patient_access.clinical_patient(
            principal, UUID(str(found.patient_id)), Scope.CLINICAL_READ, action="READ perio_exam"
        )
    except NotFound:
        raise NotFound("Perio exam") from None
    pid = practice_of(patient)
    missing = await absent_teeth(pid, UUID(str(patient.id)), found.examined_at)
    return ExamView(
        found, patient, readings_of(found), missing, await chart.notation_of(principal, notation)
    )


@dataclass(frozen=True, slots=True)
class ExamPage:
    patient: Patient
    exams: list[ExamView]
    has_next: bool


async def exams(
    principal: Principal,
    patient_id: UUID,
    *,
    first: int,
    after: tuple[datetime, UUID] | None,
    notation: Notation | None = None,
) -> ExamPage:
    """A page of exams; the tooth chart is read once for the missing teeth of all of them."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ perio_exam"
    )
    pid, key = practice_of(patient), UUID(str(patient.id))
    rows = await queries.exams({pid}, key, after=after, limit=first + 1)
    page = rows[:first]
    shown = await chart.notation_of(principal, notation)
    history = await chart_queries.entries_until({pid}, key, datetime.now(UTC)) if page else []
    views = [
        ExamView(e, patient, readings_of(e), absent_in(history, e.examined_at), shown) for e in page
    ]
    return ExamPage(patient, views, len(rows) > first)


@dataclass(frozen=True, slots=True)
class SiteChange:
    fdi: int
    site: int  # index into SITES
    depths: list[int | None]  # per exam, oldest first
    attachment: list[int | None]
    bleeding: list[bool]

    @property
    def depth_change(self) -> int | None:
        first, last = self.depths[0], self.depths[-1]
        return None if first is None or last is None else last - first

    @property
    def attachment_change(self) -> int | None:
        first, last = self.attachment[0], self.attachment[-1]
        return None if first is None or last is None else last - first


@dataclass(frozen=True, slots=True)
class Comparison:
    patient: Patient
    exams: list[PerioExam]  # oldest first
    sites: list[SiteChange]
    notation: Notation


def compare(exams: Sequence[PerioExam]) -> list[SiteChange]:
    """Per site charted in every exam: its values in time order, oldest first."""
    loaded = [readings_of(e) for e in exams]
    common = set(loaded[0]) if loaded else set()
    for readings in loaded[1:]:
        common &= set(readings)
    changes = []
    for fdi in sorted(common):
        per_exam = [r[fdi] for r in loaded]
        for i in range(6):
            depths = [r.depths[i] for r in per_exam]
            if all(d is None for d in depths):
                continue
            changes.append(
                SiteChange(
                    fdi=fdi,
                    site=i,
                    depths=depths,
                    attachment=[r.attachment[i] for r in per_exam],
                    bleeding=[r.bleeding[i] for r in per_exam],
                )
            )
    return changes


async def comparison(
    principal: Principal,
    patient_id: UUID,
    exam_ids: Sequence[UUID] | None,
    notation: Notation | None = None,
) -> Comparison:
    """The given exams (default: the two latest final ones) compared site by site."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ perio_exam"
    )
    pid = practice_of(patient)
    if exam_ids is None:
        rows = await queries.exams({pid}, UUID(str(patient.id)), limit=2, final_only=True)
    else:
        wanted = list(dict.fromkeys(exam_ids))
        if not 2 <= len(wanted) <= 10:
            raise ValidationFailed("Compare between 2 and 10 exams.", field="examIds")
        rows = await queries.exams_by_id({pid}, UUID(str(patient.id)), wanted)
        if len(rows) != len(wanted):
            raise NotFound("Perio exam")
    rows.sort(key=lambda e: (e.examined_at, str(e.id)))
    return Comparison(
        patient,
        rows,
        compare(rows) if len(rows) >= 2 else [],
        await chart.notation_of(principal, notation),
    )


__all__ = [
    "SITES",
    "UPPER_SITES",
    "Comparison",
    "ExamPage",
    "ExamStatus",
    "ExamView",
    "NewExam",
    "SiteChange",
    "ToothInput",
    "ToothReading",
    "compare",
    "furcation_sites",
    "readings_of",
    "site_names",
    "validated",
]

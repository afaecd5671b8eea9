"""The periodontal chart and BPE as the graph shows them.

These types are reached only through the perio and BPE root fields (``@requires
clinical:read``, the patient checked again by the service) or the payload of a mutation whose
service demanded ``clinical:write``. Site lists always have six entries in the order MB, B, DB,
ML, L, DL (``siteNames`` spells them for the tooth's arch: MP, P, DP on the upper one).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import strawberry

from db.models import BpeRecord as BpeRecordModel
from db.models import PerioFollowUp as PerioFollowUpModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.clinical_chart import ToothNotation
from graph.schema.nodes import Node
from services.clinical import bpe, perio, teeth


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="A furcation and its grade (0-3).")
class PerioFurcation:
    site: str = strawberry.field(description="B, MP or DP (upper molars); B or L (lower).")
    grade: int = strawberry.field(description="0-3.")


@strawberry.type(description="One tooth of a perio exam: six sites, mobility and furcations.")
class PerioTooth:
    tooth: str = strawberry.field(description="The tooth in the chosen notation.")
    tooth_fdi: int = strawberry.field(description="The tooth's FDI number (storage).")
    site_names: list[str] = strawberry.field(
        description="The six sites in order: MB, B, DB, ML, L, DL (MP, P, DP upper)."
    )
    probing_depths: list[int | None] = strawberry.field(
        description="Probing depth per site in mm; null where not probed."
    )
    gingival_margins: list[int | None] = strawberry.field(
        description="Gingival margin per site in mm from the CEJ; negative is recession."
    )
    attachment_levels: list[int | None] = strawberry.field(
        description="Clinical attachment level per site (depth minus margin), derived, never "
        "stored; null where either is missing."
    )
    bleeding: list[bool] = strawberry.field(description="Bleeding on probing per site.")
    suppuration: list[bool] = strawberry.field(description="Suppuration per site.")
    plaque: list[bool] = strawberry.field(description="Plaque per site.")
    mobility: int | None = strawberry.field(description="Mobility 0-3; null if not recorded.")
    furcation: list[PerioFurcation] = strawberry.field(description="Graded furcations.")

    @classmethod
    def from_reading(cls, reading: perio.ToothReading, notation: teeth.Notation) -> PerioTooth:
        t = teeth.Tooth(reading.fdi)
        return cls(
            tooth=teeth.to_notation(t, notation),
            tooth_fdi=reading.fdi,
            site_names=list(perio.site_names(t)),
            probing_depths=list(reading.depths),
            gingival_margins=list(reading.margins),
            attachment_levels=list(reading.attachment),
            bleeding=list(reading.bleeding),
            suppuration=list(reading.suppuration),
            plaque=list(reading.plaque),
            mobility=reading.mobility,
            furcation=[PerioFurcation(site=s, grade=g) for s, g in reading.furcation.items()],
        )


PerioExamStatus = strawberry.enum(
    perio.ExamStatus,
    name="PerioExamStatus",
    description="DRAFT while being charted (may be saved over); FINAL never changes.",
)


def _percent(hits: int, of: int) -> float | None:
    return None if of == 0 else round(100.0 * hits / of, 1)


@strawberry.type(description="A periodontal chart (six sites per tooth) of one patient.")
class PerioExam(Node):
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient charted.")
    status: PerioExamStatus = strawberry.field(description="DRAFT or FINAL.")  # type: ignore[valid-type]
    examined_at: datetime = strawberry.field(description="When the exam was taken.")
    recorded_by_id: strawberry.ID | None = strawberry.field(description="Who saved it last.")
    copied_from_id: strawberry.ID | None = strawberry.field(
        description="The exam it was started from (copy previous exam)."
    )
    notation: ToothNotation = strawberry.field(description="How teeth are written here.")  # type: ignore[valid-type]
    teeth: list[PerioTooth] = strawberry.field(description="Charted teeth, in FDI order.")
    missing_teeth: list[str] = strawberry.field(
        description="Teeth the tooth chart showed missing at the exam (not charted)."
    )
    derived_bpe: list[str | None] = strawberry.field(
        description="The BPE these readings imply per sextant (17-14, 13-23, 24-27, 47-44, "
        "43-33, 34-37): X with fewer than two teeth, null if none charted; never 2 (calculus "
        "is not charted)."
    )
    bleeding_percent: float | None = strawberry.field(
        description="Share of probed sites bleeding, in percent."
    )
    plaque_percent: float | None = strawberry.field(
        description="Share of probed sites with plaque, in percent."
    )
    practice_id: strawberry.Private[UUID]
    patient_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("PerioExam", UUID(str(self.id)), self.patient_uuid, self.practice_id)

    @classmethod
    def from_view(cls, view: perio.ExamView) -> PerioExam:
        row = view.exam
        readings = list(view.readings.values())
        probed = [(r, i) for r in readings for i in range(6) if r.depths[i] is not None]
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            status=perio.ExamStatus(row.status),
            examined_at=row.examined_at,
            recorded_by_id=_id(row.recorded_by_user_id) if row.recorded_by_user_id else None,
            copied_from_id=_id(row.copied_from_id) if row.copied_from_id else None,
            notation=view.notation,
            teeth=[PerioTooth.from_reading(r, view.notation) for r in readings],
            missing_teeth=[teeth.to_notation(teeth.Tooth(f), view.notation) for f in view.missing],
            derived_bpe=bpe.from_exam(view.readings, view.missing),
            bleeding_percent=_percent(sum(r.bleeding[i] for r, i in probed), len(probed)),
            plaque_percent=_percent(sum(r.plaque[i] for r, i in probed), len(probed)),
            practice_id=UUID(str(row.practice_id)),
            patient_uuid=UUID(str(row.patient_id)),
        )


@strawberry.type(description="One site across the compared exams, oldest first.")
class PerioSiteChange:
    tooth: str = strawberry.field(description="The tooth in the chosen notation.")
    tooth_fdi: int = strawberry.field(description="The tooth's FDI number.")
    site: str = strawberry.field(description="MB, B, DB, ML/MP, L/P or DL/DP.")
    probing_depths: list[int | None] = strawberry.field(description="Depth per exam (mm).")
    attachment_levels: list[int | None] = strawberry.field(description="CAL per exam (mm).")
    bleeding: list[bool] = strawberry.field(description="Bleeding per exam.")
    probing_depth_change: int | None = strawberry.field(
        description="Last minus first depth (mm); positive is worse."
    )
    attachment_change: int | None = strawberry.field(
        description="Last minus first CAL (mm); positive is attachment lost."
    )


@strawberry.type(description="Exams compared site by site (sites charted in every exam).")
class PerioComparison:
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    exam_ids: list[strawberry.ID] = strawberry.field(description="The exams, oldest first.")
    examined_at: list[datetime] = strawberry.field(description="Their times, oldest first.")
    sites: list[PerioSiteChange] = strawberry.field(description="Per site, in tooth order.")
    worsened_sites: int = strawberry.field(
        description="Sites that lost 2 mm or more of attachment between first and last exam."
    )
    improved_sites: int = strawberry.field(
        description="Sites that gained 2 mm or more of attachment between first and last exam."
    )
    practice_id: strawberry.Private[UUID]
    patient_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("PerioComparison", self.patient_uuid, self.patient_uuid, self.practice_id)

    @classmethod
    def from_comparison(cls, found: perio.Comparison) -> PerioComparison:
        sites = []
        for change in found.sites:
            t = teeth.Tooth(change.fdi)
            sites.append(
                PerioSiteChange(
                    tooth=teeth.to_notation(t, found.notation),
                    tooth_fdi=change.fdi,
                    site=perio.site_names(t)[change.site],
                    probing_depths=change.depths,
                    attachment_levels=change.attachment,
                    bleeding=change.bleeding,
                    probing_depth_change=change.depth_change,
                    attachment_change=change.attachment_change,
                )
            )
        changes = [c.attachment_change for c in found.sites if c.attachment_change is not None]
        return cls(
            patient_id=_id(found.patient.id),
            exam_ids=[_id(e.id) for e in found.exams],
            examined_at=[e.examined_at for e in found.exams],
            sites=sites,
            worsened_sites=sum(1 for c in changes if c >= 2),
            improved_sites=sum(1 for c in changes if c <= -2),
            practice_id=UUID(str(found.patient.practice_id)),
            patient_uuid=UUID(str(found.patient.id)),
        )


@strawberry.type(description="The follow-up a BPE of 3 or 4 raised, as a task.")
class PerioFollowUp:
    id: strawberry.ID
    bpe_id: strawberry.ID = strawberry.field(description="The BPE that raised it.")
    scope: str = strawberry.field(
        description="SEXTANTS (a six-point chart of the code 3 sextants after initial therapy) "
        "or FULL_MOUTH (a full six-point chart, for a code 4)."
    )
    sextants: list[str] = strawberry.field(description="Sextants to chart, e.g. 17-14.")
    due_on: date = strawberry.field(description="When it is due.")
    done_at: datetime | None = strawberry.field(description="When an exam covered it.")
    done_by_exam_id: strawberry.ID | None = strawberry.field(description="That exam.")

    @classmethod
    def from_model(cls, row: PerioFollowUpModel) -> PerioFollowUp:
        return cls(
            id=_id(row.id),
            bpe_id=_id(row.bpe_id),
            scope=row.scope,
            sextants=[bpe.SEXTANTS[n - 1].label for n in row.sextants],
            due_on=row.due_on,
            done_at=row.done_at,
            done_by_exam_id=_id(row.done_by_exam_id) if row.done_by_exam_id else None,
        )


@strawberry.type(description="A Basic Periodontal Examination (BSP): one code per sextant.")
class BpeRecord:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    examined_at: datetime = strawberry.field(description="When it was taken.")
    recorded_by_id: strawberry.ID | None = strawberry.field(description="Who recorded it.")
    sextants: list[str] = strawberry.field(
        description="The sextants in order: 17-14, 13-23, 24-27, 47-44, 43-33, 34-37."
    )
    codes: list[str] = strawberry.field(
        description="One code per sextant: 0-4, with * for furcation, or X (fewer than two teeth)."
    )
    highest: int | None = strawberry.field(description="The highest code; null if all X.")
    follow_up: PerioFollowUp | None = strawberry.field(
        description="The follow-up this BPE raised (codes 3 and 4)."
    )
    practice_id: strawberry.Private[UUID]
    patient_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("BpeRecord", UUID(str(self.id)), self.patient_uuid, self.practice_id)

    @classmethod
    def from_view(cls, view: bpe.BpeView) -> BpeRecord:
        row: BpeRecordModel = view.record
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            examined_at=row.examined_at,
            recorded_by_id=_id(row.recorded_by_user_id) if row.recorded_by_user_id else None,
            sextants=[s.label for s in bpe.SEXTANTS],
            codes=list(row.codes),
            highest=row.highest,
            follow_up=None if view.follow_up is None else PerioFollowUp.from_model(view.follow_up),
            practice_id=UUID(str(row.practice_id)),
            patient_uuid=UUID(str(row.patient_id)),
        )


@strawberry.input(description="A furcation grade.")
class PerioFurcationInput:
    site: str = strawberry.field(description="B, MP or DP (upper molars); B or L (lower).")
    grade: int = strawberry.field(description="0-3.")


@strawberry.input(description="One tooth's readings; site lists have six entries or none.")
class PerioToothInput:
    tooth: str = strawberry.field(description="The tooth in `notation`.")
    probing_depths: list[int | None] | None = strawberry.field(
        default=None, description="Depth per site, 0-15 mm (null: not probed)."
    )
    gingival_margins: list[int | None] | None = strawberry.field(
        default=None,
        description="Margin per site from the CEJ, -15 to 10 mm (negative: recession).",
    )
    bleeding: list[bool] | None = strawberry.field(default=None, description="Per site.")
    suppuration: list[bool] | None = strawberry.field(default=None, description="Per site.")
    plaque: list[bool] | None = strawberry.field(default=None, description="Per site.")
    mobility: int | None = strawberry.field(default=None, description="0-3.")
    furcation: list[PerioFurcationInput] | None = strawberry.field(
        default=None, description="Furcation grades (molars)."
    )

    def value(self) -> perio.ToothInput:
        return perio.ToothInput(
            tooth=self.tooth,
            probing_depths=self.probing_depths,
            gingival_margins=self.gingival_margins,
            bleeding=self.bleeding,
            suppuration=self.suppuration,
            plaque=self.plaque,
            mobility=self.mobility,
            furcation=[(f.site, f.grade) for f in self.furcation or []],
        )


@strawberry.input(description="A whole perio exam, saved at once.")
class RecordPerioExamInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient charted.")
    teeth: list[PerioToothInput] = strawberry.field(
        description="Charted teeth; teeth missing on the tooth chart at the exam are refused."
    )
    exam_id: strawberry.ID | None = strawberry.field(
        default=None, description="A DRAFT exam to save over (e.g. one copied from the last)."
    )
    examined_at: datetime | None = strawberry.field(
        default=None, description="When it was taken (default now, or the draft's time)."
    )
    final: bool = strawberry.field(
        default=True, description="FINAL (never changes again) or, when false, a DRAFT."
    )
    notation: ToothNotation | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="How `tooth` is written; default: your toothNotation."
    )


@strawberry.type(description="The exam as saved.")
class PerioExamPayload:
    exam: PerioExam = strawberry.field(description="The exam.")


@strawberry.input(description="Start a new exam from the last final one.")
class CopyPreviousPerioExamInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")


@strawberry.input(description="A BPE: one code per sextant.")
class RecordBpeInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    codes: list[str] = strawberry.field(
        description="Six codes for 17-14, 13-23, 24-27, 47-44, 43-33, 34-37: 0-4 (add * for "
        "furcation) or X for a sextant with fewer than two teeth."
    )
    examined_at: datetime | None = strawberry.field(
        default=None, description="When it was taken (default now)."
    )


@strawberry.type(description="The BPE as recorded, with any follow-up it raised.")
class RecordBpePayload:
    bpe: BpeRecord = strawberry.field(description="The BPE.")

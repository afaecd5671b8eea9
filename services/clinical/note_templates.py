"""Per-practice note templates ("Examination": complaint, findings, plan) and the note settings.

A template names the fields a note starts with; the note copies the labels when it is created,
so renaming or archiving a template later never changes a note already written. Templates are
a practice's clinical vocabulary: clinicians (clinical:write) keep them. The auto-lock period is
a practice setting (practice:write): drafts older than it are locked by ``lock-stale-notes``.
Who is a student or trainee (whose notes need a co-signature) is a flag on their membership,
set by staff administrators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID, uuid4

from db.audit_chain import AuditRecord
from db.models import ClinicalNoteSettings, NoteTemplate
from db.queries import clinical_notes as queries
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.errors import NotFound, ValidationFailed
from services.patients import validation as v
from services.policy import Scope
from services.principal import Principal

DEFAULT_AUTO_LOCK_DAYS = 7
MIN_AUTO_LOCK_DAYS = 1
MAX_AUTO_LOCK_DAYS = 365
MAX_FIELDS = 30
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    label: str


def _specs(given: list[FieldSpec]) -> list[dict[str, str]]:
    if len(given) > MAX_FIELDS:
        raise ValidationFailed(f"A template has at most {MAX_FIELDS} fields.", field="fields")
    seen: set[str] = set()
    specs = []
    for spec in given:
        if not _KEY.match(spec.key):
            raise ValidationFailed(
                "A field key is lower-case letters, digits and '_', starting with a letter.",
                field="fields.key",
            )
        if spec.key in seen:
            raise ValidationFailed("Field keys must be unique.", field="fields.key")
        seen.add(spec.key)
        label = v.text(spec.label, "fields.label", max_length=120, required=True) or ""
        specs.append({"key": spec.key, "label": label})
    return specs


def specs_of(template: NoteTemplate) -> list[FieldSpec]:
    return [FieldSpec(key=s["key"], label=s["label"]) for s in template.field_specs]


async def listed(
    principal: Principal, *, practice_id: UUID, include_archived: bool
) -> list[NoteTemplate]:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.CLINICAL_READ)
    return await queries.templates([pid], pid, include_archived=include_archived)


async def create(
    principal: Principal, *, practice_id: UUID, name: str, fields: list[FieldSpec]
) -> NoteTemplate:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.CLINICAL_WRITE)
    clean = v.text(name, "name", max_length=120, required=True) or ""
    specs = _specs(fields)
    async with unit_of_work() as uow:
        row = NoteTemplate(
            id=uuid4(),
            practice_id=pid,
            name=clean,
            field_specs=specs,
            created_by_user_id=principal.user_id,
        )
        await row.save(using_db=uow.connection)
        uow.audit(_record(principal, row, "CREATE note_template", ["name", "fields"]))
    return row


async def update(
    principal: Principal,
    *,
    template_id: UUID,
    name: str | None,
    fields: list[FieldSpec] | None,
    archived: bool | None,
) -> NoteTemplate:
    """Existing notes keep the labels they were written with."""
    found = await queries.template(principal.practices_with(Scope.CLINICAL_WRITE), template_id)
    if found is None or principal.is_patient:
        raise NotFound("Note template")
    changed: list[str] = []
    if name is not None:
        found.name = v.text(name, "name", max_length=120, required=True) or ""
        changed.append("name")
    if fields is not None:
        found.field_specs = _specs(fields)
        changed.append("fields")
    if archived is not None:
        found.archived = archived
        changed.append("archived")
    async with unit_of_work() as uow:
        await found.save(using_db=uow.connection)
        uow.audit(_record(principal, found, "UPDATE note_template", changed))
    return found


def _record(
    principal: Principal, row: NoteTemplate, action: str, changed: list[str]
) -> AuditRecord:
    return audit.record_for(
        principal,
        action=action,
        practice_id=tenant_gate.practice_of(row),
        entity_type="NoteTemplate",
        entity_id=row.id,
        fields=sorted(changed),
    )


async def auto_lock_days(principal: Principal, *, practice_id: UUID) -> int:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_READ)
    found = await queries.auto_lock_days(pid)
    return DEFAULT_AUTO_LOCK_DAYS if found is None else found


async def set_auto_lock_days(principal: Principal, *, practice_id: UUID, days: int) -> int:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_WRITE)
    if not MIN_AUTO_LOCK_DAYS <= days <= MAX_AUTO_LOCK_DAYS:
        raise ValidationFailed(
            f"'autoLockDays' must be between {MIN_AUTO_LOCK_DAYS} and {MAX_AUTO_LOCK_DAYS}.",
            field="autoLockDays",
        )
    async with unit_of_work() as uow:
        row = await queries.settings_for_update(pid, uow.connection)
        if row is None:
            row = ClinicalNoteSettings(practice_id=pid, auto_lock_days=days)
        row.auto_lock_days = days
        await row.save(using_db=uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="UPDATE clinical_note_settings",
                practice_id=pid,
                entity_type="ClinicalNoteSettings",
                entity_id=row.id,
                fields=["autoLockDays"],
            )
        )
    return days


async def set_trainee(
    principal: Principal, *, practice_id: UUID, user_id: UUID, trainee: bool
) -> bool:
    """Marks a staff member as a student/trainee (their notes then need a co-signature)."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STAFF_ADMIN)
    async with unit_of_work() as uow:
        if not await queries.set_trainee(pid, user_id, trainee, uow.connection):
            raise NotFound("Staff member")
        uow.audit(
            audit.record_for(
                principal,
                action="UPDATE membership",
                practice_id=pid,
                entity_type="User",
                entity_id=user_id,
                fields=["trainee"],
            )
        )
    return trainee

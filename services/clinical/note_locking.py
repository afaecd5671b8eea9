"""Auto-lock: a draft older than its practice's period becomes LOCKED, as a signed note would.

Why a job and not a timer: locking is a change to the clinical record, so it runs as a command
(``aescrm lock-stale-notes``, meant for a daily cron or systemd timer) that writes each lock
with its audit row and ids-only event in one unit of work. The lock stores the text's SHA-256
like a signature does, but no signer: the author may still sign the locked note later, and any
correction from now on is an amendment. Safe to run repeatedly and from several hosts: a note
is re-read under a row lock and skipped if someone signed or locked it meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from db.queries import clinical_notes as queries
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import tenant_gate
from services.auth.users import OPERATOR
from services.clinical.note_templates import DEFAULT_AUTO_LOCK_DAYS
from services.clinical.note_templates import MIN_AUTO_LOCK_DAYS as MIN_DAYS
from services.clinical.notes import NoteStatus, content_hash, content_of
from services.patients.records import record_change
from services.principal import Principal


@dataclass(slots=True)
class LockReport:
    locked: list[UUID] = field(default_factory=list)
    checked_practices: int = 0


async def lock_stale(
    *,
    now: datetime | None = None,
    principal: Principal = OPERATOR,
    on_progress: Callable[[int, int], None] | None = None,
) -> LockReport:
    """``on_progress(done, total)`` after each note considered."""
    now = now or datetime.now(UTC)
    report = LockReport()
    periods: dict[PracticeId, int] = {}
    due: list[UUID] = []
    for draft in await queries.drafts_created_before(now - timedelta(days=MIN_DAYS)):
        pid = tenant_gate.practice_of(draft)
        if pid not in periods:
            periods[pid] = await queries.auto_lock_days(pid) or DEFAULT_AUTO_LOCK_DAYS
        if draft.created_at < now - timedelta(days=periods[pid]):
            due.append(UUID(str(draft.id)))
    report.checked_practices = len(periods)
    for done, note_id in enumerate(due, start=1):
        if await _lock_one(principal, note_id, now):
            report.locked.append(note_id)
        if on_progress is not None:
            on_progress(done, len(due))
    return report


async def _lock_one(principal: Principal, note_id: UUID, now: datetime) -> bool:
    async with unit_of_work() as uow:
        note = await queries.note_for_update(note_id, uow.connection)
        if note.status != NoteStatus.DRAFT.value:
            return False  # signed (or locked) since we listed it
        note.status = NoteStatus.LOCKED.value
        note.content_sha256 = content_hash(content_of(note).as_dict())
        note.locked_at = now
        await note.save(using_db=uow.connection)
        patient = await queries.patient_of_note(note, uow.connection)
        await record_change(
            uow,
            principal,
            patient,
            action="LOCK clinical_note",
            event="CLINICAL_NOTE_LOCKED",
            changed=["status"],
            entity_type="ClinicalNote",
            entity_id=note.id,
        )
    return True

"""Auto-lock of stale drafts (the practice's period, the hash, the audit row, the CLI), and what
retention's anonymisation does with notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from db.models import AuditEvent, ClinicalNote, ClinicalNoteSettings, DomainEvent
from services.clinical import note_locking
from services.clinical import notes as service
from services.errors import Conflict
from services.patients import sealing
from services.policy import Role
from services.principal import RequestMeta
from tests import factories
from tests.databases import SqliteTemplate
from tests.realtime.harness import orm, server_env
from tests.test_cli import run

NOW = datetime(2031, 3, 10, 9, tzinfo=UTC)


async def _note(practice: Any, patient: Any, author: Any, *, age_days: int, text: str) -> UUID:
    # Written straight through the model, backdated: the job is what is tested here.
    content = service.NoteContent(text=text).as_dict()
    note = ClinicalNote(practice_id=practice.id, patient_id=patient.id, author_user_id=author.id)
    note.content = sealing.seal_json(note, "content", content) or ""
    await note.save()
    await ClinicalNote.filter(id=note.id).update(created_at=NOW - timedelta(days=age_days))
    return UUID(str(note.id))


async def _world() -> dict[str, Any]:
    strict = await factories.practice()  # locks after 2 days
    default = await factories.practice()  # no setting: 7 days
    await ClinicalNoteSettings.create(practice_id=strict.id, auto_lock_days=2)
    ids: dict[str, Any] = {}
    for name, practice in (("strict", strict), ("default", default)):
        patient = await factories.patient(practice)
        author = await factories.user(Role.DENTIST, practice)
        ids[f"{name}_3d"] = await _note(practice, patient, author, age_days=3, text="three")
        ids[f"{name}_8d"] = await _note(practice, patient, author, age_days=8, text="eight")
    signed = ids["default_8d"]
    await ClinicalNote.filter(id=signed).update(status="SIGNED", content_sha256="x" * 64)
    return ids


async def test_drafts_past_their_practices_period_are_locked_and_audited(db: str) -> None:
    ids = await _world()
    seen: list[tuple[int, int]] = []

    report = await note_locking.lock_stale(now=NOW, on_progress=lambda d, t: seen.append((d, t)))

    assert sorted(map(str, report.locked)) == sorted(map(str, [ids["strict_3d"], ids["strict_8d"]]))
    assert seen[-1] == (2, 2)
    for key, status in {
        "strict_3d": "LOCKED",
        "strict_8d": "LOCKED",
        "default_3d": "DRAFT",  # 3 days < the default 7
        "default_8d": "SIGNED",  # already signed: untouched
    }.items():
        note = await ClinicalNote.get(id=ids[key])
        assert note.status == status, key
    locked = await ClinicalNote.get(id=ids["strict_3d"])
    assert locked.content_sha256 == service.content_hash(service.content_of(locked).as_dict())
    assert locked.locked_at == NOW
    assert locked.signed_by_user_id is None  # locked, not signed
    audited = await AuditEvent.filter(action="LOCK clinical_note").values_list(
        "entity_id", flat=True
    )
    assert sorted(audited) == sorted(str(i) for i in report.locked)
    events = await DomainEvent.filter(type="CLINICAL_NOTE_LOCKED").count()
    assert events == 2
    again = await note_locking.lock_stale(now=NOW)
    assert again.locked == []  # safe to run again


async def test_a_locked_note_refuses_edits_but_its_author_may_sign_it(db: str) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    author = await factories.user(Role.DENTIST, practice)
    note_id = await _note(practice, patient, author, age_days=30, text="old")
    await note_locking.lock_stale(now=NOW)
    from services.auth.principal_loader import principal_for_user

    principal = await principal_for_user(author, mfa_passed=True, claims={}, meta=RequestMeta())
    with pytest.raises(Conflict):
        await service.update_draft(
            principal, note_id=note_id, text="new", text_given=True, fields={}
        )
    signed = await service.sign(principal, note_id=note_id)
    assert signed.status == "SIGNED"
    assert service.content_of(signed).text == "old"


@pytest.fixture
def place(sqlite_template: SqliteTemplate, tmp_path: Path) -> tuple[str, Path]:
    return sqlite_template.fresh_url(), tmp_path / "var"


async def test_the_lock_stale_notes_command(place: tuple[str, Path]) -> None:
    url, var_dir = place
    async with orm(url, var_dir):
        ids = await _world()
        # The command uses the real clock: make the strict practice's drafts really old.
        for key in ("strict_3d", "strict_8d"):
            await ClinicalNote.filter(id=ids[key]).update(
                created_at=datetime.now(UTC) - timedelta(days=3)
            )
        for key in ("default_3d",):
            await ClinicalNote.filter(id=ids[key]).update(created_at=datetime.now(UTC))

    done = run("lock-stale-notes", env=server_env(url, var_dir))

    assert done.stdout.strip().splitlines()[-1] == "locked 2 stale drafts"
    assert "lock stale notes" in done.stderr  # the progress bar, on stderr
    assert "2/2" in done.stderr
    async with orm(url, var_dir):
        statuses = {k: (await ClinicalNote.get(id=v)).status for k, v in ids.items()}
        assert statuses == {
            "strict_3d": "LOCKED",
            "strict_8d": "LOCKED",
            "default_3d": "DRAFT",
            "default_8d": "SIGNED",
        }
        rows = await AuditEvent.filter(action="LOCK clinical_note")
        assert len(rows) == 2
        assert {r.actor_user_id for r in rows} == {None}  # the operator, not a person
        assert all(r.request_id == "cli" for r in rows)


async def test_anonymising_the_clinical_record_deletes_notes_and_amendments(db: str) -> None:
    from db.models import ClinicalNoteAmendment, Patient
    from db.uow import unit_of_work
    from services.consent import anonymise

    practice = await factories.practice()
    patient = await factories.patient(practice)
    kept = await factories.patient(practice)
    author = await factories.user(Role.DENTIST, practice)
    note_id = await _note(practice, patient, author, age_days=1, text="to go")
    other_id = await _note(practice, kept, author, age_days=1, text="stays")
    await ClinicalNoteAmendment.create(
        practice_id=practice.id,
        patient_id=patient.id,
        note_id=note_id,
        sequence=1,
        content="v1.x.y",
        content_sha256="0" * 64,
        author_user_id=author.id,
    )

    async with unit_of_work() as uow:
        row = await Patient.select_for_update().using_db(uow.connection).get(id=patient.id)
        await anonymise.anonymise_clinical(row, uow.connection)

    assert await ClinicalNote.filter(patient_id=patient.id).count() == 0
    assert await ClinicalNoteAmendment.filter(patient_id=patient.id).count() == 0
    assert await ClinicalNote.filter(id=other_id).exists()

"""A read that showed many patients is one audit row with patient links, and the three readers
of the log (a patient's access log, their export, a breach report) find it beside the rows that
name a patient themselves, including board reads written one row per patient before the links.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from db.models import Practice, User
from services import audit
from services.audit import AuditFilter
from services.consent import breach, export
from services.policy import Role
from services.principal import Principal
from tests import factories
from tests.services.test_consent_ledger import as_principal

T0 = datetime(2030, 1, 15, 9, tzinfo=UTC)
FIELDS = ["patient.firstName", "patient.lastName"]


def _at(minutes: int, record: audit.AuditRecord) -> audit.AuditRecord:
    record.occurred_at = T0 + timedelta(minutes=minutes)
    return record


async def _reads(desk: Principal, practice: Practice, a: UUID, b: UUID) -> None:
    """Oldest first: a board read of the old kind (a row per patient shown), a board read
    naming both patients, a card read of ``a`` alone."""
    board = {"action": "READ query B", "practice_id": practice.id, "fields": FIELDS}
    old = audit.record_for(desk, entity_type="Patient", entity_id=a, patient_id=a, **board)
    new = audit.record_for(desk, entity_type="Schedule", entity_id="w", patient_ids=[a, b], **board)
    card = audit.record_for(
        desk,
        action="READ query Card",
        practice_id=practice.id,
        entity_type="Patient",
        entity_id=a,
        patient_id=a,
    )
    await audit.write([_at(0, old), _at(1, new), _at(2, card)])


async def _world() -> dict[str, Any]:
    practice = await factories.practice()
    a, b = await factories.patient(practice), await factories.patient(practice)
    desk_user = await factories.user(Role.RECEPTIONIST, practice)
    desk = await as_principal(desk_user)
    admin = await as_principal(await factories.user(Role.PRACTICE_ADMIN, practice))
    await _reads(desk, practice, a.id, b.id)
    return {"practice": practice, "a": a.id, "b": b.id, "desk": desk_user, "admin": admin}


async def test_the_access_log_pages_through_linked_and_named_rows_newest_first(db: str) -> None:
    w = await _world()
    log = audit.patient_access_log
    first = await log(
        w["admin"], patient_id=w["a"], practice_id=w["practice"].id, first=2, after=None
    )
    assert [(r.action, r.entity_type) for r in first.rows] == [
        ("READ query Card", "Patient"),
        ("READ query B", "Schedule"),
    ]
    assert first.has_next
    last = first.rows[-1]
    rest = await log(
        w["admin"],
        patient_id=w["a"],
        practice_id=w["practice"].id,
        first=2,
        after=(last.occurred_at, last.id),
    )
    assert [(r.action, r.entity_type) for r in rest.rows] == [("READ query B", "Patient")]
    assert not rest.has_next
    only_board = await log(
        w["admin"], patient_id=w["b"], practice_id=w["practice"].id, first=10, after=None
    )
    assert [r.entity_type for r in only_board.rows] == ["Schedule"]
    assert only_board.actor_names == {str(w["desk"].id): w["desk"].full_name}


async def test_the_audit_log_filtered_by_patient_finds_the_board_read(db: str) -> None:
    w = await _world()
    rows, more = await audit.list_events(
        w["admin"], where=AuditFilter(patient_id=w["b"]), first=10, after=None
    )
    assert [(r.action, r.entity_type) for r in rows] == [("READ query B", "Schedule")]
    assert not more


async def test_the_export_names_every_read_that_showed_the_patient(db: str) -> None:
    w = await _world()
    desk: User = w["desk"]
    for patient, expected in ((w["a"], 3), (w["b"], 1)):
        log = (await export.document(patient))["access_log"]
        assert len(log) == expected
        assert {
            (r["action"], r["who"], r["role"]) for r in log if r["action"] == "READ query B"
        } == {("READ query B", desk.full_name, "RECEPTIONIST")}


async def test_the_breach_report_counts_each_read_per_patient_old_and_new(db: str) -> None:
    w = await _world()
    touched = await breach.impact(
        w["admin"],
        user_id=w["desk"].id,
        client_id=None,
        since=T0 - timedelta(minutes=1),
        until=T0 + timedelta(minutes=10),
    )
    assert [(t.patient_id, t.reads, t.changes) for t in touched] == [
        (w["a"], 3, 0),
        (w["b"], 1, 0),
    ]
    assert touched[1].first_at == touched[1].last_at == T0 + timedelta(minutes=1)


async def test_another_practices_reader_does_not_see_the_links(db: str) -> None:
    w = await _world()
    elsewhere = await factories.practice()
    stranger = await as_principal(await factories.user(Role.PRACTICE_ADMIN, elsewhere))
    touched = await breach.impact(
        stranger,
        user_id=w["desk"].id,
        client_id=None,
        since=T0 - timedelta(minutes=1),
        until=T0 + timedelta(minutes=10),
    )
    assert touched == []
    rows, _ = await audit.list_events(
        stranger, where=AuditFilter(patient_id=w["b"]), first=10, after=None
    )
    assert rows == []

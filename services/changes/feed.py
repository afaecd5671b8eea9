"""One page of the ``changes`` sync feed: what changed since a cursor, as this caller may see it.

How a page is read (a constant number of statements, whatever the page size):

1. the heads of the caller's practices (one statement); a practice is read only for the kinds
   whose read scope the caller holds there (a partner without patient:read never reads a
   patient event), so scope filtering happens in SQL;
2. per practice with news, its events after the cursor along the ``(practice_id, sequence)``
   index, up to the room left on the page (one statement; usually one practice has news). The
   same statement fetches the event right after the cursor's position: if the cursor says "up
   to n" and event n+1 is no longer kept (``prune-events``), changes were lost to this caller:
   ``RESYNC_REQUIRED``;
3. one decision of ``services.visibility.visible_events`` for the page (tenancy, a partner's
   data-sharing consent, restrictions): an entry about a patient the caller may not see is left
   out entirely (like a webhook withheld), even its ids;
4. the current objects, one statement per kind present (plus invoice lines).

Objects are the current state, not the state at the event: a client upserts them. An entry's
object is null (a tombstone) when the object is gone, or when its patient's record has been
anonymised (erasure or retention): every entry about such a patient is then DELETED with no
object, so nothing about the person leaves any more. A page may hold fewer entries than asked
(entries hidden from this caller still move the cursor); ``has_more`` says whether to ask again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.models import Appointment, ConsentRecord, Patient
from db.queries import change_feed as log
from db.tenancy import PracticeId
from services import visibility
from services.billing import invoices
from services.changes import cursors
from services.changes.kinds import SCOPE, ChangeKind, Operation, classify, domain_types, object_id
from services.consent.anonymise import is_anonymised
from services.errors import ResyncRequired, ValidationFailed
from services.principal import Principal

MAX_PAGE = 100
EXPIRED = (
    "The cursor is older than the kept change log; sync everything again, then follow the "
    "changes from the new cursor."
)

ChangeObject = Patient | Appointment | ConsentRecord | invoices.InvoiceView


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    operation: Operation
    object_id: UUID
    practice_id: UUID
    patient_id: UUID | None
    occurred_at: datetime
    cursor: str
    object: ChangeObject | None


@dataclass(frozen=True, slots=True)
class ChangePage:
    entries: list[Change]
    end_cursor: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class _Row:
    kind: ChangeKind
    operation: Operation
    object_id: UUID
    practice_id: UUID
    patient_id: UUID | None
    occurred_at: datetime
    cursor: str


def _kinds_by_practice(
    principal: Principal, kinds: frozenset[ChangeKind]
) -> dict[PracticeId, list[str]]:
    """Each practice of the caller -> the event types of the kinds it may read there."""
    found: dict[PracticeId, list[str]] = {}
    for practice in sorted(principal.practice_ids, key=str):
        held = principal.scopes_in(practice)
        readable = frozenset(k for k in kinds if SCOPE[k] in held)
        if readable:
            found[practice] = domain_types(readable)
    return found


async def _read_log(
    types: dict[PracticeId, list[str]], positions: dict[UUID, int], explicit: set[UUID], first: int
) -> tuple[list[_Row], bool]:
    """The page's rows (each with the cursor just past it) and whether more may follow;
    ``positions`` is moved past everything read."""
    heads = await log.heads(types)
    rows: list[_Row] = []
    more = False
    for practice, wanted in types.items():
        after, head = positions.get(practice, 0), heads.get(practice, 0)
        if head <= after:
            continue
        room = first - len(rows)
        if room == 0:
            more = True
            break
        probe = practice in explicit and after > 0
        found = await log.events_after(practice, after, wanted, room + 1, with_next=probe)
        if probe:
            if not found or int(found[0]["sequence"]) != after + 1:
                raise ResyncRequired(EXPIRED)
            if found[0]["type"] not in wanted:
                found = found[1:]
        taken = found[:room]
        for event in taken:
            positions[practice] = int(event["sequence"])
            kind, operation = classify(event["type"], event["payload"] or {})
            patient = event["patient_id"]
            rows.append(
                _Row(
                    kind=kind,
                    operation=operation,
                    object_id=object_id(kind, event["entity_id"], patient),
                    practice_id=UUID(str(practice)),
                    patient_id=None if patient is None else UUID(str(patient)),
                    occurred_at=event["occurred_at"],
                    cursor=cursors.encode(positions),
                )
            )
        if len(found) > room:
            more = True
            break
        positions[practice] = max(head, positions.get(practice, 0))
    return rows, more


async def _objects(
    principal: Principal, allowed: Collection[PracticeId], rows: Sequence[_Row]
) -> tuple[dict[tuple[ChangeKind, UUID], ChangeObject], set[UUID], set[UUID]]:
    """The current objects of the rows, the patients whose records are gone, and the invoices
    this caller may not know of yet (drafts, for partners and patients)."""
    ids: dict[ChangeKind, set[UUID]] = {k: set() for k in ChangeKind}
    for row in rows:
        ids[row.kind].add(row.object_id)
    patient_ids = {r.patient_id for r in rows if r.patient_id is not None}
    patients = {UUID(str(p.id)): p for p in await log.patients_by_id(allowed, patient_ids)}
    gone = {p for p in patient_ids if p not in patients or is_anonymised(patients[p])}
    wanted = ids[ChangeKind.PATIENT]
    found: dict[tuple[ChangeKind, UUID], ChangeObject] = {
        (ChangeKind.PATIENT, pid): p for pid, p in patients.items() if pid in wanted
    }
    for kind, read in (
        (ChangeKind.APPOINTMENT, log.appointments_by_id),
        (ChangeKind.CONSENT, log.consents_by_id),
    ):
        if ids[kind]:
            for item in await read(allowed, ids[kind]):
                found[(kind, UUID(str(item.id)))] = item
    unseen: set[UUID] = set()
    if ids[ChangeKind.INVOICE]:
        rows_found = await log.invoices_by_id(allowed, ids[ChangeKind.INVOICE])
        views = await invoices.readable_views(principal, rows_found)
        for view in views:
            found[(ChangeKind.INVOICE, UUID(str(view.invoice.id)))] = view
        shown = {UUID(str(v.invoice.id)) for v in views}
        unseen = {UUID(str(r.id)) for r in rows_found} - shown
    return found, gone, unseen


def _entry(
    row: _Row, found: dict[tuple[ChangeKind, UUID], ChangeObject], gone: set[UUID]
) -> Change:
    erased = row.patient_id is not None and row.patient_id in gone
    current = None if erased else found.get((row.kind, row.object_id))
    return Change(
        kind=row.kind,
        operation=Operation.DELETED if erased or current is None else row.operation,
        object_id=row.object_id,
        practice_id=row.practice_id,
        patient_id=row.patient_id,
        occurred_at=row.occurred_at,
        cursor=row.cursor,
        object=current,
    )


def _erasure(row: _Row) -> bool:
    return row.kind is ChangeKind.PATIENT and row.operation is Operation.DELETED


async def _visible(principal: Principal, rows: list[_Row]) -> list[_Row]:
    """The rows this caller may be told of; a patient's erasure also reaches those the
    erasure itself cut off (``visibility.told_of_erasure``), as a tombstone."""
    told = await visibility.visible_events(
        principal, [(r.practice_id, r.patient_id, SCOPE[r.kind]) for r in rows]
    )
    erased = {
        r.object_id: r.practice_id
        for r, ok in zip(rows, told, strict=True)
        if not ok and _erasure(r) and SCOPE[r.kind] in principal.scopes_in(r.practice_id)
    }
    late = await visibility.told_of_erasure(principal, erased) if erased else frozenset()
    return [
        r for r, ok in zip(rows, told, strict=True) if ok or (_erasure(r) and r.object_id in late)
    ]


async def changes(
    principal: Principal,
    *,
    since: str | None,
    kinds: Collection[ChangeKind] | None = None,
    first: int = MAX_PAGE,
) -> ChangePage:
    """The changes after ``since`` (None: from the start of the kept log), oldest first per
    practice, of ``kinds`` (None or empty: every kind the caller may read)."""
    if not 1 <= first <= MAX_PAGE:
        raise ValidationFailed(f"first must be 1 to {MAX_PAGE}.", field="first")
    given = cursors.decode(since) if since is not None else {}
    positions: dict[UUID, int] = dict(given)
    types = _kinds_by_practice(principal, frozenset(kinds or ChangeKind))
    rows, more = await _read_log(types, positions, set(given), first)
    allowed = list(types)
    rows = await _visible(principal, rows)
    found, gone, unseen = await _objects(principal, allowed, rows)
    entries = [
        _entry(r, found, gone)
        for r in rows
        if not (r.kind is ChangeKind.INVOICE and r.object_id in unseen)
    ]
    return ChangePage(entries=entries, end_cursor=cursors.encode(positions), has_more=more)


def patients_shown(page: ChangePage) -> list[UUID]:
    """Whose data the page carries (objects only: a tombstone carries none), for the audit."""
    return sorted({e.patient_id for e in page.entries if e.patient_id and e.object}, key=str)


__all__ = ["MAX_PAGE", "Change", "ChangeObject", "ChangePage", "changes", "patients_shown"]

"""Verifying the practices' financial ledgers (``aescrm verify-ledger``).

For each practice chain, in sequence order: every seq present, each entry's ``prev_hash`` the
previous entry's hash, each hash recomputed from the entry's own content (an edited entry
breaks here), the head matching the last entry (a deleted tail breaks here), and each entry's
content compared with the rows it names as they are now: an invoice or credit note must still
have the number, patient, totals and line amounts the ledger froze (an amount edited with SQL,
or a deleted invoice, breaks here). Every other entry names a payment row: PAYMENT, REFUND,
CHARGEBACK (a lost card dispute's reversal, a REFUND row: ``services.billing.stripe_disputes``),
DEPOSIT, DEPOSIT_APPLIED, DEPOSIT_FORFEITED and ALLOCATION are checked for the row's existence
and, where the entry records them, ``amount``, ``currency`` and ``patient``. The first broken
link of each practice is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from db.models import LedgerEntry
from db.queries import billing_ledger
from db.queries import invoices as queries
from db.tenancy import PracticeId
from services import tenant_gate
from services.billing import invoices, retention
from services.billing.ledger import canonical, link_hash

BATCH = 1000
INVOICE_KINDS = frozenset({"INVOICE_ISSUED", "CREDIT_NOTE_ISSUED"})


@dataclass(slots=True)
class LedgerReport:
    ok: bool = True
    lines: list[str] = field(default_factory=list)

    def fail(self, line: str) -> None:
        self.ok = False
        self.lines.append(line)


def _differences(frozen: dict[str, Any], now: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key in sorted(set(frozen) | set(now)):
        a, b = frozen.get(key), now.get(key)
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if isinstance(x, dict) and isinstance(y, dict):
                    out += _differences(x, y, f"{prefix}{key}[{i}].")
                elif x != y:
                    out.append(f"{prefix}{key}[{i}]: ledger {x!r}, now {y!r}")
        elif a != b:
            out.append(f"{prefix}{key}: ledger {a!r}, now {b!r}")
    return out


async def _rows_differ(
    pid: PracticeId, entries: list[LedgerEntry], purged: set[UUID]
) -> dict[int, str]:
    """seq → what differs between the entry and the current row it names (a row that a
    RECORDS_PURGED entry names may be gone: retention removed it)."""
    invoice_ids = {UUID(str(e.entity_id)) for e in entries if e.kind in INVOICE_KINDS}
    other_ids = {
        UUID(str(e.entity_id))
        for e in entries
        if e.kind not in INVOICE_KINDS and e.kind != retention.KIND
    }
    rows = await queries.invoices_by_id(pid, invoice_ids)
    lines = await queries.lines_of(list(rows))
    by_invoice: dict[str, list[Any]] = {}
    for line in lines:
        by_invoice.setdefault(str(line.invoice_id), []).append(line)
    payments = await queries.payments_by_id(pid, other_ids)
    found: dict[int, str] = {}
    for entry in entries:
        entity = UUID(str(entry.entity_id))
        if entry.kind == retention.KIND or (
            entity in purged and entity not in rows and entity not in payments
        ):
            continue
        if entry.kind in INVOICE_KINDS:
            row = rows.get(entity)
            if row is None:
                found[entry.seq] = f"invoice {entity} missing"
                continue
            now = invoices.ledger_content(row, by_invoice.get(str(row.id), []))
            diff = _differences(dict(entry.content), now)
            if diff:
                found[entry.seq] = f"invoice {row.number or entity} differs: " + "; ".join(diff[:5])
        else:
            payment = payments.get(entity)
            if payment is None:
                found[entry.seq] = f"{entry.kind.lower()} {entity} missing"
                continue
            content = dict(entry.content)
            checks = {
                "amount": int(payment.amount_minor),
                "currency": payment.currency,
                "patient": str(payment.patient_id),
            }
            diff = [
                f"{k}: ledger {content[k]!r}, now {v!r}"
                for k, v in checks.items()
                if k in content and content[k] != v
            ]
            if diff:
                found[entry.seq] = f"payment {entity} differs: " + "; ".join(diff)
    return found


async def verify_practice(pid: PracticeId) -> tuple[bool, str]:
    """(ok, one line): the practice's chain and its rows, or the first broken link."""
    expected_seq, running = 1, billing_ledger.GENESIS
    purged = await queries.purged_ids(pid)
    while True:
        batch = await queries.ledger_entries(pid, expected_seq - 1, BATCH)
        if not batch:
            break
        differs = await _rows_differ(pid, batch, purged)
        for entry in batch:
            where = f"practice {pid}: BROKEN at seq {expected_seq}"
            if entry.seq != expected_seq:
                return False, f"{where}: entry missing"
            if entry.prev_hash != running:
                return False, f"{where}: link to previous entry broken"
            body = canonical(
                entry.seq, entry.kind, str(entry.entity_id), dict(entry.content), entry.occurred_at
            )
            if link_hash(running, body) != entry.hash:
                return False, f"{where}: entry content altered"
            if entry.seq in differs:
                return False, f"{where}: {differs[entry.seq]}"
            running = entry.hash
            expected_seq += 1
    head = await queries.ledger_head_of(pid)
    last = expected_seq - 1
    if head is None:
        if last:
            return False, f"practice {pid}: BROKEN at seq {last + 1}: head row missing"
        return True, f"practice {pid}: ok (0 entries)"
    seq, digest = head
    if seq != last:
        return False, f"practice {pid}: BROKEN at seq {last + 1}: entry missing (head at {seq})"
    if digest != running:
        return False, f"practice {pid}: BROKEN at seq {last}: head does not match the last entry"
    return True, f"practice {pid}: ok ({last} entries)"


async def verify(practice_id: UUID | None = None) -> LedgerReport:
    report = LedgerReport()
    """Operator use (``aescrm verify-ledger``): every practice, or the one named."""
    named = [practice_id] if practice_id is not None else await queries.ledger_practices()
    for pid in (tenant_gate.operator_practice(p) for p in named):
        ok, line = await verify_practice(pid)
        if ok:
            report.lines.append(line)
        else:
            report.fail(line)
    return report

"""Invoices and credit notes: DRAFT → ISSUED (numbered, frozen, chained in the ledger) → PAID /
PARTIALLY_PAID, or VOID by a full credit note. Never edited once issued, never deleted.

- A DRAFT is raised by hand (manual lines) or from the patient's completed, not-yet-invoiced
  work (``services/billing/uninvoiced.py`` collects and prices it: plan items at the plan's fee,
  NHS courses at their frozen charge, injectables and product sales from the fee schedule, with
  a membership's cover and discount; what has no price is skipped and reported). A source (plan
  item, treatment, NHS course, sale) sits on at most one live invoice; plan items (and those an
  NHS course billed) are marked invoiced (``invoiced_at``) only when the invoice issues.
- Totals are exact: line net = unit × quantity; VAT per line (``vat.line_vat`` on the tax point,
  half up); total = net + VAT; the invoice's totals are the sums of its lines.
- Issuing takes the practice's next number (``numbering``; gap-free), sets the tax point to the
  issue day in the practice's time zone, recomputes VAT on it, and appends an INVOICE_ISSUED
  entry to the practice's ledger, all in one unit of work.
- A credit note (own number, same sequence) credits whole lines or part of their quantity; its
  amounts are positive (its kind says which way) and reduce what is owed (``credited_minor``).
  Crediting everything makes the invoice VOID and gives its work back to the work list: its
  plan items lose ``invoiced_at``; treatments, NHS courses and sales are claimed only by live
  (not VOID) invoices, so they are free to bill again.
- ``settle`` is how payments move ``paid_minor`` (payments service, same unit of work).

Reading needs billing:read in the patient's practice (staff), or being that patient (portal;
issued invoices only), or a partner app with billing:read while the patient shares data with it
(``services.visibility``; issued invoices only, like the patient: a draft is the practice's
working copy, not yet part of the account). A patient the caller may not see answers NOT_FOUND
exactly like a random id. Changing needs billing:write. Each change: an audit row and an ids-and-
amounts event on topic ``billing`` (INVOICE_DRAFTED, INVOICE_ISSUED, INVOICE_CREDITED).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from db.models import Invoice, InvoiceLine, Patient, Practice
from db.outbox import PendingEvent
from db.queries import invoices as queries
from db.queries import organizations as practice_queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate, visibility
from services.billing import invoice_pdf, ledger, numbering, uninvoiced
from services.billing.invoice_lines import NewLine as NewLine
from services.billing.invoice_lines import ProductPrice as ProductPrice
from services.billing.invoice_lines import Source as Source
from services.billing.money import MAX_MINOR, Money, checked, vat_on
from services.billing.vat import VatCategory, line_vat, rate_on
from services.clinical import teeth
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import organization_id
from services.policy import Scope
from services.principal import Principal

TOPIC = "billing"
MAX_LINES = 200
MAX_QUANTITY = 10_000


class Status(StrEnum):
    DRAFT = "DRAFT"
    ISSUED = "ISSUED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    VOID = "VOID"


class Kind(StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


ISSUED_STATES = frozenset({Status.ISSUED, Status.PARTIALLY_PAID, Status.PAID, Status.VOID})


@dataclass(frozen=True, slots=True)
class CreditLine:
    line_id: UUID
    quantity: int | None = None  # None: what is left of the line


@dataclass(frozen=True, slots=True)
class InvoiceView:
    invoice: Invoice
    lines: list[InvoiceLine]
    skipped: list[str] = field(default_factory=list)  # uninvoiced work left out, and why

    @property
    def currency(self) -> str:
        return str(self.invoice.currency)

    @property
    def owed_minor(self) -> int:
        inv = self.invoice
        if inv.kind != Kind.INVOICE.value or inv.status in (Status.DRAFT.value, Status.VOID.value):
            return 0
        return int(inv.total_minor) - int(inv.paid_minor) - int(inv.credited_minor)


@dataclass(frozen=True, slots=True)
class Page:
    views: list[InvoiceView]
    has_next: bool


# --- money on a line ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Amounts:
    net: int
    rate: int
    vat: int
    total: int


def amounts(unit_minor: int, quantity: int, category: VatCategory, tax_point: date) -> Amounts:
    """One line's net, VAT rate, VAT and total (the only place a line is priced)."""
    net = Money(unit_minor * quantity)
    rate = rate_on(category, tax_point)
    vat = line_vat(net, category, tax_point)
    assert vat == vat_on(net, rate)
    return Amounts(net.minor, rate, vat.minor, net.minor + vat.minor)


def _price(row: InvoiceLine, tax_point: date) -> None:
    got = amounts(row.unit_minor, row.quantity, VatCategory(row.vat_category), tax_point)
    row.net_minor, row.vat_rate_basis_points = got.net, got.rate
    row.vat_minor, row.total_minor = got.vat, got.total


def _sum_into(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    invoice.net_minor = sum(int(r.net_minor) for r in lines)
    invoice.vat_minor = sum(int(r.vat_minor) for r in lines)
    invoice.total_minor = sum(int(r.total_minor) for r in lines)
    if abs(invoice.total_minor) > MAX_MINOR:
        raise ValidationFailed("That invoice total is not plausible.", field="lines")


def description_of(row: InvoiceLine) -> str:
    return sealing.reveal(row, "description") or ""


def notes_of(row: Invoice) -> str | None:
    return sealing.reveal(row, "notes")


# --- access --------------------------------------------------------------------------------


async def _writable_patient(principal: Principal, patient_id: UUID, action: str) -> Patient:
    patient = await patient_access.readable_patient(principal, patient_id)
    await patient_access.require(principal, Scope.BILLING_WRITE, patient, action=action)
    return patient


def _issued_only(principal: Principal) -> bool:
    """Patients and partner apps see issued invoices and credit notes, never drafts."""
    return principal.is_patient or principal.client_id is not None


async def _may_read(principal: Principal, row: Invoice, action: str) -> None:
    """Staff with billing:read in the practice; a portal patient for their own issued ones; a
    partner app with billing:read for the issued ones of a patient sharing data with it.
    Anything else answers NOT_FOUND (a patient this caller cannot see) or FORBIDDEN."""
    pid = tenant_gate.practice_of(row)
    patient_id = UUID(str(row.patient_id))
    if patient_id not in await visibility.visible(principal, {patient_id: pid}):
        raise NotFound("Invoice")
    if _issued_only(principal) and row.status == Status.DRAFT.value:
        raise NotFound("Invoice")
    if principal.is_patient:
        return
    if not principal.has_scope(Scope.BILLING_READ, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to read this patient's account.")


async def _found(principal: Principal, invoice_id: UUID, *, write: bool) -> Invoice:
    row = await queries.invoice(principal.practices_with(Scope.PATIENT_READ), invoice_id)
    if row is None:
        raise NotFound("Invoice")
    if write:
        try:
            await _writable_patient(principal, UUID(str(row.patient_id)), "UPDATE invoice")
        except NotFound:
            raise NotFound("Invoice") from None
    else:
        await _may_read(principal, row, "READ invoice")
    return row


async def _practice(pid: PracticeId) -> Practice:
    found = await practice_queries.practice([pid], pid)
    if found is None:
        raise NotFound("Practice")
    return found


def _today(practice: Practice) -> date:
    return datetime.now(ZoneInfo(str(practice.timezone))).date()


async def _view(rows: Sequence[Invoice]) -> list[InvoiceView]:
    lines = await queries.lines_of([UUID(str(r.id)) for r in rows])
    by_invoice: dict[str, list[InvoiceLine]] = {}
    for row in lines:
        by_invoice.setdefault(str(row.invoice_id), []).append(row)
    return [InvoiceView(r, by_invoice.get(str(r.id), [])) for r in rows]


async def readable_views(principal: Principal, rows: Sequence[Invoice]) -> list[InvoiceView]:
    """Views of ``rows`` whose patients ``services.visibility`` already let this caller see,
    without the drafts of callers who see issued invoices only (the ``changes`` sync feed)."""
    hide_drafts = _issued_only(principal)
    return await _view([r for r in rows if not (hide_drafts and r.status == Status.DRAFT.value)])


async def _fresh(uow: UnitOfWork, row: Invoice) -> InvoiceView:
    lines = await queries.lines_of([UUID(str(row.id))], uow.connection)
    return InvoiceView(row, lines)


# --- events and audit ----------------------------------------------------------------------


async def _changed(
    uow: UnitOfWork,
    principal: Principal | None,
    row: Invoice,
    *,
    action: str,
    event: str,
    fields: list[str],
    extra: dict[str, Any] | None = None,
) -> None:
    """Audit (field names only) and an ids-and-amounts event, in the caller's unit of work."""
    pid = tenant_gate.practice_of(row)
    patient_id = UUID(str(row.patient_id))
    if principal is not None:
        uow.audit(
            audit.record_for(
                principal,
                action=action,
                practice_id=pid,
                entity_type="Invoice",
                entity_id=row.id,
                patient_id=patient_id,
                fields=fields,
            )
        )
        org = await organization_id(principal, pid)
    else:
        org = tenant_gate.organization_of(await _practice(pid))
    payload: dict[str, Any] = {
        "invoiceId": str(row.id),
        "patientId": str(patient_id),
        "kind": row.kind,
        "status": row.status,
        "number": row.number,
        "currency": row.currency,
        "totalMinor": int(row.total_minor),
        "paidMinor": int(row.paid_minor),
        "creditedMinor": int(row.credited_minor),
        **(extra or {}),
    }
    uow.emit(
        PendingEvent(
            organization_id=org,
            practice_id=pid,
            topic=TOPIC,
            type=event,
            entity_id=UUID(str(row.id)),
            patient_id=patient_id,
            payload=actors.stamped(payload, principal),
        )
    )


# --- drafts --------------------------------------------------------------------------------


def _checked_line(new: NewLine, index: int) -> NewLine:
    where = f"lines.{index}"
    description = v.text(new.description, f"{where}.description", max_length=500, required=True)
    if not 1 <= new.quantity <= MAX_QUANTITY:
        raise ValidationFailed(f"A quantity is 1 to {MAX_QUANTITY}.", field=f"{where}.quantity")
    checked(new.unit.minor, f"{where}.unitPrice", allow_zero=True)
    if abs(new.unit.minor * new.quantity) > MAX_MINOR:
        raise ValidationFailed("That line is not plausible.", field=f"{where}.quantity")
    code = v.text(new.code, f"{where}.code", max_length=32) if new.code else None
    return NewLine(
        description=description or "",
        unit=new.unit,
        vat_category=new.vat_category,
        quantity=new.quantity,
        code=code.upper() if code else None,
        tooth=new.tooth,
        source=new.source,
        source_id=new.source_id,
        service_on=new.service_on,
    )


def _tooth(text: str | None, field_name: str) -> int | None:
    if text in (None, ""):
        return None
    try:
        return teeth.parse(str(text), teeth.Notation.FDI).fdi
    except ValidationFailed:
        raise ValidationFailed("Not a tooth (FDI).", field=field_name) from None


def _line_row(row: Invoice, new: NewLine, position: int, tax_point: date) -> InvoiceLine:
    line = InvoiceLine(
        id=uuid4(),
        practice_id=row.practice_id,
        invoice_id=row.id,
        position=position,
        source=new.source.value,
        source_id=new.source_id,
        code=new.code,
        tooth=_tooth(new.tooth, f"lines.{position}.tooth") if new.tooth else None,
        quantity=new.quantity,
        unit_minor=new.unit.minor,
        vat_category=new.vat_category.value,
        net_minor=0,
        total_minor=0,
        service_on=new.service_on,
    )
    _price(line, tax_point)
    line.description = sealing.seal(line, "description", new.description) or ""
    return line


async def _add_lines(
    uow: UnitOfWork, row: Invoice, news: Sequence[NewLine], tax_point: date
) -> list[InvoiceLine]:
    pid = tenant_gate.practice_of(row)
    for new in news:
        if new.unit.currency != row.currency:
            raise ValidationFailed(
                f"This invoice is in {row.currency}; a line is in {new.unit.currency}.",
                field="unitPrice.currency",
            )
    sources = [n.source_id for n in news if n.source_id is not None]
    if len(set(sources)) != len(sources):
        raise Conflict("The same work is on two lines.", field="lines")
    if await queries.claimed_sources(pid, sources, connection=uow.connection):
        raise Conflict("Some of this work is already on another invoice.", field="lines")
    existing = await queries.lines_of([UUID(str(row.id))], uow.connection)
    on_this = {str(x.source_id) for x in existing if x.source_id is not None}
    if on_this & {str(s) for s in sources}:
        raise Conflict("Some of this work is already on this invoice.", field="lines")
    if len(existing) + len(news) > MAX_LINES:
        raise ValidationFailed(f"An invoice has at most {MAX_LINES} lines.", field="lines")
    position = await queries.next_position(UUID(str(row.id)), uow.connection)
    added = []
    for n, new in enumerate(news):
        line = _line_row(row, new, position + n, tax_point)
        await line.save(using_db=uow.connection)
        added.append(line)
    lines = existing + added
    _sum_into(row, lines)
    await row.save(using_db=uow.connection)
    return lines


async def create(
    principal: Principal,
    *,
    patient_id: UUID,
    lines: Sequence[NewLine],
    appointment_id: UUID | None = None,
    currency: str = "GBP",
) -> InvoiceView:
    patient = await _writable_patient(principal, patient_id, "CREATE invoice")
    checked_lines = [_checked_line(n, i) for i, n in enumerate(lines)]
    Money(0, currency)  # refuses an unsupported currency (field "currency")
    pid = tenant_gate.practice_of(patient)
    practice = await _practice(pid)
    return await _draft(principal, patient, practice, checked_lines, appointment_id, currency)


async def _draft(
    principal: Principal,
    patient: Patient,
    practice: Practice,
    lines: Sequence[NewLine],
    appointment_id: UUID | None,
    currency: str,
    skipped: list[str] | None = None,
) -> InvoiceView:
    row = Invoice(
        id=uuid4(),
        practice_id=tenant_gate.practice_of(patient),
        patient_id=patient.id,
        kind=Kind.INVOICE.value,
        status=Status.DRAFT.value,
        currency=currency,
        appointment_id=appointment_id,
        created_by_user_id=principal.user_id,
    )
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        saved = await _add_lines(uow, row, lines, _today(practice))
        await _changed(
            uow,
            principal,
            row,
            action="CREATE invoice",
            event="INVOICE_DRAFTED",
            fields=["lines"],
            extra={"created": True},  # the sync feed's CREATED (services.changes.kinds)
        )
    return InvoiceView(row, saved, skipped or [])


async def _locked_draft(uow: UnitOfWork, found: Invoice) -> Invoice:
    locked = await queries.invoice(
        {tenant_gate.practice_of(found)},
        UUID(str(found.id)),
        connection=uow.connection,
        for_update=True,
    )
    assert locked is not None
    if locked.status != Status.DRAFT.value:
        raise Conflict(
            f"An {locked.status} invoice is never edited; issue a credit note.", field="invoiceId"
        )
    return locked


async def add_lines(
    principal: Principal, *, invoice_id: UUID, lines: Sequence[NewLine]
) -> InvoiceView:
    found = await _found(principal, invoice_id, write=True)
    checked_lines = [_checked_line(n, i) for i, n in enumerate(lines)]
    if not checked_lines:
        raise ValidationFailed("Give at least one line.", field="lines")
    practice = await _practice(tenant_gate.practice_of(found))
    async with unit_of_work() as uow:
        locked = await _locked_draft(uow, found)
        saved = await _add_lines(uow, locked, checked_lines, _today(practice))
        await _changed(
            uow,
            principal,
            locked,
            action="UPDATE invoice",
            event="INVOICE_DRAFTED",
            fields=["lines"],
        )
    return InvoiceView(locked, saved)


async def remove_line(principal: Principal, *, invoice_id: UUID, line_id: UUID) -> InvoiceView:
    found = await _found(principal, invoice_id, write=True)
    pid = tenant_gate.practice_of(found)
    async with unit_of_work() as uow:
        locked = await _locked_draft(uow, found)
        line = await queries.line(pid, UUID(str(locked.id)), line_id, uow.connection)
        if line is None:
            raise NotFound("Invoice line")
        await line.delete(using_db=uow.connection)  # a draft's line, never issued
        view = await _fresh(uow, locked)
        _sum_into(locked, view.lines)
        await locked.save(using_db=uow.connection)
        await _changed(
            uow,
            principal,
            locked,
            action="UPDATE invoice",
            event="INVOICE_DRAFTED",
            fields=["lines"],
        )
    return view


async def invoice_uninvoiced(
    principal: Principal,
    *,
    patient_id: UUID,
    prices: Sequence[ProductPrice] = (),
    medical_treatment_ids: frozenset[UUID] = frozenset(),
) -> InvoiceView:
    """A DRAFT of everything completed for the patient and not yet on a live invoice, priced
    as ``uninvoiced`` says; ``prices`` override the fee schedule per product."""
    patient = await _writable_patient(principal, patient_id, "CREATE invoice")
    pid = tenant_gate.practice_of(patient)
    practice = await _practice(pid)
    currency = "GBP"
    found = await uninvoiced.collect(
        uninvoiced.Work(
            practice_id=pid,
            practice=practice,
            patient_id=UUID(str(patient.id)),
            currency=currency,
            overrides={p.product_id: p.unit for p in prices},
            medical=medical_treatment_ids,
        )
    )
    if not found.lines:
        raise Conflict("Nothing completed is waiting to be invoiced.", field="patientId")
    checked_lines = [_checked_line(n, i) for i, n in enumerate(found.lines)]
    return await _draft(principal, patient, practice, checked_lines, None, currency, found.skipped)


# --- issue ---------------------------------------------------------------------------------


def ledger_content(row: Invoice, lines: Sequence[InvoiceLine]) -> dict[str, Any]:
    """What the ledger freezes about an issued invoice or credit note (ids, numbers, amounts)."""
    return {
        "number": row.number,
        "kind": row.kind,
        "patient": str(row.patient_id),
        "currency": row.currency,
        "net": int(row.net_minor),
        "vat": int(row.vat_minor),
        "total": int(row.total_minor),
        "taxPoint": row.tax_point.isoformat() if row.tax_point else None,
        "credits": str(row.credits_invoice_id) if row.credits_invoice_id else None,
        "lines": [
            {
                "code": x.code,
                "tooth": x.tooth,
                "source": x.source,
                "sourceId": str(x.source_id) if x.source_id else None,
                "quantity": int(x.quantity),
                "unit": int(x.unit_minor),
                "net": int(x.net_minor),
                "vatCategory": x.vat_category,
                "vatRate": int(x.vat_rate_basis_points),
                "vat": int(x.vat_minor),
                "total": int(x.total_minor),
            }
            for x in sorted(lines, key=lambda x: x.position)
        ],
    }


async def _number_and_chain(
    uow: UnitOfWork,
    principal: Principal | None,
    row: Invoice,
    lines: Sequence[InvoiceLine],
    practice: Practice,
    kind: str,
    at: datetime | None = None,
) -> None:
    now = at or datetime.now(UTC)
    number = await numbering.take(uow, tenant_gate.practice_of(row), str(practice.name))
    row.number, row.sequence_number = number.text, number.sequence
    row.status = Status.ISSUED.value
    row.issued_at = now
    row.issued_by_user_id = principal.user_id if principal else None
    await row.save(using_db=uow.connection)
    await ledger.append(
        uow,
        tenant_gate.practice_of(row),
        kind=kind,
        entity_id=UUID(str(row.id)),
        content=ledger_content(row, lines),
        at=now,
    )


async def issue(
    principal: Principal, *, invoice_id: UUID, at: datetime | None = None
) -> InvoiceView:
    """Number, price on the tax point, freeze and chain a DRAFT. ``at`` (demo data and imports
    only, never from a request): the moment of issue, default now."""
    found = await _found(principal, invoice_id, write=True)
    pid = tenant_gate.practice_of(found)
    practice = await _practice(pid)
    async with unit_of_work() as uow:
        locked = await _locked_draft(uow, found)
        view = await _fresh(uow, locked)
        if not view.lines:
            raise Conflict("An invoice with no lines is not issued.", field="invoiceId")
        sources = [UUID(str(x.source_id)) for x in view.lines if x.source_id is not None]
        if await queries.claimed_sources(
            pid, sources, excluding_invoice=UUID(str(locked.id)), connection=uow.connection
        ):
            raise Conflict("Some of this work is already on another invoice.", field="lines")
        tax_point = (
            _today(practice)
            if at is None
            else at.astimezone(ZoneInfo(str(practice.timezone))).date()
        )
        locked.tax_point = tax_point
        for line in view.lines:
            _price(line, tax_point)
            await line.save(
                using_db=uow.connection,
                update_fields=["net_minor", "vat_rate_basis_points", "vat_minor", "total_minor"],
            )
        _sum_into(locked, view.lines)
        await _number_and_chain(uow, principal, locked, view.lines, practice, "INVOICE_ISSUED", at)
        items = _sources(view.lines, Source.PLAN_ITEM)
        at = locked.issued_at or datetime.now(UTC)
        if await queries.mark_plan_items_invoiced(pid, items, at, uow.connection) != len(items):
            raise Conflict("A plan item on this invoice was invoiced elsewhere.", field="lines")
        # The plan items an NHS course on it counted are billed by it, not left on the work list.
        await queries.mark_plan_items_invoiced(
            pid, await _course_items(uow, locked, view.lines), at, uow.connection
        )
        await _changed(
            uow,
            principal,
            locked,
            action="ISSUE invoice",
            event="INVOICE_ISSUED",
            fields=["status", "number"],
        )
    return InvoiceView(locked, view.lines)


def _sources(lines: Sequence[InvoiceLine], source: Source) -> list[UUID]:
    return [
        UUID(str(x.source_id))
        for x in lines
        if x.source == source.value and x.source_id is not None
    ]


async def _course_items(uow: UnitOfWork, row: Invoice, lines: Sequence[InvoiceLine]) -> list[UUID]:
    """The plan items counted in the NHS courses ``lines`` bill."""
    courses = _sources(lines, Source.NHS_COURSE)
    if not courses:
        return []
    found = await queries.nhs_course_plan_items(
        tenant_gate.practice_of(row),
        UUID(str(row.patient_id)),
        course_ids=courses,
        connection=uow.connection,
    )
    return list(found)


# --- credit notes --------------------------------------------------------------------------


async def issue_credit_note(
    principal: Principal,
    *,
    invoice_id: UUID,
    lines: Sequence[CreditLine] | None,
    reason: str,
) -> tuple[InvoiceView, InvoiceView]:
    """Credit ``lines`` of an issued invoice (None: all that is left); returns (credit note,
    invoice). A credit may not take off more than is still owed (refund a payment first)."""
    found = await _found(principal, invoice_id, write=True)
    why = v.text(reason, "reason", max_length=500, required=True) or ""
    pid = tenant_gate.practice_of(found)
    practice = await _practice(pid)
    async with unit_of_work() as uow:
        locked = await queries.invoice(
            {pid}, UUID(str(found.id)), connection=uow.connection, for_update=True
        )
        assert locked is not None
        if locked.kind != Kind.INVOICE.value:
            raise Conflict("A credit note is not credited.", field="invoiceId")
        if locked.status in (Status.DRAFT.value, Status.VOID.value):
            raise Conflict(f"A {locked.status} invoice is not credited.", field="invoiceId")
        originals = await queries.lines_of([UUID(str(locked.id))], uow.connection)
        done: dict[str, int] = {}
        for x in await queries.credit_lines(pid, UUID(str(locked.id)), uow.connection):
            done[str(x.source_id)] = done.get(str(x.source_id), 0) + int(x.quantity)
        wanted = [CreditLine(UUID(str(x.id))) for x in originals] if lines is None else list(lines)
        by_id = {str(x.id): x for x in originals}
        credit = Invoice(
            id=uuid4(),
            practice_id=locked.practice_id,
            patient_id=locked.patient_id,
            kind=Kind.CREDIT_NOTE.value,
            status=Status.DRAFT.value,
            currency=locked.currency,
            credits_invoice_id=locked.id,
            appointment_id=locked.appointment_id,
            tax_point=locked.tax_point,
            created_by_user_id=principal.user_id,
        )
        credit.notes = sealing.seal(credit, "notes", why) or ""
        await credit.save(using_db=uow.connection)
        rows: list[InvoiceLine] = []
        for n, want in enumerate(wanted):
            original = by_id.get(str(want.line_id))
            if original is None:
                raise NotFound("Invoice line")
            left = int(original.quantity) - done.get(str(original.id), 0)
            quantity = left if want.quantity is None else want.quantity
            if quantity <= 0 and lines is None:
                continue
            if not 1 <= quantity <= left:
                raise ValidationFailed(
                    f"At most {left} of this line can still be credited.",
                    field=f"lines.{n}.quantity",
                )
            row = InvoiceLine(
                id=uuid4(),
                practice_id=locked.practice_id,
                invoice_id=credit.id,
                position=len(rows),
                source=original.source,
                source_id=original.id,  # the line credited
                code=original.code,
                tooth=original.tooth,
                quantity=quantity,
                unit_minor=original.unit_minor,
                vat_category=original.vat_category,
                vat_rate_basis_points=original.vat_rate_basis_points,
                net_minor=int(original.unit_minor) * quantity,
                total_minor=0,
                service_on=original.service_on,
            )
            if quantity == int(original.quantity):  # the whole line: exactly its amounts
                row.vat_minor = int(original.vat_minor)
            else:  # at the rate the invoice charged, not today's
                row.vat_minor = vat_on(
                    Money(int(row.net_minor)), int(original.vat_rate_basis_points)
                ).minor
            row.total_minor = int(row.net_minor) + int(row.vat_minor)
            row.description = sealing.seal(row, "description", description_of(original)) or ""
            await row.save(using_db=uow.connection)
            rows.append(row)
        if not rows:
            raise Conflict("Nothing is left to credit on this invoice.", field="invoiceId")
        _sum_into(credit, rows)
        owed = int(locked.total_minor) - int(locked.paid_minor) - int(locked.credited_minor)
        if int(credit.total_minor) > owed:
            raise Conflict(
                "That credit is more than is owed; refund the payment first.", field="lines"
            )
        await _number_and_chain(uow, principal, credit, rows, practice, "CREDIT_NOTE_ISSUED")
        locked.credited_minor = int(locked.credited_minor) + int(credit.total_minor)
        fully = locked.credited_minor == int(locked.total_minor)
        if fully:
            locked.status = Status.VOID.value
            locked.voided_at = datetime.now(UTC)
            items = _sources(originals, Source.PLAN_ITEM)
            counted = await _course_items(uow, locked, originals)
            # (a course's item another live invoice bills privately stays invoiced there)
            elsewhere = await queries.claimed_sources(
                pid, counted, excluding_invoice=UUID(str(locked.id)), connection=uow.connection
            )
            items += [i for i in counted if i not in elsewhere]
            await queries.release_plan_items(pid, items, uow.connection)
        else:
            locked.status = _status(locked).value
        await locked.save(
            using_db=uow.connection,
            update_fields=["status", "credited_minor", "voided_at", "updated_at"],
        )
        await _changed(
            uow,
            principal,
            credit,
            action="ISSUE credit_note",
            event="INVOICE_CREDITED",
            fields=["status", "number"],
            extra={"creditsInvoiceId": str(locked.id)},
        )
        await _changed(
            uow,
            principal,
            locked,
            action="CREDIT invoice",
            event="INVOICE_CREDITED",
            fields=["status", "creditedMinor"] + (["voidedAt"] if fully else []),
            extra={"creditNoteId": str(credit.id)},
        )
    return InvoiceView(credit, rows), await _fresh_outside(locked)


async def _fresh_outside(row: Invoice) -> InvoiceView:
    return (await _view([row]))[0]


# --- payments ------------------------------------------------------------------------------


def _status(row: Invoice) -> Status:
    if row.status == Status.VOID.value:
        return Status.VOID
    settled = int(row.paid_minor) + int(row.credited_minor)
    if int(row.paid_minor) > 0 and settled >= int(row.total_minor):
        return Status.PAID
    if int(row.paid_minor) > 0:
        return Status.PARTIALLY_PAID
    return Status.ISSUED


async def settle(
    uow: UnitOfWork, practice_id: PracticeId, invoice_id: UUID, delta_minor: int
) -> Invoice:
    """Move an issued invoice's ``paid_minor`` by ``delta_minor`` (a payment allocated: +, a
    refund or unallocation: −) in the caller's unit of work, and set its status. Refuses
    (CONFLICT) a DRAFT, VOID or credit note, paying more than is owed, or going below zero.
    The caller (payments) audits and emits its own events."""
    if isinstance(delta_minor, bool) or not isinstance(delta_minor, int):
        raise TypeError("delta_minor is an integer number of minor units")
    row = await queries.invoice(
        {practice_id}, invoice_id, connection=uow.connection, for_update=True
    )
    if row is None:
        raise NotFound("Invoice")
    if row.kind != Kind.INVOICE.value:
        raise Conflict("A credit note is not paid.", field="invoiceId")
    if row.status == Status.DRAFT.value:
        raise Conflict("A draft invoice is not paid; issue it first.", field="invoiceId")
    if row.status == Status.VOID.value:
        raise Conflict("A void invoice is not paid.", field="invoiceId")
    paid = int(row.paid_minor) + delta_minor
    if paid < 0:
        raise Conflict("More would be refunded than was paid.", field="amount")
    if paid + int(row.credited_minor) > int(row.total_minor):
        raise Conflict("That is more than is owed on this invoice.", field="amount")
    row.paid_minor = paid
    row.status = _status(row).value
    await row.save(using_db=uow.connection, update_fields=["paid_minor", "status", "updated_at"])
    return row


# --- reads ---------------------------------------------------------------------------------


async def invoice(principal: Principal, *, invoice_id: UUID) -> InvoiceView:
    return (await _view([await _found(principal, invoice_id, write=False)]))[0]


async def of_patient(
    principal: Principal,
    *,
    patient_id: UUID,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> Page:
    patient = await patient_access.readable_patient(principal, patient_id)
    pid = tenant_gate.practice_of(patient)
    statuses = [s.value for s in ISSUED_STATES] if _issued_only(principal) else None
    if not principal.is_patient and not principal.has_scope(Scope.BILLING_READ, pid):
        await audit.record_denied(principal, action="READ invoice", practice_id=pid)
        raise PolicyDenied("You do not have permission to read this patient's account.")
    rows = await queries.of_patient(
        pid, UUID(str(patient.id)), statuses=statuses, after=after, limit=first + 1
    )
    return Page(await _view(rows[:first]), len(rows) > first)


async def practice_name(row: Invoice) -> str:
    return str((await _practice(tenant_gate.practice_of(row))).name)


async def pdf(principal: Principal, *, invoice_id: UUID) -> tuple[Invoice, bytes]:
    """An issued invoice or credit note as a PDF (a draft has no number: NOT_FOUND). Who may
    read the invoice may open it; the opening is audited before a byte leaves."""
    row = await _found(principal, invoice_id, write=False)
    if row.status == Status.DRAFT.value or row.number is None:
        raise NotFound("Invoice")
    view = (await _view([row]))[0]
    pid = tenant_gate.practice_of(row)
    patient = await patient_access.readable_patient(principal, UUID(str(row.patient_id)))
    credits_number = None
    if row.credits_invoice_id is not None:
        credited = await queries.invoice({pid}, UUID(str(row.credits_invoice_id)))
        credits_number = None if credited is None else credited.number
    cur = view.currency
    groups: dict[int, tuple[int, int]] = {}
    for x in view.lines:
        net, vat = groups.get(int(x.vat_rate_basis_points), (0, 0))
        groups[int(x.vat_rate_basis_points)] = (net + int(x.net_minor), vat + int(x.vat_minor))
    document = invoice_pdf.PdfInvoice(
        practice_name=await practice_name(row),
        title="Credit note" if row.kind == Kind.CREDIT_NOTE.value else "Invoice",
        number=row.number,
        tax_point=row.tax_point,
        issued_at=row.issued_at,
        patient_name=f"{patient.first_name} {patient.last_name}",
        credits_number=credits_number,
        lines=[
            invoice_pdf.PdfLine(
                description=description_of(x),
                code=x.code,
                tooth=x.tooth,
                quantity=int(x.quantity),
                unit=Money(int(x.unit_minor), cur),
                net=Money(int(x.net_minor), cur),
                vat_rate_basis_points=int(x.vat_rate_basis_points),
                vat=Money(int(x.vat_minor), cur),
                total=Money(int(x.total_minor), cur),
            )
            for x in view.lines
        ],
        vat_breakdown=[(r, Money(n, cur), Money(v, cur)) for r, (n, v) in sorted(groups.items())],
        net=Money(int(row.net_minor), cur),
        vat=Money(int(row.vat_minor), cur),
        total=Money(int(row.total_minor), cur),
        paid=Money(int(row.paid_minor), cur),
        owed=Money(view.owed_minor, cur),
        status=str(row.status),
    )
    async with unit_of_work() as uow:  # recorded before a byte leaves
        uow.audit(
            audit.record_for(
                principal,
                action="OPEN invoice_pdf",
                practice_id=pid,
                entity_type="Invoice",
                entity_id=row.id,
                patient_id=UUID(str(row.patient_id)),
                fields=["pdf"],
            )
        )
    return row, invoice_pdf.render(document)

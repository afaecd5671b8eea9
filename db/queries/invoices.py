"""Tenant-scoped reads and writes of invoices, their lines and the practice's number sequence.
The allowed practices come first; an invoice of another practice answers like a missing one."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import (
    InjectableTreatment,
    InjectionPoint,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    LedgerEntry,
    LedgerHead,
    NhsCourse,
    NhsCourseItem,
    Payment,
    Product,
    ProductSale,
    TreatmentPlanItem,
)
from db.tenancy import PracticeId

# Statuses of an invoice that still claims its sources (a VOID one released them).
LIVE = ("DRAFT", "ISSUED", "PAID", "PARTIALLY_PAID")

_PG_SEQUENCE = (
    "INSERT INTO invoice_sequence (id, created_at, practice_id, prefix, last_number) "
    "VALUES ($1, now(), $2, $3, 0) ON CONFLICT (practice_id) DO NOTHING"
)


async def locked_sequence(
    practice_id: PracticeId, default_prefix: str, connection: BaseDBAsyncClient
) -> InvoiceSequence:
    """The practice's number counter, created on first use, locked for this transaction.

    PostgreSQL: ``INSERT … ON CONFLICT DO NOTHING`` then ``SELECT … FOR UPDATE``, so two first
    issues at once both find the one row (the second waits for the first's lock). SQLite: the
    unit of work already holds the database's write lock."""
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(_PG_SEQUENCE, [uuid4(), practice_id, default_prefix])
    else:
        await InvoiceSequence.get_or_create(
            practice_id=practice_id,
            defaults={"prefix": default_prefix, "last_number": 0},
            using_db=connection,
        )
    return (
        await InvoiceSequence.filter(practice_id=practice_id)
        .select_for_update()
        .using_db(connection)
        .get()
    )


async def sequence(practice_id: PracticeId) -> InvoiceSequence | None:
    return await InvoiceSequence.get_or_none(practice_id=practice_id)


async def invoice(
    allowed: Collection[PracticeId],
    invoice_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> Invoice | None:
    if not allowed:
        return None
    query = Invoice.filter(id=invoice_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def lines_of(
    invoice_ids: Collection[UUID], connection: BaseDBAsyncClient | None = None
) -> list[InvoiceLine]:
    """Lines of invoices already found through a tenant check (one statement)."""
    if not invoice_ids:
        return []
    query = InvoiceLine.filter(invoice_id__in=list(invoice_ids)).order_by("invoice_id", "position")
    if connection is not None:
        query = query.using_db(connection)
    return await query.all()


async def line(
    practice_id: PracticeId, invoice_id: UUID, line_id: UUID, connection: BaseDBAsyncClient
) -> InvoiceLine | None:
    return (
        await InvoiceLine.filter(id=line_id, invoice_id=invoice_id, practice_id=practice_id)
        .using_db(connection)
        .first()
    )


async def next_position(invoice_id: UUID, connection: BaseDBAsyncClient) -> int:
    last = (
        await InvoiceLine.filter(invoice_id=invoice_id)
        .using_db(connection)
        .order_by("-position")
        .first()
    )
    return 0 if last is None else last.position + 1


async def of_patient(
    practice_id: PracticeId,
    patient_id: UUID,
    *,
    statuses: Collection[str] | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Invoice]:
    """A patient's invoices and credit notes, newest first."""
    query = Invoice.filter(practice_id=practice_id, patient_id=patient_id)
    if statuses is not None:
        query = query.filter(status__in=list(statuses))
    if after is not None:
        at, last = after
        query = query.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last))
    return await query.order_by("-created_at", "-id").limit(limit).all()


async def claimed_sources(
    practice_id: PracticeId,
    source_ids: Collection[UUID],
    *,
    excluding_invoice: UUID | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> set[UUID]:
    """Which of ``source_ids`` already sit on a live (not VOID) invoice of the practice."""
    if not source_ids:
        return set()
    query = InvoiceLine.filter(
        practice_id=practice_id,
        source_id__in=list(source_ids),
        invoice__status__in=list(LIVE),
        invoice__kind="INVOICE",
    )
    if excluding_invoice is not None:
        query = query.exclude(invoice_id=excluding_invoice)
    if connection is not None:
        query = query.using_db(connection)
    return {UUID(str(v)) for v in await query.values_list("source_id", flat=True)}


async def uninvoiced_plan_items(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient | None = None
) -> list[TreatmentPlanItem]:
    query = TreatmentPlanItem.filter(
        practice_id=practice_id,
        patient_id=patient_id,
        completed_at__isnull=False,
        invoiced_at=None,
    ).order_by("completed_at", "id")
    if connection is not None:
        query = query.using_db(connection)
    return await query.all()


async def plan_items(
    practice_id: PracticeId, item_ids: Collection[UUID], connection: BaseDBAsyncClient
) -> list[TreatmentPlanItem]:
    if not item_ids:
        return []
    return (
        await TreatmentPlanItem.filter(practice_id=practice_id, id__in=list(item_ids))
        .using_db(connection)
        .all()
    )


async def mark_plan_items_invoiced(
    practice_id: PracticeId, item_ids: Collection[UUID], at: datetime, connection: BaseDBAsyncClient
) -> int:
    if not item_ids:
        return 0
    return (
        await TreatmentPlanItem.filter(
            practice_id=practice_id, id__in=list(item_ids), invoiced_at=None
        )
        .using_db(connection)
        .update(invoiced_at=at)
    )


async def release_plan_items(
    practice_id: PracticeId, item_ids: Collection[UUID], connection: BaseDBAsyncClient
) -> int:
    """A full credit note gives its plan items (billed privately, or in an NHS course it
    billed) back to the billing work list."""
    if not item_ids:
        return 0
    return (
        await TreatmentPlanItem.filter(practice_id=practice_id, id__in=list(item_ids))
        .using_db(connection)
        .update(invoiced_at=None)
    )


async def injectable_visits(
    practice_id: PracticeId, patient_id: UUID
) -> list[tuple[InjectableTreatment, list[InjectionPoint]]]:
    """The patient's injectable treatments with their injection points, oldest first."""
    treatments = (
        await InjectableTreatment.filter(practice_id=practice_id, patient_id=patient_id)
        .order_by("treated_at", "id")
        .all()
    )
    if not treatments:
        return []
    points = (
        await InjectionPoint.filter(
            practice_id=practice_id, treatment_id__in=[t.id for t in treatments]
        )
        .order_by("position")
        .all()
    )
    by_treatment: dict[str, list[InjectionPoint]] = {}
    for point in points:
        by_treatment.setdefault(str(point.treatment_id), []).append(point)
    return [(t, by_treatment.get(str(t.id), [])) for t in treatments]


async def completed_nhs_courses(practice_id: PracticeId, patient_id: UUID) -> list[NhsCourse]:
    """The patient's COMPLETED NHS courses (charge frozen), oldest completion first."""
    return (
        await NhsCourse.filter(practice_id=practice_id, patient_id=patient_id, status="COMPLETED")
        .order_by("completed_on", "id")
        .all()
    )


async def nhs_course_plan_items(
    practice_id: PracticeId,
    patient_id: UUID,
    *,
    course_ids: Collection[UUID] | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> dict[UUID, str]:
    """The patient's plan items counted in an OPEN or COMPLETED NHS course (named by a course
    item, or through the chart entry the item's completion recorded), each with its course's
    status; only those of ``course_ids`` when given."""
    items = NhsCourseItem.filter(
        practice_id=practice_id,
        patient_id=patient_id,
        course__status__in=["OPEN", "COMPLETED"],
    )
    if course_ids is not None:
        if not course_ids:
            return {}
        items = items.filter(course_id__in=list(course_ids))
    if connection is not None:
        items = items.using_db(connection)
    rows = await items.values_list("plan_item_id", "chart_entry_id", "course__status")
    found = {UUID(str(plan)): str(status) for plan, _, status in rows if plan is not None}
    by_entry = {UUID(str(entry)): str(status) for _, entry, status in rows if entry is not None}
    if by_entry:
        query = TreatmentPlanItem.filter(
            practice_id=practice_id, patient_id=patient_id, chart_entry_id__in=list(by_entry)
        )
        if connection is not None:
            query = query.using_db(connection)
        for item_id, entry in await query.values_list("id", "chart_entry_id"):
            found.setdefault(UUID(str(item_id)), by_entry[UUID(str(entry))])
    return found


async def product_sales(practice_id: PracticeId, patient_id: UUID) -> list[ProductSale]:
    """The patient's retail sales, oldest first."""
    return (
        await ProductSale.filter(practice_id=practice_id, patient_id=patient_id)
        .order_by("sold_on", "created_at", "id")
        .all()
    )


async def products(organization_id: UUID, product_ids: Collection[UUID]) -> dict[UUID, Product]:
    if not product_ids:
        return {}
    rows = await Product.filter(organization_id=organization_id, id__in=list(product_ids)).all()
    return {UUID(str(p.id)): p for p in rows}


async def credit_lines(
    practice_id: PracticeId, invoice_id: UUID, connection: BaseDBAsyncClient
) -> list[InvoiceLine]:
    """Lines of the issued credit notes of an invoice (their source_id names the line)."""
    return (
        await InvoiceLine.filter(
            practice_id=practice_id,
            invoice__credits_invoice_id=invoice_id,
            invoice__kind="CREDIT_NOTE",
        )
        .using_db(connection)
        .all()
    )


# --- ledger verification -------------------------------------------------------------------


async def ledger_practices() -> list[UUID]:
    """Practices with a ledger head or entries (the caller, the operator's CLI, names them)."""
    rows = (
        await LedgerEntry.all()
        .order_by("practice_id")
        .distinct()
        .values_list("practice_id", flat=True)
    )
    heads = await LedgerHead.all().values_list("practice_id", flat=True)
    return sorted({UUID(str(r)) for r in [*rows, *heads]}, key=str)


async def ledger_entries(practice_id: PracticeId, after_seq: int, limit: int) -> list[LedgerEntry]:
    return (
        await LedgerEntry.filter(practice_id=practice_id, seq__gt=after_seq)
        .order_by("seq")
        .limit(limit)
        .all()
    )


async def ledger_head_of(practice_id: PracticeId) -> tuple[int, str] | None:
    head = await LedgerHead.get_or_none(practice_id=practice_id)
    return None if head is None else (head.seq, head.hash)


async def invoices_by_id(practice_id: PracticeId, ids: Collection[UUID]) -> dict[UUID, Invoice]:
    if not ids:
        return {}
    rows = await Invoice.filter(practice_id=practice_id, id__in=list(ids)).all()
    return {UUID(str(r.id)): r for r in rows}


async def payments_by_id(practice_id: PracticeId, ids: Collection[UUID]) -> dict[UUID, Payment]:
    if not ids:
        return {}
    rows = await Payment.filter(practice_id=practice_id, id__in=list(ids)).all()
    return {UUID(str(r.id)): r for r in rows}


async def financial_ids_of_patient(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> tuple[list[str], list[str]]:
    """The ids of a patient's issued invoices and credit notes, and of their payments."""
    invoice_ids = await (
        Invoice.filter(practice_id=practice_id, patient_id=patient_id)
        .exclude(status="DRAFT")
        .using_db(connection)
        .values_list("id", flat=True)
    )
    payment_ids = await (
        Payment.filter(practice_id=practice_id, patient_id=patient_id)
        .using_db(connection)
        .values_list("id", flat=True)
    )
    return sorted(str(i) for i in invoice_ids), sorted(str(p) for p in payment_ids)


async def purged_ids(practice_id: PracticeId) -> set[UUID]:
    """Every invoice and payment a RECORDS_PURGED ledger entry of the practice names."""
    rows = await LedgerEntry.filter(practice_id=practice_id, kind="RECORDS_PURGED").values_list(
        "content", flat=True
    )
    found: set[UUID] = set()
    for content in rows:
        body = dict(content)
        found.update(UUID(i) for i in [*body.get("invoices", []), *body.get("payments", [])])
    return found

"""Reads behind the ``changes`` sync feed: the event log by practice and sequence, and the
current rows the entries point at. Every function takes the caller's practices first.

The log is read one practice at a time along its ``(practice_id, sequence)`` unique index (a
range scan that stops at the page size), never as one sort over every practice: a partner
starting from the beginning of a year of events costs the same per page as one that is up to
date.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from tortoise.expressions import Q

from db.models import Appointment, ConsentRecord, Invoice, Patient
from db.models.outbox import DomainEvent, PracticeSequence
from db.tenancy import PracticeId

EVENT_FIELDS = (
    "practice_id",
    "sequence",
    "type",
    "entity_id",
    "patient_id",
    "payload",
    "occurred_at",
)


async def heads(allowed: Collection[PracticeId]) -> dict[UUID, int]:
    """The latest committed sequence of each allowed practice that has any events."""
    if not allowed:
        return {}
    rows = await PracticeSequence.filter(practice_id__in=list(allowed)).values_list(
        "practice_id", "last_sequence"
    )
    return {UUID(str(p)): int(s) for p, s in rows}


async def events_after(
    practice_id: PracticeId,
    after: int,
    types: Collection[str],
    limit: int,
    *,
    with_next: bool,
) -> list[dict[str, Any]]:
    """Events of ``types`` after ``after``, oldest first, at most ``limit``; with ``with_next``
    also the event right after ``after`` whatever its type (first, if it is still kept), so
    the caller can tell a pruned gap from events it does not want, in the same statement."""
    # One index range (practice, sequence > after) read in order, the rest a filter on it: the
    # scan stops at the limit. (An OR of two ranges makes PostgreSQL gather and sort them all.)
    wanted = Q(type__in=list(types))
    if with_next:
        wanted |= Q(sequence=after + 1)
    extra = 1 if with_next else 0
    return list(
        await DomainEvent.filter(Q(practice_id=practice_id, sequence__gt=after) & wanted)
        .order_by("sequence")
        .limit(limit + extra)
        .values(*EVENT_FIELDS)
    )


async def patients_by_id(allowed: Collection[PracticeId], ids: Collection[UUID]) -> list[Patient]:
    if not allowed or not ids:
        return []
    return await Patient.filter(practice_id__in=list(allowed), id__in=list(ids))


async def appointments_by_id(
    allowed: Collection[PracticeId], ids: Collection[UUID]
) -> list[Appointment]:
    if not allowed or not ids:
        return []
    return await Appointment.filter(practice_id__in=list(allowed), id__in=list(ids))


async def consents_by_id(
    allowed: Collection[PracticeId], ids: Collection[UUID]
) -> list[ConsentRecord]:
    if not allowed or not ids:
        return []
    return await ConsentRecord.filter(practice_id__in=list(allowed), id__in=list(ids))


async def invoices_by_id(allowed: Collection[PracticeId], ids: Collection[UUID]) -> list[Invoice]:
    if not allowed or not ids:
        return []
    return await Invoice.filter(practice_id__in=list(allowed), id__in=list(ids))


__all__ = [
    "appointments_by_id",
    "consents_by_id",
    "events_after",
    "heads",
    "invoices_by_id",
    "patients_by_id",
]

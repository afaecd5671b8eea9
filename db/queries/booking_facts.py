"""Tenant-scoped reads behind the booking-time rules (``services.scheduling.booking_rules``):
the patient's latest signed consultation consent of a treatment kind, and how long
practitioners' professional registrations run. The practice comes first; one statement each."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max

from db.models import ConsentFormInstance, ProfessionalRegistration
from db.tenancy import PracticeId


async def latest_consultation_signed(
    practice_id: PracticeId,
    patient_id: UUID,
    treatment_kind: str,
    connection: BaseDBAsyncClient | None = None,
) -> datetime | None:
    """When the patient last signed a CONSULTATION form for ``treatment_kind`` (SIGNED, never
    voided), or None."""
    query = ConsentFormInstance.filter(
        practice_id=practice_id,
        patient_id=patient_id,
        purpose="CONSULTATION",
        treatment_kind=treatment_kind,
        status="SIGNED",
        voided_at__isnull=True,
        signed_at__isnull=False,
    )
    found: Any = await query.using_db(connection).order_by("-signed_at").first().values("signed_at")
    return None if found is None else found["signed_at"]


async def registered_until(
    practice_id: PracticeId,
    practitioner_ids: Collection[UUID],
    connection: BaseDBAsyncClient | None = None,
) -> dict[UUID, date]:
    """The last day each practitioner holds an unrevoked registration (any body); practitioners
    with none are absent."""
    if not practitioner_ids:
        return {}
    rows: Any = (
        await ProfessionalRegistration.filter(
            practice_id=practice_id,
            practitioner_id__in=list(practitioner_ids),
            revoked_at__isnull=True,
        )
        .using_db(connection)
        .group_by("practitioner_id")
        .annotate(until=Max("expires_on"))
        .values("practitioner_id", "until")
    )
    return {UUID(str(r["practitioner_id"])): _day(r["until"]) for r in rows}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

"""What the retention run reads: the policy table and, across every tenant, the practices and
patients to check. The run is an operator's job over all practices, so these take no tenant."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Q

from db.models import Patient, PatientStatus, Practice, RetentionPolicy


async def add_missing_policies(rows: Sequence[RetentionPolicy]) -> None:
    """Inserts the rows whose (jurisdiction, class) is absent; never overwrites an edited one."""
    await RetentionPolicy.bulk_create(list(rows), ignore_conflicts=True)


async def policies() -> list[RetentionPolicy]:
    return await RetentionPolicy.all()


async def every_practice() -> list[Practice]:
    return await Practice.all()


async def patients_to_check() -> list[Patient]:
    """Every record that is not a merged stub, in id order."""
    return await Patient.filter(~Q(status=PatientStatus.MERGED.value)).order_by("id")

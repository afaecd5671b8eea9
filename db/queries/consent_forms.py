"""Tenant-scoped reads of consent form templates and the instances patients sign. The allowed
practices come first; a row of another practice answers like a missing one (None)."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import ConsentFormInstance, ConsentFormTemplate, InjectableTreatment, Membership
from db.tenancy import PracticeId


async def template(
    allowed: Collection[PracticeId],
    template_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
) -> ConsentFormTemplate | None:
    """One template version by its own id."""
    if not allowed:
        return None
    query = ConsentFormTemplate.filter(id=template_id, practice_id__in=list(allowed))
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def latest_version(
    practice_id: PracticeId,
    form_key: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> ConsentFormTemplate | None:
    """The newest version of one form (superseded or not)."""
    query = ConsentFormTemplate.filter(practice_id=practice_id, form_key=form_key).order_by(
        "-version"
    )
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def form_key_of(
    allowed: Collection[PracticeId], key_or_id: UUID
) -> ConsentFormTemplate | None:
    """Any version whose form key or own id is ``key_or_id`` (the newest when by key)."""
    if not allowed:
        return None
    by_id = await ConsentFormTemplate.filter(id=key_or_id, practice_id__in=list(allowed)).first()
    if by_id is not None:
        return by_id
    return (
        await ConsentFormTemplate.filter(form_key=key_or_id, practice_id__in=list(allowed))
        .order_by("-version")
        .first()
    )


async def templates_of(practice_id: PracticeId) -> list[ConsentFormTemplate]:
    """Every version of every form of a practice, by title then version."""
    return await ConsentFormTemplate.filter(practice_id=practice_id).order_by(
        "title", "form_key", "version"
    )


async def templates_by_id(
    practice_ids: Collection[PracticeId], ids: Collection[UUID]
) -> dict[str, ConsentFormTemplate]:
    if not practice_ids or not ids:
        return {}
    rows = await ConsentFormTemplate.filter(practice_id__in=list(practice_ids), id__in=list(ids))
    return {str(r.id): r for r in rows}


async def instance(
    allowed: Collection[PracticeId],
    instance_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> ConsentFormInstance | None:
    if not allowed:
        return None
    query = ConsentFormInstance.filter(id=instance_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def instances_of_patient(
    practice_id: PracticeId, patient_id: UUID
) -> list[ConsentFormInstance]:
    """A patient's forms, newest first."""
    return await ConsentFormInstance.filter(
        practice_id=practice_id, patient_id=patient_id
    ).order_by("-created_at", "-id")


async def treatment_is_patients(
    practice_id: PracticeId, patient_id: UUID, treatment_id: UUID
) -> bool:
    """Whether the injectable treatment record is this patient's (a form may name it)."""
    return await InjectableTreatment.exists(
        id=treatment_id, patient_id=patient_id, practice_id=practice_id
    )


async def staff_in(practice_id: PracticeId, user_id: UUID, roles: Collection[str]) -> bool:
    """Whether a witness holds one of the staff ``roles`` in the practice."""
    return await Membership.exists(user_id=user_id, practice_id=practice_id, role__in=sorted(roles))


async def move_to_patient(practice_id: PracticeId, from_patient: UUID, to_patient: UUID) -> int:
    """A merged duplicate's forms go to the survivor (the signed hash names no patient id)."""
    return await ConsentFormInstance.filter(
        practice_id=practice_id, patient_id=from_patient
    ).update(patient_id=to_patient)

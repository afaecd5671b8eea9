"""Tenant-scoped reads and changes of guardian links (who holds parental responsibility for a
minor). The practice comes first; both patients of a link belong to it."""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import GuardianLink
from db.tenancy import PracticeId


async def link(practice_id: PracticeId, patient_id: UUID, guardian_id: UUID) -> GuardianLink | None:
    return await GuardianLink.get_or_none(
        patient_id=patient_id, guardian_id=guardian_id, practice_id=practice_id
    )


async def responsible_link(
    practice_id: PracticeId, patient_id: UUID, guardian_id: UUID
) -> GuardianLink | None:
    """The link only while it carries parental responsibility (what portal access rides on)."""
    return await GuardianLink.get_or_none(
        patient_id=patient_id,
        guardian_id=guardian_id,
        parental_responsibility=True,
        practice_id=practice_id,
    )


async def unlink(practice_id: PracticeId, patient_id: UUID, guardian_id: UUID) -> int:
    """How many links went (0: there was none)."""
    return await GuardianLink.filter(
        patient_id=patient_id, guardian_id=guardian_id, practice_id=practice_id
    ).delete()


async def drop_as_guardian(
    practice_id: PracticeId, guardian_id: UUID, connection: BaseDBAsyncClient
) -> int:
    """An anonymised patient is nobody's guardian any more."""
    return (
        await GuardianLink.filter(guardian_id=guardian_id, practice_id=practice_id)
        .using_db(connection)
        .delete()
    )


async def links_touching(practice_id: PracticeId, patient_id: UUID) -> list[GuardianLink]:
    """Links naming the patient as the minor, then those naming them as the guardian."""
    as_minor = await GuardianLink.filter(patient_id=patient_id, practice_id=practice_id)
    as_guardian = await GuardianLink.filter(guardian_id=patient_id, practice_id=practice_id)
    return as_minor + as_guardian


async def relink(
    practice_id: PracticeId, link_id: UUID, *, minor: UUID | str, guardian: UUID | str
) -> None:
    await GuardianLink.filter(id=link_id, practice_id=practice_id).update(
        patient_id=minor, guardian_id=guardian
    )

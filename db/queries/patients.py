"""Tenant-scoped reads of patients and their record parts. The allowed practices come first.

Search matches plaintext names, date of birth and patient number, or the blind indexes of
encrypted identifiers; it never decrypts. Order is (rank, search_name, id): stable and
keyset-pageable; name words are ranked by ``db.queries.patient_search``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import GuardianLink, MedicalHistory, Patient, PatientInsurance, PatientStatus
from db.queries import patient_search
from db.tenancy import PracticeId


@dataclass(frozen=True, slots=True)
class PatientFilter:
    """Criteria are ANDed; ``identifier_indexes`` are ORed (a number may be NHS or mobile)."""

    name_tokens: tuple[str, ...] = ()
    date_of_birth: date | None = None
    patient_number: int | None = None
    email_index: str | None = None
    identifier_indexes: dict[str, str] = field(default_factory=dict)
    only_ids: frozenset[UUID] | None = None  # patient principals: their own records
    include_merged: bool = False


async def patient(allowed: Collection[PracticeId], patient_id: UUID) -> Patient | None:
    if not allowed:
        return None
    return await Patient.get_or_none(id=patient_id, practice_id__in=list(allowed))


async def patients_by_ids(allowed: Collection[PracticeId], ids: Collection[UUID]) -> list[Patient]:
    if not allowed or not ids:
        return []
    return await Patient.filter(id__in=list(ids), practice_id__in=list(allowed))


def _criteria(practice_id: PracticeId, where: PatientFilter) -> Q:
    """Every criterion but the name words, which ``patient_search.arms`` turns into slices."""
    q = Q(practice_id=practice_id)
    if not where.include_merged:
        q &= ~Q(status=PatientStatus.MERGED.value)
    if where.date_of_birth is not None:
        q &= Q(date_of_birth=where.date_of_birth)
    if where.patient_number is not None:
        q &= Q(patient_number=where.patient_number)
    if where.email_index is not None:
        q &= Q(email_index=where.email_index)
    if where.identifier_indexes:
        any_of = [Q(**{column: value}) for column, value in where.identifier_indexes.items()]
        q &= Q(*any_of, join_type=Q.OR)
    if where.only_ids is not None:
        q &= Q(id__in=list(where.only_ids))
    return q


def search_arms(practice_id: PracticeId, where: PatientFilter) -> list[patient_search.Arm]:
    """The ranked slices of a search, unpaged (for ``search`` and for plan checks)."""
    return patient_search.arms(Patient.filter(_criteria(practice_id, where)), where.name_tokens)


def several_words_statement(
    practice_id: PracticeId, where: PatientFilter, *, after: tuple[str, UUID] | None, limit: int
) -> tuple[str, list[Any]]:
    """The one statement for the ids of a several-word page (for ``search`` and plan checks)."""
    start = patient_search.arm_of(after[0], where.name_tokens) if after is not None else 0
    base = Patient.filter(_criteria(practice_id, where))
    return patient_search.several_words(base, where.name_tokens, start, after, limit)


async def search(
    allowed: Collection[PracticeId],
    practice_id: PracticeId,
    where: PatientFilter,
    *,
    after: tuple[str, UUID] | None,
    limit: int,
) -> list[Patient]:
    """Up to ``limit`` patients in rank order after the keyset position ``after`` (search_name,
    id): for one name word, one statement per arm read from the cursor's arm on until the page is
    full; for several, one statement for the ids of every arm and one for the rows; otherwise
    one statement."""
    if practice_id not in allowed:
        return []
    if len(where.name_tokens) > 1:
        # Several words: an arm may pass over many index entries to find its rows, so every arm
        # reads ids (an index-only scan: a miss costs an index tuple, not a heap fetch), all in
        # one statement, and one more statement reads the rows.
        sql, values = several_words_statement(practice_id, where, after=after, limit=limit)
        _, ranked = await Patient._meta.db.execute_query(sql, values)
        ids = [UUID(str(row["id"])) for row in ranked]
        if not ids:
            return []
        rows = {row.id: row for row in await Patient.filter(id__in=ids)}
        return [rows[i] for i in ids if i in rows]
    arms = search_arms(practice_id, where)
    start = patient_search.arm_of(after[0], where.name_tokens) if after is not None else 0
    if not where.name_tokens:
        query = arms[0].after(after) if after is not None else arms[0].query
        return await query.limit(limit)
    # One word: an arm filters nothing but the status, so it reads whole rows, and the first
    # arm (tiers 0 and 1, one slice) usually fills the page alone.
    found: list[Patient] = []
    for index in range(start, len(arms)):
        arm = arms[index]
        query = arm.after(after) if index == start and after is not None else arm.query
        found += await query.limit(limit - len(found))
        if len(found) >= limit:
            break
    return found


async def position(
    allowed: Collection[PracticeId], practice_id: PracticeId, patient_id: UUID
) -> tuple[str, UUID] | None:
    """The keyset position of a cursor's patient, if it is in the practice."""
    if practice_id not in allowed:
        return None
    rows = await Patient.filter(id=patient_id, practice_id=practice_id).values_list(
        "search_name", flat=True
    )
    return (str(rows[0]), patient_id) if rows else None


async def next_patient_number(practice_id: UUID) -> int:
    latest = await Patient.filter(practice_id=practice_id).order_by("-patient_number").first()
    return 1 if latest is None else latest.patient_number + 1


async def nhs_number_holder(practice_id: UUID, index: str, *, exclude: UUID | None) -> UUID | None:
    query = Patient.filter(practice_id=practice_id, nhs_number_index=index).exclude(
        status=PatientStatus.MERGED.value
    )
    if exclude is not None:
        query = query.exclude(id=exclude)
    return await query.first().values_list("id", flat=True)  # type: ignore[return-value]


async def latest_histories(patient_ids: Collection[UUID]) -> dict[UUID, MedicalHistory]:
    """The newest version per patient; callers pass ids they already resolved in scope."""
    latest: dict[UUID, MedicalHistory] = {}
    if not patient_ids:
        return latest
    rows = await MedicalHistory.filter(patient_id__in=list(patient_ids)).order_by(
        "patient_id", "-version"
    )
    for row in rows:
        latest.setdefault(row.patient_id, row)  # type: ignore[arg-type]
    return latest


async def histories(patient_id: UUID, *, limit: int) -> list[MedicalHistory]:
    return await MedicalHistory.filter(patient_id=patient_id).order_by("-version").limit(limit)


async def insurance_for(patient_ids: Collection[UUID]) -> dict[UUID, PatientInsurance]:
    rows = await PatientInsurance.filter(patient_id__in=list(patient_ids))
    return {row.patient_id: row for row in rows}  # type: ignore[misc]


async def guardian_links_for(patient_ids: Collection[UUID]) -> dict[UUID, list[GuardianLink]]:
    links: dict[UUID, list[GuardianLink]] = {pid: [] for pid in patient_ids}
    rows = await GuardianLink.filter(patient_id__in=list(patient_ids)).order_by("created_at", "id")
    for row in rows:
        links[row.patient_id].append(row)  # type: ignore[index]
    return links


async def locked(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> Patient:
    """The patient row, locked until the caller's unit of work ends (FOR UPDATE on PostgreSQL;
    SQLite's write transaction already holds the database)."""
    return await (
        Patient.select_for_update().using_db(connection).get(id=patient_id, practice_id=practice_id)
    )


async def histories_of(
    practice_id: PracticeId, patient_ids: Collection[UUID]
) -> list[MedicalHistory]:
    """Every version of the given patients' histories (a merge re-numbers them together)."""
    return await MedicalHistory.filter(patient_id__in=list(patient_ids), practice_id=practice_id)


async def set_history_version(
    practice_id: PracticeId, history_id: UUID, version: int, *, patient_id: UUID | None = None
) -> None:
    """Re-number one version (and move it to ``patient_id`` when given)."""
    changes: dict[str, object] = {"version": version}
    if patient_id is not None:
        changes["patient_id"] = patient_id
    await MedicalHistory.filter(id=history_id, practice_id=practice_id).update(**changes)


async def practices_of(
    allowed: Collection[PracticeId], patient_ids: Collection[UUID]
) -> list[tuple[Any, Any]]:
    """(patient, practice) of those of ``patient_ids`` in the allowed practices."""
    return list(
        await Patient.filter(id__in=list(patient_ids), practice_id__in=list(allowed)).values_list(
            "id", "practice_id"
        )
    )


async def exists(practice_id: PracticeId, patient_id: UUID) -> bool:
    return await Patient.exists(id=patient_id, practice_id=practice_id)


async def responsible_guardians(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> list[Any]:
    """Guardian records of the patient linked with parental responsibility."""
    return list(
        await GuardianLink.filter(
            practice_id=practice_id, patient_id=patient_id, parental_responsibility=True
        )
        .using_db(connection)
        .values_list("guardian_id", flat=True)
    )

"""The diary filters reports share: practitioners, rooms, appointment types (ids; at most
``MAX_IDS`` of each). An id of another practice or organisation simply matches nothing: the
report counts only rows of the practices the caller reaches, so a foreign id cannot widen it."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from db.queries.report_diary import DiaryFilter
from services.errors import ValidationFailed

__all__ = ["MAX_IDS", "DiaryFilter", "details_of", "diary_filter"]

MAX_IDS = 100


def diary_filter(
    practitioner_ids: Sequence[UUID] = (),
    room_ids: Sequence[UUID] = (),
    appointment_type_ids: Sequence[UUID] = (),
) -> DiaryFilter:
    for name, ids in (
        ("practitionerIds", practitioner_ids),
        ("roomIds", room_ids),
        ("appointmentTypeIds", appointment_type_ids),
    ):
        if len(ids) > MAX_IDS:
            raise ValidationFailed(f"At most {MAX_IDS} ids.", field=f"filters.{name}")
    return DiaryFilter(
        tuple(dict.fromkeys(practitioner_ids)),
        tuple(dict.fromkeys(room_ids)),
        tuple(dict.fromkeys(appointment_type_ids)),
    )


def details_of(found: DiaryFilter) -> tuple[str, ...]:
    """The filters as audit details (ids only)."""
    out = []
    for name, ids in (
        ("practitionerIds", found.practitioner_ids),
        ("roomIds", found.room_ids),
        ("appointmentTypeIds", found.appointment_type_ids),
    ):
        if ids:
            out.append(f"{name}={','.join(str(i) for i in ids)}")
    return tuple(out)

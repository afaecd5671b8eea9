"""The ``changes`` sync feed as the graph shows it: entries, tombstones and cursors.

Objects are the existing types (``Patient``, ``Appointment``, ``Consent``, ``Invoice``) with
their own field permissions; the feed adds only what a sync client needs to apply a change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from db.models import Appointment as AppointmentModel
from db.models import ConsentRecord
from db.models import Patient as PatientModel
from graph.audit_extension import ReadRecord
from graph.schema.consent import Consent
from graph.schema.invoices import Invoice
from graph.schema.patients import Patient
from graph.schema.scheduling import Appointment
from services.changes import feed
from services.changes.kinds import ChangeKind, Operation

ChangeTypeEnum = strawberry.enum(
    ChangeKind,
    name="ChangeType",
    description="What kind of object changed, and the scope its entries need: PATIENT and "
    "CONSENT patient:read, APPOINTMENT schedule:read, INVOICE billing:read (in the object's "
    "practice).",
)
ChangeOperationEnum = strawberry.enum(
    Operation,
    name="ChangeOperation",
    description="CREATED and UPDATED: upsert the object (it is its current state); DELETED: a "
    "tombstone, remove your copy (the object is gone, or its patient's record was erased).",
)

ChangeObject = Annotated[
    Patient | Appointment | Consent | Invoice,
    strawberry.union(
        "ChangeObject", description="The current state of a changed object (see ChangeType)."
    ),
]


def _object(item: feed.ChangeObject | None) -> Patient | Appointment | Consent | Invoice | None:
    if item is None:
        return None
    if isinstance(item, PatientModel):
        return Patient.from_model(item)
    if isinstance(item, AppointmentModel):
        return Appointment.from_model(item)
    if isinstance(item, ConsentRecord):
        return Consent.from_model(item)
    return Invoice.from_view(item)


@strawberry.type(description="One change of a synced object, in log order within its practice.")
class Change:
    cursor: str = strawberry.field(
        description="Resume right after this entry (pass it as `since`); opaque and signed."
    )
    type: ChangeTypeEnum = strawberry.field(description="What kind of object changed.")  # type: ignore[valid-type]
    object_id: strawberry.ID = strawberry.field(description="The changed object's id.")
    operation: ChangeOperationEnum = strawberry.field(  # type: ignore[valid-type]
        description="CREATED, UPDATED, or DELETED (a tombstone: `object` is null)."
    )
    occurred_at: datetime = strawberry.field(description="When the change was made.")
    practice: strawberry.ID = strawberry.field(
        name="practiceId", description="The practice the object belongs to."
    )
    patient: strawberry.ID | None = strawberry.field(
        name="patientId", description="The patient the object is about."
    )
    object: ChangeObject | None = strawberry.field(
        description="The object as it is now; null for a tombstone (DELETED)."
    )
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID | None]

    @classmethod
    def from_change(cls, change: feed.Change) -> Change:
        return cls(
            cursor=change.cursor,
            type=change.kind,
            object_id=strawberry.ID(str(change.object_id)),
            operation=change.operation,
            occurred_at=change.occurred_at,
            practice=strawberry.ID(str(change.practice_id)),
            patient=None if change.patient_id is None else strawberry.ID(str(change.patient_id)),
            object=_object(change.object),
            practice_id=change.practice_id,
            patient_id=change.patient_id,
        )


@strawberry.type(description="A page of the change log after a cursor.")
class ChangeFeed:
    entries: list[Change] = strawberry.field(
        description="The changes, oldest first within each practice; may be fewer than asked "
        "(changes you may not see still move the cursor)."
    )
    end_cursor: str = strawberry.field(
        description="Store it and pass it as `since` next time: everything up to here is done."
    )
    has_more: bool = strawberry.field(
        description="More changes are already waiting: ask again with `endCursor` now."
    )
    shown: strawberry.Private[tuple[UUID, ...]]

    def read_record(self) -> ReadRecord:
        return ReadRecord("ChangeFeed", f"{len(self.entries)} changes", None, None, self.shown)

    @classmethod
    def from_page(cls, page: feed.ChangePage) -> ChangeFeed:
        return cls(
            entries=[Change.from_change(c) for c in page.entries],
            end_cursor=page.end_cursor,
            has_more=page.has_more,
            shown=tuple(feed.patients_shown(page)),
        )


__all__ = ["Change", "ChangeFeed", "ChangeObject", "ChangeOperationEnum", "ChangeTypeEnum"]

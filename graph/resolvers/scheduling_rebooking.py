"""The list reception rebooks from: live bookings outside bookable time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.scheduling_rebooking import StrandedAppointment
from services.policy import Scope
from services.scheduling import rebooking

PracticeArgument = Annotated[
    strawberry.ID, strawberry.argument(description="The practice whose diary to check.")
]
FromArgument = Annotated[
    datetime,
    strawberry.argument(name="from", description="Start of the span, ISO 8601 with offset."),
]
ToArgument = Annotated[
    datetime,
    strawberry.argument(
        description="End of the span (exclusive, at most 31 days after from), ISO 8601 with offset."
    ),
]
FIELDS = ["strandedAppointments", "patient.firstName", "patient.lastName"]


@strawberry.type
class RebookingQueries:
    @strawberry.field(
        description="Live bookings overlapping [from, to) that have not finished and lie outside "
        "bookable time (under an absence or closure, outside the practitioner's sessions or the "
        "practice's opening hours), by start, each with why: what reception must rebook.",
        extensions=[*requires(Scope.SCHEDULE_READ), AuditReads(FIELDS)],
    )
    async def stranded_appointments(
        self, info: Info, practice_id: PracticeArgument, from_: FromArgument, to: ToArgument
    ) -> list[StrandedAppointment] | None:
        found = await rebooking.stranded(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            start=from_,
            end=to,
        )
        return [StrandedAppointment.from_stray(stray) for stray in found.rows]

"""The diary's closed vocabularies as GraphQL enums (values live in services.scheduling.kinds)."""

from __future__ import annotations

import strawberry

from services.scheduling import kinds

ResourceKind = strawberry.enum(
    kinds.ResourceKind, name="ResourceKind", description="What an extra resource is."
)
PractitionerRole = strawberry.enum(
    kinds.PractitionerRole,
    name="PractitionerRole",
    description="A practitioner's clinical role in a practice.",
)
AbsenceKind = strawberry.enum(
    kinds.AbsenceKind, name="AbsenceKind", description="Why a practitioner is away."
)
RecallKind = strawberry.enum(
    kinds.RecallKind, name="RecallKind", description="Which routine visit a recall is about."
)

__all__ = ["AbsenceKind", "PractitionerRole", "RecallKind", "ResourceKind"]

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
CancellationReason = strawberry.enum(
    kinds.CancelCode,
    name="CancellationReason",
    description="Why an appointment was cancelled (the coded reason reports count; whether "
    "the notice was short is lateCancellation).",
)
RecallKind = strawberry.enum(
    kinds.RecallKind, name="RecallKind", description="Which routine visit a recall is about."
)

AestheticKind = strawberry.enum(
    kinds.AestheticKind,
    name="AestheticKind",
    description="Which aesthetic treatment: toxin, filler, skin booster or other.",
)
RegistrationBody = strawberry.enum(
    kinds.RegistrationBody,
    name="RegistrationBody",
    description="A professional regulator: GMC, NMC, GDC or GPHC (General Pharmaceutical Council).",
)

__all__ = [
    "AbsenceKind",
    "AestheticKind",
    "CancellationReason",
    "PractitionerRole",
    "RecallKind",
    "RegistrationBody",
    "ResourceKind",
]

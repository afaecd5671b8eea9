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
CallRequestReason = strawberry.enum(
    kinds.CallReason,
    name="CallRequestReason",
    description="Why the patient asked for a call: DECLINED (replied NO to the reminder), "
    "UNCLEAR (replied something that is neither YES nor NO) or NOT_CONFIRMABLE (replied YES, "
    "but the appointment could no longer be confirmed: cancelled, moved on). The reply's own "
    "text is in sentMessages, for those who may read messages.",
)
_REASONS = {r.value: r for r in kinds.CallReason}

NEEDS_CALL = (
    "The patient asked for a call: their SMS reply to the reminder was not a usable YES (why: "
    "`callReason`; the reply's text is in sentMessages, for those who may read messages). It "
    "stays until someone deals with it: resolveCallRequest after the call, or any change to the "
    "appointment itself (a status change, e.g. confirming it or the patient arriving; a "
    "reschedule; a cancellation). Each is an event on scheduleChanged "
    "(APPOINTMENT_CALL_REQUESTED, APPOINTMENT_CALL_RESOLVED or the change's own kind)."
)
CALL_REQUESTED_AT = (
    "When the reply asking for a call arrived (the latest, if several); null unless needsCall."
)
CALL_REASON = "Why the patient should be called; null unless needsCall."


def call_reason(code: str | None) -> kinds.CallReason | None:
    """The stored code as the enum (the board maps many rows: a dict, not a constructor)."""
    return None if code is None else _REASONS[code]


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
    "CALL_REASON",
    "CALL_REQUESTED_AT",
    "NEEDS_CALL",
    "AbsenceKind",
    "AestheticKind",
    "CallRequestReason",
    "CancellationReason",
    "PractitionerRole",
    "RecallKind",
    "RegistrationBody",
    "ResourceKind",
    "call_reason",
]

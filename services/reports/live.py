"""Which dashboard figures a committed change may have moved, for ``dashboardChanged``.

A dashboard draws the report queries; rather than poll them it listens for a thin signal naming
the areas to refetch. The signal is derived from the domain events the changes already commit
(topic and type only: no patient, no amount), so it can never say more than "something in the
diary moved at 10:42". Which events matter:

- DIARY: an appointment booked, moved, cancelled or changing status, and a change to the diary's
  set-up (sessions, absences, closures: the available minutes of utilisation);
- RECALLS: a recall set, moved on by a visit or removed; also every appointment change (a
  booking may convert a recall, a completed exam moves one on);
- MONEY: payments, refunds, deposits, credit allocations, invoices, cash counts, memberships;
- PLANS: a treatment plan proposed, accepted or completed (acceptance rate and value);
- NHS: an NHS course opened, banded or closed.

Anything else (a notice, a slot hold, a fee schedule, a chart entry) moves no figure.
"""

from __future__ import annotations

from enum import StrEnum

from realtime.envelopes import BILLING, CLINICAL, RECALL, SCHEDULE


class Area(StrEnum):
    DIARY = "DIARY"
    MONEY = "MONEY"
    RECALLS = "RECALLS"
    PLANS = "PLANS"
    NHS = "NHS"


TOPICS = (SCHEDULE, BILLING, CLINICAL, RECALL)  # what a dashboard's feed listens to
_NONE: frozenset[Area] = frozenset()
_DIARY = frozenset({Area.DIARY, Area.RECALLS})
_BILLING_EXCEPT = {
    "FEE_SCHEDULE_CHANGED": _NONE,  # prices of future work: no figure moves
    "NHS_COURSE_CHANGED": frozenset({Area.NHS}),
}


def areas_of(topic: str, kind: str) -> frozenset[Area]:
    """The areas an event of ``topic`` and type ``kind`` may have moved (empty: none)."""
    if topic == SCHEDULE:
        if kind.startswith("appointment."):
            return _DIARY
        return frozenset({Area.DIARY}) if kind == "setup.changed" else _NONE
    if topic == BILLING:
        return _BILLING_EXCEPT.get(kind, frozenset({Area.MONEY}))
    if topic == CLINICAL:
        return frozenset({Area.PLANS}) if kind == "TREATMENT_PLAN_CHANGED" else _NONE
    if topic == RECALL:
        return frozenset({Area.RECALLS})
    return _NONE

"""``HasScope.decision_keys``: two sources with equal keys always get the same decision.

The board's bulk completion (``graph.engine.execution``) checks one row per distinct key and
reuses the outcome for the others; a key that left out something the check reads would let one
row's decision leak to another (a patient seeing another's record, a hidden patient shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from db.tenancy import PracticeId
from graph.permissions.fields import HasScope
from services.policy import Role, Scope
from services.principal import Principal

PRACTICES = [PracticeId(UUID(int=n)) for n in (1, 2)]
PATIENTS = [UUID(int=n) for n in (10, 11, 12)]
SCOPES = [Scope.PATIENT_READ, Scope.CLINICAL_READ, Scope.SCHEDULE_READ]


@dataclass
class Row:
    practice_id: Any
    patient_id: Any
    patient_hidden: bool = False


@dataclass
class _Trail:
    denials: list[dict[str, Any]] = field(default_factory=list)

    def denied(self, **details: Any) -> None:
        self.denials.append(details)


@dataclass
class _Context:
    principal: Principal
    audit: _Trail = field(default_factory=_Trail)


@dataclass
class _Path:
    typename: str = "ScheduleAppointment"


@dataclass
class _Info:
    context: _Context
    field_name: str = "patient"
    path: _Path = field(default_factory=_Path)


principals = st.builds(
    lambda is_patient, granted, own: Principal(
        user_id=UUID(int=99),
        practice_scopes={p: frozenset(granted) for p in PRACTICES[:1]},
        patient_ids=frozenset(own) if is_patient else frozenset(),
        roles=frozenset({Role.PATIENT}) if is_patient else frozenset(),
    ),
    st.booleans(),
    st.sets(st.sampled_from(SCOPES)),
    st.sets(st.sampled_from(PATIENTS)),
)
sources = st.one_of(
    st.none(),
    st.builds(
        Row,
        st.sampled_from([*PRACTICES, None]),
        st.sampled_from([*PATIENTS, None]),
        st.booleans(),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    principal=principals,
    needed=st.lists(st.sampled_from(SCOPES), min_size=1, max_size=2, unique=True),
    rows=st.lists(sources, min_size=2, max_size=12),
)
def test_equal_keys_mean_equal_decisions(
    principal: Principal, needed: list[Scope], rows: list[Row | None]
) -> None:
    check = HasScope(*needed)
    key = check.decision_keys(_Context(principal))
    decisions: dict[object, set[bool]] = {}
    for row in rows:
        allowed = check.has_permission(row, _Info(_Context(principal)))
        decisions.setdefault(key(row), set()).add(allowed)
    assert all(len(outcomes) == 1 for outcomes in decisions.values()), decisions


def test_the_key_tells_apart_what_the_check_reads() -> None:
    # Not vacuous: rows that decide differently do get different keys.
    staff = Principal(user_id=UUID(int=1), practice_scopes={PRACTICES[0]: frozenset(SCOPES)})
    check = HasScope(Scope.PATIENT_READ)
    key = check.decision_keys(_Context(staff))
    shown, hidden = Row(PRACTICES[0], PATIENTS[0]), Row(PRACTICES[0], PATIENTS[0], True)
    other_practice = Row(PRACTICES[1], PATIENTS[0])
    assert key(shown) != key(hidden)
    assert key(shown) != key(other_practice)
    assert key(Row(PRACTICES[0], PATIENTS[0])) == key(Row(PRACTICES[0], PATIENTS[1]))

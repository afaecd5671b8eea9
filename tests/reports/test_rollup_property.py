"""Roll-ups never count another organisation: hypothesis lays out random organisations (random
numbers of practices, recalls and NHS courses each) and asks a random one's organisation admin
for the recalls and NHS activity roll-ups; each must name exactly that organisation's practices
and add up exactly that organisation's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.models import NhsCourse, Recall
from services.auth.principal_loader import principal_for_user
from services.policy import Role
from services.principal import RequestMeta
from services.reports import nhs
from services.reports import recalls as recall_report
from tests import factories

# Per organisation, per practice: (recalls due in January, NHS courses completed in January).
PRACTICE = st.tuples(st.integers(0, 3), st.integers(0, 2))
ORGANISATIONS = st.lists(st.lists(PRACTICE, min_size=1, max_size=3), min_size=2, max_size=4)


async def _lay_out(layout: list[list[tuple[int, int]]]) -> list[tuple[object, list[object]]]:
    out = []
    for practices in layout:
        org = await factories.organization()
        made = []
        for recalls, courses in practices:
            practice = await factories.practice(org)
            patient = await factories.patient(practice)
            for n in range(recalls):  # one recall of a kind per patient
                await Recall.create(
                    practice_id=practice.id,
                    patient_id=(await factories.patient(practice)).id,
                    kind="EXAM" if n % 2 else "HYGIENE",
                    interval_months=6,
                    due_on=date(2026, 1, 5 + n),
                )
            for n in range(courses):
                await NhsCourse.create(
                    practice_id=practice.id,
                    patient_id=patient.id,
                    status="COMPLETED",
                    opened_on=date(2026, 1, 2),
                    completed_on=date(2026, 1, 10 + n),
                    band="BAND_1",
                    udas_hundredths=100,
                )
            made.append(practice)
        out.append((org, made))
    return out


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(layout=ORGANISATIONS, pick=st.integers(0, 3))
async def test_a_roll_up_counts_its_own_organisation_only(
    db: str,
    monkeypatch: pytest.MonkeyPatch,
    layout: list[list[tuple[int, int]]],
    pick: int,
) -> None:
    monkeypatch.setattr(recall_report, "clock", lambda: datetime(2026, 6, 1, tzinfo=UTC))
    made = await _lay_out(layout)
    index = pick % len(made)
    org, practices = made[index]
    admin = await factories.user(Role.ORG_ADMIN, org=org)  # type: ignore[arg-type]
    principal = await principal_for_user(admin, mfa_passed=True, claims={}, meta=RequestMeta())
    asked = {
        "practice_id": None,
        "organization_id": org.id,  # type: ignore[attr-defined]
        "first_day": date(2026, 1, 1),
        "last_day": date(2026, 1, 31),
        "grouping": "MONTH",
    }
    own = {str(p.id) for p in practices}  # type: ignore[attr-defined]
    recalls = await recall_report.report(principal, **asked)  # type: ignore[arg-type]
    assert {str(s.practice.practice_id) for s in recalls.practices if s.practice} == own
    assert recalls.combined.total.counts.due == sum(r for r, _ in layout[index])
    activity = await nhs.report(principal, **asked)  # type: ignore[arg-type]
    assert {str(s.practice.practice_id) for s in activity.report.practices if s.practice} == own
    assert activity.report.combined.total.total_courses == sum(c for _, c in layout[index])

"""Each diary report costs a fixed number of SQL statements, whatever the practices, buckets or
rows: the reach (one), then one aggregate (utilisation: the set-up tables in one more)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from services.auth.principal_loader import principal_for_user
from services.policy import Role
from services.principal import RequestMeta
from services.reports import cancellation_reasons, patient_mix, utilisation, waits
from tests import factories
from tests.reports.report_support import appointment, group, local
from tests.sql_counter import count_statements

REPORTS: dict[str, tuple[Callable[..., Awaitable[Any]], int]] = {
    "utilisation": (utilisation.report, 3),
    "waits": (waits.report, 2),
    "patient_mix": (patient_mix.report, 2),
    "cancellation_reasons": (cancellation_reasons.report, 2),
}


@pytest.mark.parametrize("grouping", ["DAY", "MONTH"])
async def test_statements_per_report(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, grouping: str
) -> None:
    g = await group()
    for day in range(1, 29, 3):
        for where in (g.a, g.b):
            await appointment(where, local(2026, 2, day, 10), "COMPLETED")
            await appointment(where, local(2026, 2, day, 11), "CANCELLED")
    admin = await factories.user(Role.ORG_ADMIN, org=g.organization)
    principal = await principal_for_user(admin, mfa_passed=True, claims={}, meta=RequestMeta())
    asked = {
        "first_day": date(2026, 1, 1),
        "last_day": date(2026, 3, 31),
        "grouping": grouping,
    }
    for name, (report, most) in REPORTS.items():
        for place in (
            {"practice_id": g.a.practice.id, "organization_id": None},
            {"practice_id": None, "organization_id": g.organization.id},
        ):
            with count_statements(monkeypatch) as statements:
                found = await report(principal, **place, **asked)
            assert len(statements) == most, (name, place, list(statements))
            assert found.practices, name

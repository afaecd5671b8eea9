"""``GET /reports/{name}.csv`` over HTTP against a hand-counted diary: the rows and rates of a
practice and of a roll-up (per practice, then combined), formula cells neutralised, one audit
row per export, a streamed body, and the same refusals and codes as the GraphQL report."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import httpx
import pytest

from db.models import AuditEvent
from graph.app import create_app
from graph.settings import Settings
from services.policy import Role
from tests.reports.report_support import Group, appointment, group, local, token_for

SPRING = {"from": "2026-03-23", "to": "2026-04-05", "grouping": "WEEK"}
HEADER = [
    "practice_id",
    "practice",
    "first_day",
    "last_day",
    "appointments",
    "completed",
    "cancelled",
    "late_cancelled",
    "did_not_attend",
    "online",
    "dna_rate",
    "late_cancellation_rate",
    "online_share",
]
RANDOM = "6f1c7a38-0000-4000-8000-000000000001"


async def _diary() -> Group:
    g = await group()
    g.a.practice.name = "Harley Street"
    await g.a.practice.save()
    g.b.practice.name = '=HYPERLINK("https://evil.example","Refund")'
    await g.b.practice.save()
    a = g.a
    await appointment(a, local(2026, 3, 23, 10), "COMPLETED")
    late = {"late_cancellation": True, "source": "PORTAL"}
    await appointment(a, local(2026, 3, 25, 11), "CANCELLED", **late)
    await appointment(a, local(2026, 3, 26, 9), "DID_NOT_ATTEND")
    await appointment(a, local(2026, 3, 31, 14), "BOOKED")
    await appointment(g.b, local(2026, 3, 24, 10), "COMPLETED")
    await appointment(g.other, local(2026, 3, 24, 10), "DID_NOT_ATTEND")  # another organisation
    return g


async def _get(
    client: httpx.AsyncClient, token: str | None, params: dict[str, Any], name: str = "attendance"
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await client.get(f"/reports/{name}.csv", params=params, headers=headers)


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


async def test_a_practice_exports_one_row_per_bucket_with_its_rates(
    client: httpx.AsyncClient,
) -> None:
    g = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    response = await _get(client, token, {"practiceId": str(g.a.practice.id), **SPRING})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == (
        'attachment; filename="attendance-2026-03-23-2026-04-05-week.csv"'
    )
    assert response.text.endswith("\r\n")
    a = str(g.a.practice.id)
    assert _rows(response) == [
        HEADER,
        # 3 appointments: 1 completed, 1 cancelled late online, 1 DNA of the 2 due.
        [a, "Harley Street", "2026-03-23", "2026-03-29", *"311111", "0.5", "0.3333", "0.3333"],
        [a, "Harley Street", "2026-03-30", "2026-04-05", *"100000", "0.0", "0.0", "0.0"],
    ]


async def test_a_roll_up_exports_each_practice_then_combined_with_formulas_neutralised(
    client: httpx.AsyncClient,
) -> None:
    g = await _diary()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    response = await _get(client, token, {"organizationId": str(g.organization.id), **SPRING})
    assert response.status_code == 200, response.text
    rows = _rows(response)
    assert rows[0] == HEADER
    by_place = [(r[1], r[2], r[4], r[10]) for r in rows[1:]]
    # Each practice's buckets (practices in name order, whose order is the engine's collation)...
    assert sorted(by_place[:4]) == [
        ("'" + g.b.practice.name, "2026-03-23", "1", "0.0"),
        ("'" + g.b.practice.name, "2026-03-30", "0", ""),  # nothing due: no rate
        ("Harley Street", "2026-03-23", "3", "0.5"),
        ("Harley Street", "2026-03-30", "1", "0.0"),
    ]
    # ...then the combined buckets, rates from the sums (1 DNA of 3 due).
    assert by_place[4:] == [
        ("All practices", "2026-03-23", "4", "0.3333"),
        ("All practices", "2026-03-30", "1", "0.0"),
    ]
    assert rows[5][0] == rows[6][0] == ""
    assert str(g.other.practice.id) not in response.text
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


async def test_each_export_is_one_audit_row_naming_report_and_arguments(
    client: httpx.AsyncClient,
) -> None:
    g = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    params = {"practiceId": str(g.a.practice.id), **SPRING, "roomIds": str(g.a.room.id)}
    response = await _get(client, token, params)
    assert response.status_code == 200, response.text
    assert len(_rows(response)) == 3
    rows = await AuditEvent.filter(entity_type="Report:attendance")
    assert len(rows) == 1
    row = rows[0]
    assert row.action == "EXPORT report_csv"
    assert row.entity_id == "attendance"
    assert str(row.practice_id) == str(g.a.practice.id)
    for detail in (
        "report=attendance",
        "from=2026-03-23",
        "to=2026-04-05",
        "grouping=WEEK",
        f"roomIds={g.a.room.id}",
        f"practiceId={g.a.practice.id}",
        "format=csv",
    ):
        assert detail in row.fields_read


async def test_filters_narrow_like_the_graphql_report(client: httpx.AsyncClient) -> None:
    g = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    place = {"practiceId": str(g.a.practice.id), **SPRING}
    # Another practice's practitioner matches nothing; repeated and comma lists both work.
    other = await _get(client, token, {**place, "practitionerIds": str(g.b.dentist.id)})
    assert [r[4] for r in _rows(other)[1:]] == ["0", "0"]
    both = f"{g.b.dentist.id},{g.a.dentist.id}"
    mine = await _get(client, token, {**place, "practitionerIds": both})
    assert [r[4] for r in _rows(mine)[1:]] == ["3", "1"]


async def test_a_long_export_is_streamed_in_chunks(settings: Settings, db: str) -> None:
    """Straight to the ASGI app (an HTTP client library joins the body): the rows leave as
    several body messages, without a content-length."""
    g = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    query = f"practiceId={g.a.practice.id}&from=2025-01-01&to=2026-12-31&grouping=DAY"
    app = create_app(settings)
    sent: list[dict[str, Any]] = []
    asked = False
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # the client stays connected until the body is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/reports/attendance.csv",
        "raw_path": b"/reports/attendance.csv",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("203.0.113.7", 5555),
        "server": ("testserver", 80),
        "state": {},
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)  # type: ignore[arg-type]
    start, *bodies = sent
    assert start["status"] == 200
    assert b"content-length" not in dict(start["headers"])
    chunks = [m["body"] for m in bodies if m["body"]]
    assert len(chunks) >= 2  # 730 days: more than one chunk of rows
    text = b"".join(chunks).decode()
    assert text.count("\r\n") == 1 + 730
    assert ",2026-03-23,2026-03-23,1,1,0,0,0,0," in text


async def test_another_organisations_practice_answers_like_a_random_id(
    client: httpx.AsyncClient,
) -> None:
    g = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    foreign = await _get(client, token, {"practiceId": str(g.other.practice.id), **SPRING})
    random = await _get(client, token, {"practiceId": RANDOM, **SPRING})
    assert foreign.status_code == random.status_code == 404
    assert foreign.json() == random.json()
    assert foreign.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    org_admin = await token_for(Role.ORG_ADMIN, org=g.organization)
    other_org = await _get(
        client, org_admin, {"organizationId": str(g.other.practice.organization_id), **SPRING}
    )
    assert other_org.status_code == 404
    assert await AuditEvent.filter(entity_type="Report:attendance").count() == 0


async def test_reception_and_clinicians_are_refused(client: httpx.AsyncClient) -> None:
    g = await _diary()
    for role in (Role.RECEPTIONIST, Role.DENTIST):
        token = await token_for(role, g.a)
        refused = await _get(client, token, {"practiceId": str(g.a.practice.id), **SPRING})
        assert refused.status_code == 403, role
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "text/csv" not in refused.headers["content-type"]
    denied = await AuditEvent.filter(outcome="DENIED")
    assert len(denied) == 2
    assert denied[0].fields_read == ["GET /reports/attendance.csv", "reports:read"]
    # A practice-level role asking for the organisation's roll-up, as in GraphQL.
    admin = await token_for(Role.PRACTICE_ADMIN, g.a)
    rollup = await _get(client, admin, {"organizationId": str(g.organization.id), **SPRING})
    assert rollup.status_code == 403
    anonymous = await _get(client, None, {"practiceId": str(g.a.practice.id), **SPRING})
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-23", "to": "2026-04-05"}, "practiceId"),  # neither place
        ({"to": "2026-04-05"}, "from"),
        ({"from": "23/03/2026", "to": "2026-04-05"}, "from"),
        ({"from": "2024-01-01", "to": "2026-01-02"}, "period.to"),  # over two years
        ({"from": "2026-04-02", "to": "2026-04-01"}, "period.to"),
        ({**SPRING, "grouping": "FORTNIGHT"}, "period.grouping"),
        ({**SPRING, "practitionerIds": "not-an-id"}, "practitionerIds"),
        ({**SPRING, "practitionerId": RANDOM}, "practitionerId"),  # a typo is not ignored
    ],
)
async def test_bad_input_is_400_with_the_graphql_code(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    g = await group()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    place = {} if field == "practiceId" else {"practiceId": str(g.a.practice.id)}
    response = await _get(client, token, {**place, **params})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_both_places_and_an_unknown_report_are_refused(client: httpx.AsyncClient) -> None:
    g = await group()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    both = {"practiceId": str(g.a.practice.id), "organizationId": str(g.organization.id)}
    assert (await _get(client, token, {**both, **SPRING})).status_code == 400
    unknown = await _get(client, token, {"practiceId": str(g.a.practice.id), **SPRING}, "payroll")
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"

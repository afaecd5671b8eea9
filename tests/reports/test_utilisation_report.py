"""The utilisation report against a hand-counted diary: sessions (with and without a room, out
of their valid days), an absence and a closure cutting them, appointments across a bucket's and
the period's edge, a DNA (counts) and a cancellation (does not), rooms and practitioners, the
clock changes, filters and the organisation roll-up."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any
from uuid import UUID

import httpx

from db.models import Absence, Closure, Practitioner, WorkingSession
from services.policy import Role
from tests.factories import gql
from tests.reports.report_support import Group, appointment, group, local, token_for
from tests.scheduling_fixtures import Diary, practitioner

REPORT = """
query U($p: ID, $o: ID, $period: ReportPeriodInput!, $f: DiaryReportFilterInput) {
  utilisationReport(practiceId: $p, organizationId: $o, period: $period, filter: $f) {
    scope { name organizationId grouping }
    practices { practice { id } buckets { firstDay lastDay bookedMinutes
        practitionerAvailableMinutes practitionerUtilisation chairAvailableMinutes
        chairUtilisation
        practitioners { id name bookedMinutes availableMinutes utilisation }
        rooms { id name bookedMinutes availableMinutes utilisation } }
      total { bookedMinutes practitionerAvailableMinutes practitionerUtilisation
        chairAvailableMinutes chairUtilisation } }
    combined { practice { id } buckets { firstDay bookedMinutes practitionerAvailableMinutes }
      total { bookedMinutes practitionerAvailableMinutes practitionerUtilisation
        chairAvailableMinutes chairUtilisation } } } }"""

# Monday 9 to Wednesday 11 November 2026 (GMT: local time is UTC), one bucket a day.
DAYS = {"from": "2026-11-09", "to": "2026-11-11", "grouping": "DAY"}
MON, TUE, WED, SUN = 0, 1, 2, 6


async def sessions(who: Practitioner, *rows: tuple[int, int, int, Any, date, date | None]) -> None:
    """Replace ``who``'s sessions: (weekday, start hour, end hour, room, valid from, until)."""
    await WorkingSession.filter(practitioner_id=who.id).delete()
    for weekday, start, end, room, valid_from, valid_until in rows:
        await WorkingSession.create(
            practice_id=who.practice_id,
            practitioner_id=who.id,
            room_id=None if room is None else room.id,
            weekday=weekday,
            start_minute=start * 60,
            end_minute=end * 60,
            valid_from=valid_from,
            valid_until=valid_until,
        )


SINCE = date(2026, 1, 1)


async def _diary() -> tuple[Group, Practitioner]:
    """The answers, by hand (minutes):

    Dentist: Mon 09-13 Surgery 1, Mon 20-24 Surgery 2, Tue 00-02 Surgery 2, Tue 09-17
    Surgery 1, Wed 09-17 no room; Wed 18-20 ended on 4 Nov, Mon 14-16 starts on 12 Nov (both
    nothing). Absent Tue 12-14. Hygienist: Wed 10-16 Surgery 1. Closed Tue 16:00 to Wed 11:00.

    Available: Mon dentist 240 + 240 = 480 (S1 240, S2 240).
               Tue dentist 120 + (480 - 120 absent - 60 closed) = 420 (S1 300, S2 120).
               Wed dentist 360 (11-17, no room), hygienist 300 (11-16, S1 300).
    Booked:    Sun 23:30-Mon 00:30 S2: 30 on Monday (the half before the period is out);
               Mon 09-10 S1 60; Mon 23:00-Tue 01:00 S2: 60 Monday, 60 Tuesday;
               Tue 10:00-10:30 S1 DNA 30 (counts); Tue 11:00 cancelled (does not);
               Wed hygienist 11:00-12:30 S1 90, 14:00-14:45 S2 45 (no chair time there).
    """
    g = await group()
    a = g.a
    hygienist = await practitioner(a.practice, a.room, Role.HYGIENIST)
    s1, s2 = a.room, a.room2
    await sessions(
        a.dentist,
        (MON, 9, 13, s1, SINCE, None),
        (MON, 20, 24, s2, SINCE, None),
        (TUE, 0, 2, s2, SINCE, None),
        (TUE, 9, 17, s1, SINCE, None),
        (WED, 9, 17, None, SINCE, None),
        (WED, 18, 20, s1, SINCE, date(2026, 11, 4)),
        (MON, 14, 16, s1, date(2026, 11, 12), None),
    )
    await sessions(hygienist, (WED, 10, 16, s1, SINCE, None))
    await Absence.create(
        practice_id=a.practice.id,
        practitioner_id=a.dentist.id,
        kind="TRAINING",
        starts_at=local(2026, 11, 10, 12),
        ends_at=local(2026, 11, 10, 14),
    )
    await Closure.create(
        practice_id=a.practice.id,
        starts_at=local(2026, 11, 10, 16),
        ends_at=local(2026, 11, 11, 11),
        reason="Boiler",
    )
    await appointment(a, local(2026, 11, 8, 23, 30), "COMPLETED", 60, room_id=s2.id)
    await appointment(a, local(2026, 11, 9, 9), "COMPLETED", minutes=60)
    await appointment(a, local(2026, 11, 9, 23), "COMPLETED", minutes=120, room_id=s2.id)
    await appointment(a, local(2026, 11, 10, 10), "DID_NOT_ATTEND")
    await appointment(a, local(2026, 11, 10, 11), "CANCELLED")
    await appointment(a, local(2026, 11, 11, 11), "COMPLETED", 90, practitioner_id=hygienist.id)
    await appointment(
        a, local(2026, 11, 11, 14), "BOOKED", 45, practitioner_id=hygienist.id, room_id=s2.id
    )
    # Practice b: its dentist works every day 08-18 in no set room (600 a day); 30 booked.
    await appointment(g.b, local(2026, 11, 10, 10), "COMPLETED")
    await appointment(g.other, local(2026, 11, 10, 10), "COMPLETED")  # another organisation
    return g, hygienist


def _use(booked: float, available: float, utilisation: float | None) -> dict[str, Any]:
    return {"bookedMinutes": booked, "availableMinutes": available, "utilisation": utilisation}


def _by_id(rows: list[dict[str, Any]]) -> dict[UUID, dict[str, Any]]:
    return {UUID(r["id"]): {k: v for k, v in r.items() if k not in ("id", "name")} for r in rows}


async def test_a_practice_day_by_day(client: httpx.AsyncClient) -> None:
    g, hygienist = await _diary()
    a = g.a
    token = await token_for(Role.PRACTICE_ADMIN, a)
    result = await gql(client, REPORT, {"p": str(a.practice.id), "period": DAYS}, token=token)
    assert result.errors == [], result.errors
    (found,) = result.data["utilisationReport"]["practices"]
    mon, tue, wed = found["buckets"]
    dentist, hyg, s1, s2 = a.dentist.id, hygienist.id, a.room.id, a.room2.id

    assert (mon["firstDay"], mon["lastDay"]) == ("2026-11-09", "2026-11-09")
    assert [p["name"] for p in wed["practitioners"]] == sorted(
        [a.dentist.display_name, hygienist.display_name]
    )
    assert [r["name"] for r in mon["rooms"]] == ["Surgery 1", "Surgery 2"]
    assert _by_id(mon["practitioners"]) == {dentist: _use(150, 480, 0.3125)}
    assert _by_id(mon["rooms"]) == {s1: _use(60, 240, 0.25), s2: _use(90, 240, 0.375)}
    assert (mon["bookedMinutes"], mon["practitionerAvailableMinutes"]) == (150, 480)
    assert (mon["chairAvailableMinutes"], mon["chairUtilisation"]) == (480, 0.3125)

    assert _by_id(tue["practitioners"]) == {dentist: _use(90, 420, 0.2143)}
    assert _by_id(tue["rooms"]) == {s1: _use(30, 300, 0.1), s2: _use(60, 120, 0.5)}

    assert _by_id(wed["practitioners"]) == {
        dentist: _use(0, 360, 0.0),  # a session in no room: the practitioner's time only
        hyg: _use(135, 300, 0.45),
    }
    assert _by_id(wed["rooms"]) == {s1: _use(90, 300, 0.3), s2: _use(45, 0, None)}
    assert (wed["practitionerAvailableMinutes"], wed["practitionerUtilisation"]) == (660, 0.2045)
    assert (wed["chairAvailableMinutes"], wed["chairUtilisation"]) == (300, 0.45)

    assert found["total"] == {
        "bookedMinutes": 375,
        "practitionerAvailableMinutes": 1560,
        "practitionerUtilisation": 0.2404,  # 375 / 1560
        "chairAvailableMinutes": 1200,
        "chairUtilisation": 0.3125,  # 375 / 1200
    }


async def test_the_roll_up_is_the_sum_of_its_practices(client: httpx.AsyncClient) -> None:
    g, _ = await _diary()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    result = await gql(client, REPORT, {"o": str(g.organization.id), "period": DAYS}, token=token)
    assert result.errors == [], result.errors
    report = result.data["utilisationReport"]
    practices = {p["practice"]["id"]: p for p in report["practices"]}
    assert set(practices) == {str(g.a.practice.id), str(g.b.practice.id)}
    b = practices[str(g.b.practice.id)]["total"]
    assert (b["bookedMinutes"], b["practitionerAvailableMinutes"]) == (30, 1800)
    assert (b["chairAvailableMinutes"], b["chairUtilisation"]) == (0, None)
    combined = report["combined"]
    assert combined["practice"] is None
    days = combined["buckets"]
    assert [(x["bookedMinutes"], x["practitionerAvailableMinutes"]) for x in days] == [
        (150, 1080),
        (120, 1020),
        (135, 1260),
    ]
    totals = [p["total"] for p in report["practices"]]
    for name in ("bookedMinutes", "practitionerAvailableMinutes", "chairAvailableMinutes"):
        assert combined["total"][name] == sum(t[name] for t in totals)
    assert combined["total"]["practitionerUtilisation"] == 0.1205  # 405 / 3360
    assert combined["total"]["chairUtilisation"] == 0.3375  # 405 / 1200


async def test_filters_narrow_both_sides(client: httpx.AsyncClient) -> None:
    g, hygienist = await _diary()
    a = g.a
    token = await token_for(Role.PRACTICE_ADMIN, a)

    async def total(narrowed: dict[str, list[str]]) -> dict[str, Any]:
        variables = {"p": str(a.practice.id), "period": DAYS, "f": narrowed}
        result = await gql(client, REPORT, variables, token=token)
        assert result.errors == [], result.errors
        found: dict[str, Any] = result.data["utilisationReport"]["combined"]["total"]
        return found

    hyg = await total({"practitionerIds": [str(hygienist.id)]})
    assert (hyg["bookedMinutes"], hyg["practitionerAvailableMinutes"]) == (135, 300)
    # Surgery 2: only the sessions held there (Mon 20-24, Tue 00-02) and its appointments.
    room = await total({"roomIds": [str(a.room2.id)]})
    assert (room["bookedMinutes"], room["practitionerAvailableMinutes"]) == (195, 360)
    assert (room["chairAvailableMinutes"], room["chairUtilisation"]) == (360, 0.5417)
    # Appointment types narrow the booked side only (time is not offered per type).
    kind = await total({"appointmentTypeIds": [str(a.filler.id)]})
    assert (kind["bookedMinutes"], kind["practitionerAvailableMinutes"]) == (0, 1560)


async def _night_sessions(a: Diary) -> None:
    """Sunday 00:00-03:00 on the wall clock, in Surgery 1."""
    await sessions(a.dentist, (SUN, 0, 3, a.room, SINCE, None))


async def test_a_session_across_the_clock_change_holds_real_time(
    client: httpx.AsyncClient,
) -> None:
    """Sessions are wall-clock times: 00:00-03:00 on Sunday 25 October 2026 (clocks back at
    02:00 BST) is four real hours, on 29 March 2026 (forward at 01:00 GMT) two, otherwise
    three. Booked time is real time too: 00:30 BST + 120 minutes ends at 01:30 GMT."""
    g = await group()
    a = g.a
    await _night_sessions(a)
    # 00:30 BST is 23:30 UTC; 120 real minutes later is 01:30 GMT (laid in UTC, not wall time).
    await appointment(a, local(2026, 10, 25, 0, 30).astimezone(UTC), "COMPLETED", minutes=120)
    token = await token_for(Role.PRACTICE_ADMIN, a)
    autumn = {"from": "2026-10-19", "to": "2026-11-01", "grouping": "WEEK"}
    result = await gql(client, REPORT, {"p": str(a.practice.id), "period": autumn}, token=token)
    assert result.errors == [], result.errors
    weeks = result.data["utilisationReport"]["practices"][0]["buckets"]
    assert [(w["firstDay"], w["practitionerAvailableMinutes"]) for w in weeks] == [
        ("2026-10-19", 240),
        ("2026-10-26", 180),
    ]
    assert (weeks[0]["bookedMinutes"], weeks[0]["practitionerUtilisation"]) == (120, 0.5)
    assert weeks[0]["chairAvailableMinutes"] == 240
    spring = {"from": "2026-03-28", "to": "2026-03-29", "grouping": "DAY"}
    result = await gql(client, REPORT, {"p": str(a.practice.id), "period": spring}, token=token)
    days = result.data["utilisationReport"]["practices"][0]["buckets"]
    assert [d["practitionerAvailableMinutes"] for d in days] == [0, 120]

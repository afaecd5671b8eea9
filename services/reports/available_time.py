"""Available time per bucket: the bookable windows the diary itself offers
(``services.scheduling.availability``: weekly sessions in local wall time, narrowed by the
practice's opening hours when it has set any, minus the practitioner's absences and the
practice's closures), cut at each bucket's edges and measured in real seconds.

Sessions are wall-clock times turned into instants per local day, so on the night the clocks go
back a session spanning 01:00-02:00 holds one more real hour (and one less in spring); booked
time is measured the same way, so utilisation compares like with like. A practitioner's (or
room's) time is the union of their windows: two sessions overlapping count once. A session
without a room gives its practitioner time but no chair time.

Sessions are read as they stand now (with their valid-from/until days): a session deleted
since is not history, and counts nowhere.

The answer is a pure function of the set-up rows, the buckets and the zone, and those change
seldom (a new session, an absence) while dashboards re-ask the same period after every
booking: each process keeps the last few hundred answers keyed by their full inputs (the rows'
values, not their ids or a version), so a changed session is a different key, never a stale
answer. Turning a year of sessions into windows costs an organisation roll-up by week ~145 ms
of CPU; a repeat costs the key (~2 ms).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from db.queries.report_utilisation import SetUpRows
from services.reports.periods import Bucket
from services.scheduling import availability

Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Available:
    """Seconds by (bucket index, practitioner) and by (bucket index, room). Shared between
    callers through the memo: read, never change."""

    practitioners: Mapping[tuple[int, UUID], int]
    rooms: Mapping[tuple[int, UUID], int]


MEMO_SIZE = 256
_memo: OrderedDict[Hashable, Available] = OrderedDict()


def _key(rows: SetUpRows, cut: Sequence[Bucket], zone: ZoneInfo) -> Hashable:
    """Everything ``per_bucket`` reads, by value."""
    sessions = sorted(
        (str(s.practitioner_id), str(s.room_id), s.weekday, s.start_minute, s.end_minute,
         s.valid_from, s.valid_until)
        for s in rows.sessions
    )  # fmt: skip
    hours = sorted((h.weekday, h.open_minute, h.close_minute) for h in rows.hours)
    absent = sorted((str(who), tuple(sorted(spans))) for who, spans in rows.absent.items())
    edges = tuple((b.index, b.starts_at, b.ends_at) for b in cut)
    return (
        zone.key,
        tuple(sessions),
        tuple(hours),
        tuple(sorted(rows.closed)),
        tuple(absent),
        edges,
    )


def covered(spans: Iterable[Span]) -> int:
    """Seconds covered by the union of the spans."""
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is not None and start < reach:
            if end > reach:
                total += (end - reach).total_seconds()
                reach = end
            continue
        total += (end - start).total_seconds()
        reach = end
    return round(total)


def _cut(
    span: Span, cut: Sequence[Bucket], starts: Sequence[datetime]
) -> Iterable[tuple[int, Span]]:
    """The span's pieces inside each bucket it overlaps (a window lies within one local day,
    so usually one piece)."""
    n = max(bisect_right(starts, span[0]) - 1, 0)
    while n < len(cut) and cut[n].starts_at < span[1]:
        bucket = cut[n]
        start, end = max(span[0], bucket.starts_at), min(span[1], bucket.ends_at)
        if start < end:
            yield bucket.index, (start, end)
        n += 1


def per_bucket(rows: SetUpRows, cut: Sequence[Bucket], zone: ZoneInfo) -> Available:
    """One practice's available seconds in each of its buckets (remembered: see above)."""
    if not cut or not rows.sessions:
        return Available({}, {})
    key = _key(rows, cut, zone)
    found = _memo.get(key)
    if found is not None:
        _memo.move_to_end(key)
        return found
    found = _offered(rows, cut, zone)
    _memo[key] = found
    if len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    return found


def _offered(rows: SetUpRows, cut: Sequence[Bucket], zone: ZoneInfo) -> Available:
    found = availability.SetUp(rows.sessions, rows.hours, rows.closed, rows.absent)
    people: list[UUID] = sorted({s.practitioner_id for s in rows.sessions})  # type: ignore[misc]
    windows = availability.session_windows(
        found.sessions, found.hours, found.holes(people), cut[0].starts_at, cut[-1].ends_at, zone
    )
    starts = [b.starts_at for b in cut]
    by_person: defaultdict[tuple[int, UUID], list[Span]] = defaultdict(list)
    by_room: defaultdict[tuple[int, UUID], list[Span]] = defaultdict(list)
    for window in windows:
        for index, piece in _cut((window.starts_at, window.ends_at), cut, starts):
            by_person[(index, window.practitioner_id)].append(piece)
            if window.room_id is not None:
                by_room[(index, window.room_id)].append(piece)
    return Available(
        {key: covered(spans) for key, spans in by_person.items()},
        {key: covered(spans) for key, spans in by_room.items()},
    )

"""Each outbox event names the previous event of its stream, recorded at commit (both backends).

Schedule and consent events share the practice's gap-free sequence; ``previous_sequence`` lets a
subscriber of one stream tell the other streams' numbers from lost events. A topic's stream is
the practice's events of that topic; a per-patient stream (consent) is one patient's.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from db.models.outbox import DomainEvent, PracticeSequence
from db.outbox import PendingEvent
from db.uow import unit_of_work
from tests import factories
from tests.sql_counter import count_statements


def _event(practice: object, topic: str, patient: UUID | None = None) -> PendingEvent:
    return PendingEvent(
        organization_id=practice.organization_id,  # type: ignore[attr-defined]
        practice_id=practice.id,  # type: ignore[attr-defined]
        topic=topic,
        type=f"{topic}.test",
        patient_id=patient,
        patient_stream=patient is not None,
    )


async def _emit(*events: PendingEvent) -> list[tuple[int, int | None]]:
    async with unit_of_work() as uow:
        for event in events:
            uow.emit(event)
    return [(int(r.sequence), r.previous_sequence) for r in uow.committed_events]


async def test_each_event_links_to_the_previous_event_of_its_own_stream(db: str) -> None:
    practice = await factories.practice()
    alice, bob = uuid4(), uuid4()
    schedule = lambda: _event(practice, "schedule")  # noqa: E731
    consent = lambda patient: _event(practice, "consent", patient)  # noqa: E731

    first = await _emit(schedule(), consent(alice))
    second = await _emit(consent(bob), schedule(), consent(alice), schedule())
    third = await _emit(consent(alice))

    assert first == [(1, 0), (2, 0)]
    # One transaction, several streams: each event links inside the batch too.
    assert second == [(3, 0), (4, 1), (5, 2), (6, 4)]
    assert third == [(7, 5)]  # alice's previous consent event, not bob's (3)
    stored = await DomainEvent.filter(practice_id=practice.id).order_by("sequence")
    assert [e.previous_sequence for e in stored] == [0, 0, 0, 1, 2, 4, 5]
    # Another practice's streams are its own.
    elsewhere = await factories.practice()
    assert await _emit(_event(elsewhere, "schedule")) == [(1, 0)]


async def test_heads_missing_after_the_upgrade_are_read_from_the_table_once(db: str) -> None:
    practice = await factories.practice()
    await _emit(_event(practice, "schedule"), _event(practice, "consent", uuid4()))
    # As a database migrated to 0008 with events already recorded: no heads yet.
    await PracticeSequence.filter(practice_id=practice.id).update(stream_heads={})
    assert await _emit(_event(practice, "schedule")) == [(3, 1)]
    heads = await PracticeSequence.filter(practice_id=practice.id).values_list(
        "stream_heads", flat=True
    )
    assert heads == [{"schedule": 3}]  # only the head it needed, kept from now on


async def test_linking_a_topic_stream_costs_no_statement(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    practice = await factories.practice()
    await _emit(_event(practice, "schedule"))
    with count_statements(monkeypatch) as statements:
        assert await _emit(_event(practice, "schedule"), _event(practice, "schedule")) == [
            (2, 1),
            (3, 2),
        ]
    assert statements.matching("max(") == []
    assert len(statements.matching("domain_event")) == 1  # the insert

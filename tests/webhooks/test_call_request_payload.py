"""A patient's SMS asking for a call reaches partners as ``appointment.changed`` with
``needsCall``, ids and times only: never the reason or the words of the reply."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from db.models import DomainEvent
from services.scheduling import call_requests
from services.webhooks import events, payloads

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _event(kind: str, **payload: object) -> DomainEvent:
    return DomainEvent(
        practice_id=uuid4(),
        patient_id=uuid4(),
        entity_id=uuid4(),
        type=kind,
        occurred_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        payload={"status": "BOOKED", "starts_at": "2026-03-03T10:00:00+00:00", **payload},
    )


async def test_requested_and_resolved_are_appointment_changes_with_needs_call(db: str) -> None:
    for kind, waiting in ((call_requests.REQUESTED, True), (call_requests.RESOLVED, False)):
        webhook = events.FROM_DOMAIN[kind]
        assert webhook is events.WebhookEvent.APPOINTMENT_CHANGED
        data = payloads._data(_event(kind, needs_call=waiting, call_reason="DECLINED"), webhook)
        assert data["needsCall"] is waiting
        assert data["status"] == "BOOKED"
        assert "call_reason" not in data
        assert "callReason" not in data


async def test_an_event_from_before_call_requests_has_no_needs_call(db: str) -> None:
    webhook = events.FROM_DOMAIN["appointment.status_changed"]
    assert "needsCall" not in payloads._data(_event("appointment.status_changed"), webhook)

"""The reception board's PostgreSQL round trips: what one board request sends over the wire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from db import audit_chain
from db.models import Appointment, AuditEvent
from tests import factories
from tests.factories import gql
from tests.pg_round_trips import count_round_trips
from tests.scheduling_fixtures import diary

BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id startsAt status
      patient { firstName lastName hasMedicalAlert }
      practitioner { displayName } room { name } appointmentType { name } }
    holds { id }
  }
}"""


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_one_board_request_is_at_most_five_round_trips(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = await diary()
    base = datetime(2030, 1, 15, 8, tzinfo=UTC)
    for n in range(20):
        patient = await factories.patient(d.practice)
        await Appointment.create(
            practice_id=d.practice.id,
            patient_id=patient.id,
            practitioner_id=d.dentist.id,
            room_id=d.room.id,
            appointment_type_id=d.exam.id,
            starts_at=base + timedelta(minutes=10 * n),
            ends_at=base + timedelta(minutes=10 * n + 9),
        )
    variables = {
        "practiceId": str(d.practice.id),
        "from": "2030-01-15T00:00:00Z",
        "to": "2030-01-16T00:00:00Z",
    }
    # Warm-up: the first read opens the organization's audit chain (under the lock, once, which
    # leaves its tip known); each pooled connection prepares a statement once (left out below).
    for _ in range(2):
        assert (await gql(client, BOARD, variables, token=d.token)).errors == []
    with count_round_trips(monkeypatch) as trips:
        result = await gql(client, BOARD, variables, token=d.token)
    assert result.errors == []
    assert len(result.data["schedule"]["appointments"]) == 20
    exchanges = [statement for kind, statement in trips if kind != "PREPARE"]
    # Authentication, watermark and holds, the board's rows, the audit row with its links.
    assert len(exchanges) <= 5, exchanges
    assert trips.of_kind("SIMPLE") == []  # no BEGIN/COMMIT, no pool reset query
    assert len(trips.matching("audit_event")) >= 1
    reads = await AuditEvent.filter(actor_user_id=d.receptionist.id, action="READ query Board")
    assert len(reads) == 3
    assert (await audit_chain.verify(str(d.practice.organization_id))).ok

import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx

from db.models import Appointment
from tests import factories
from tests.factories import gql
from tests.graph.test_calendar_feeds import practitioner_feed
from tests.scheduling_fixtures import diary

ASK = 'mutation($e: String!) { requestPasswordReset(input: {email: $e}) { message } }'


async def test_measure(client: httpx.AsyncClient, backend: str) -> None:
    d = await diary()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    rows = [
        Appointment(
            practice_id=d.practice.id, patient_id=d.patient.id, practitioner_id=d.dentist.id,
            room_id=d.room.id, appointment_type_id=d.exam.id,
            starts_at=start + timedelta(hours=i), ends_at=start + timedelta(hours=i, minutes=30),
        )
        for i in range(500)
    ]
    await Appointment.bulk_create(rows)
    path = await practitioner_feed(client, d)
    times = []
    for _ in range(10):
        t = time.perf_counter(); r = await client.get(path); times.append(time.perf_counter() - t)
    etag = r.headers["etag"]
    t304 = []
    for _ in range(10):
        t = time.perf_counter(); r2 = await client.get(path, headers={"if-none-match": etag}); t304.append(time.perf_counter() - t)
    print(f"\n[{backend}] feed 500 events: {len(r.content)} bytes, median 200 {statistics.median(times)*1000:.0f} ms, median 304 {statistics.median(t304)*1000:.0f} ms")
    known, unknown = [], []
    for i in range(3):
        staff = await factories.user(factories.Role.DENTIST, d.practice) if hasattr(factories, "Role") else None
    from services.policy import Role
    for i in range(3):
        u = await factories.user(Role.DENTIST, d.practice)
        t = time.perf_counter(); a = await gql(client, ASK, {"e": u.email}); known.append(time.perf_counter() - t)
        t = time.perf_counter(); b = await gql(client, ASK, {"e": f"ghost{i}@example.test"}); unknown.append(time.perf_counter() - t)
        assert a.body == b.body
    print(f"[{backend}] reset known {[round(x*1000) for x in known]} ms, unknown {[round(x*1000) for x in unknown]} ms")

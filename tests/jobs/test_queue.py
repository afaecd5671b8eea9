"""Enqueue joins the caller's transaction; keys make enqueueing idempotent; the runner runs a
due job once and retries failures with backoff until DEAD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from db.models import JobStatus
from db.uow import unit_of_work
from services.jobs import config
from services.jobs.errors import PermanentFailure, Retry
from services.jobs.queue import enqueue
from services.jobs.runner import current_job, run_due
from tests.jobs.support import Calls, handler, rows

pytestmark = pytest.mark.usefixtures("db")


class Boom(Exception):
    pass


async def test_a_rolled_back_unit_of_work_enqueues_nothing() -> None:
    async def change_then_fail() -> None:
        async with unit_of_work():
            assert await enqueue("test.noop", {"id": "1"}, key="k1")
            raise Boom

    with pytest.raises(Boom):
        await change_then_fail()
    assert await rows("test.noop") == []
    async with unit_of_work():
        assert await enqueue("test.noop", {"id": "1"}, key="k1")
    assert [job.status for job in await rows("test.noop")] == [JobStatus.QUEUED]


async def test_an_existing_key_is_a_no_op_per_kind() -> None:
    practice = uuid4()
    assert await enqueue("test.keyed", {"n": 1}, key="same", practice_id=practice)
    assert not await enqueue("test.keyed", {"n": 2}, key="same")
    assert await enqueue("test.other", {"n": 3}, key="same")  # another kind: its own key space
    assert await enqueue("test.keyed", {"n": 4})  # no key: never deduplicated
    assert await enqueue("test.keyed", {"n": 5})
    keyed = await rows("test.keyed")
    assert [job.payload for job in keyed] == [{"n": 1}, {"n": 4}, {"n": 5}]
    assert keyed[0].practice_id == practice


async def test_payloads_must_be_json() -> None:
    with pytest.raises(ValueError, match="JSON"):
        await enqueue("test.bad", {"when": object()})
    with pytest.raises(ValueError, match="kind"):
        await enqueue("Bad Kind", {})
    assert await rows() == []


async def test_a_due_job_runs_once_and_is_done() -> None:
    calls = Calls()
    seen: list[object] = []

    async def record(payload: dict[str, object]) -> None:
        seen.append(current_job())
        await calls(payload)

    with handler("test.once", record):
        await enqueue("test.once", {"appointment": "a1"}, key="a1")
        later = datetime.now(UTC) + timedelta(hours=1)
        await enqueue("test.once", {"appointment": "a2"}, key="a2", run_at=later)
        assert await run_due() == 1
        assert await run_due() == 0  # DONE is never claimed again; a2 is not due
        assert calls.payloads == [{"appointment": "a1"}]
        context = seen[0]
        assert context is not None
        assert getattr(context, "key", None) == "a1"
        done, waiting = await rows("test.once")
        assert (done.status, done.attempts, done.finished_at is not None) == (
            JobStatus.DONE,
            1,
            True,
        )
        assert waiting.status == JobStatus.QUEUED
        assert await run_due(now=later + timedelta(seconds=1)) == 1
        assert calls.payloads[-1] == {"appointment": "a2"}


async def test_failures_back_off_then_go_dead() -> None:
    calls = Calls(
        fail_times=99, error=RuntimeError("smtp down for ann@example.com +44 7700 900123")
    )
    config.configure(config.JobsConfig(backoff_base=timedelta(seconds=10)))
    try:
        with handler("test.flaky", calls, max_attempts=3):
            await enqueue("test.flaky", {"id": "x"})
            now = datetime.now(UTC)
            assert await run_due(now=now) == 1
            (job,) = await rows("test.flaky")
            assert job.status == JobStatus.QUEUED
            assert job.attempts == 1
            assert now <= job.run_at <= now + timedelta(seconds=10)  # full jitter, capped
            assert job.last_error is not None
            assert "example.com" not in job.last_error
            assert "7700" not in job.last_error
            assert job.last_error.startswith("RuntimeError: smtp down")
            assert await run_due(now=now + timedelta(seconds=11)) == 1
            (job,) = await rows("test.flaky")
            assert job.attempts == 2
            assert job.run_at <= now + timedelta(seconds=11 + 20)
            assert await run_due(now=now + timedelta(seconds=40)) == 1
            (job,) = await rows("test.flaky")
            assert (job.status, job.attempts) == (JobStatus.DEAD, 3)
            assert await run_due(now=now + timedelta(days=1)) == 0
            assert len(calls.payloads) == 3
    finally:
        config.configure(config.JobsConfig())


async def test_permanent_failure_is_dead_at_once_and_retry_is_not_a_failure() -> None:
    async def permanent(_: dict[str, object]) -> None:
        raise PermanentFailure("appointment gone")

    later = datetime.now(UTC) + timedelta(hours=8)
    tries: list[int] = []

    async def quiet_hours(_: dict[str, object]) -> None:
        tries.append(1)
        if len(tries) < 3:
            raise Retry(after=later)

    with handler("test.permanent", permanent), handler("test.quiet", quiet_hours, max_attempts=1):
        await enqueue("test.permanent", {})
        await enqueue("test.quiet", {})
        assert await run_due() == 2
        dead = (await rows("test.permanent"))[0]
        assert (dead.status, dead.attempts) == (JobStatus.DEAD, 1)
        assert dead.last_error == "PermanentFailure: appointment gone"
        waiting = (await rows("test.quiet"))[0]
        assert (waiting.status, waiting.attempts, waiting.run_at) == (JobStatus.QUEUED, 0, later)
        assert await run_due() == 0
        assert await run_due(now=later) == 1
        assert await run_due(now=later) == 1  # max_attempts=1, yet Retry never counts
        assert (await rows("test.quiet"))[0].status == JobStatus.DONE
        assert len(tries) == 3


async def test_an_expired_lease_is_claimed_again_and_the_old_claim_cannot_finish() -> None:
    from db.queries import jobs as job_rows

    await enqueue("test.lease", {})
    now = datetime.now(UTC)
    lease = config.current().lease
    (first,) = await job_rows.claim(worker="a", now=now, lease_until=now + lease, limit=10)
    assert await job_rows.claim(worker="b", now=now, lease_until=now + lease, limit=10) == []
    after = now + lease + timedelta(seconds=1)
    (second,) = await job_rows.claim(worker="b", now=after, lease_until=after + lease, limit=10)
    assert (second.id, second.attempts) == (first.id, 2)
    assert not await job_rows.finish(first, after)  # worker a came back too late: fenced off
    assert await job_rows.finish(second, after)
    assert not await job_rows.finish(second, after)  # never DONE twice
    (job,) = await rows("test.lease")
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)


async def test_a_job_whose_last_attempt_lost_its_worker_is_dead_not_run_again() -> None:
    from db.queries import jobs as job_rows

    calls = Calls()
    with handler("test.last", calls, max_attempts=1):
        await enqueue("test.last", {})
        now = datetime.now(UTC)
        lease = config.current().lease
        await job_rows.claim(worker="gone", now=now, lease_until=now + lease, limit=1)
        assert await run_due(now=now + lease / 2) == 0  # still leased to the dead worker
        assert await run_due(now=now + lease + timedelta(seconds=1)) == 1
    (job,) = await rows("test.last")
    assert (job.status, job.attempts, job.last_error) == (
        JobStatus.DEAD,
        2,
        "lease expired on the last attempt",
    )
    assert calls.payloads == []

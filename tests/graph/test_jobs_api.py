"""The ``jobs`` admin query and ``retryJob``/``cancelJob``: who sees which jobs, what each state
allows, stable error codes, and that a refused change changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx

from db.models import AuditEvent, Job, JobStatus
from services.jobs.queue import enqueue
from services.policy import Role
from tests import factories
from tests.factories import gql

JOBS = """
query J($status: JobStatus, $kind: String, $first: Int, $after: String) {
  jobs(status: $status, kind: $kind, first: $first, after: $after) {
    edges { cursor node { id kind status attempts maxAttempts practiceId lastError } }
    pageInfo { hasNextPage endCursor }
  }
}"""
RETRY = """
mutation R($input: RetryJobInput!) { retryJob(input: $input) { job { id status attempts } } }"""
CANCEL = """
mutation C($input: CancelJobInput!) { cancelJob(input: $input) { job { id status } } }"""


async def _job(kind: str, practice_id: object, status: str = JobStatus.QUEUED) -> Job:
    await enqueue(kind, {"n": 1}, practice_id=practice_id)  # type: ignore[arg-type]
    row = await Job.filter(kind=kind).order_by("-created_at").first()
    assert row is not None
    if status != JobStatus.QUEUED:
        row.status = status
        row.attempts = 8 if status == JobStatus.DEAD else 1
        row.last_error = "RuntimeError: smtp down" if status == JobStatus.DEAD else None
        row.finished_at = datetime.now(UTC)
        await row.save()
    return row


def _ids(result: factories.GraphQLResult) -> set[str]:
    return {edge["node"]["id"] for edge in result.data["jobs"]["edges"]}


async def test_each_admin_sees_the_jobs_of_their_practices_and_the_operator_all(
    client: httpx.AsyncClient,
) -> None:
    org = await factories.organization()
    mine, sister = await factories.practice(org), await factories.practice(org)
    elsewhere = await factories.practice()
    own = await _job("test.mine", mine.id)
    sisters = await _job("test.sister", sister.id)
    foreign = await _job("test.foreign", elsewhere.id)
    platform = await _job("maintenance.expire_holds", None)

    practice_admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, mine))
    org_admin = factories.access_token(await factories.user(Role.ORG_ADMIN, org=org))
    owner = factories.access_token(await factories.user(Role.SYSTEM_OWNER))
    receptionist = factories.access_token(await factories.user(Role.RECEPTIONIST, mine))

    assert _ids(await gql(client, JOBS, token=practice_admin)) == {str(own.id)}
    assert _ids(await gql(client, JOBS, token=org_admin)) == {str(own.id), str(sisters.id)}
    assert _ids(await gql(client, JOBS, token=owner)) == {
        str(job.id) for job in (own, sisters, foreign, platform)
    }
    refused = await gql(client, JOBS, token=receptionist)
    assert refused.codes == ["FORBIDDEN"]
    assert refused.data == {"jobs": None}
    assert (await gql(client, JOBS)).codes == ["FORBIDDEN"]  # anonymous: as the schema does


async def test_filters_and_pages_are_stable(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    created = [await _job("test.paged", practice.id) for _ in range(5)]
    dead = await _job("test.paged", practice.id, JobStatus.DEAD)

    first = await gql(client, JOBS, {"kind": "test.paged", "first": 4}, token=admin)
    page = first.data["jobs"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        client,
        JOBS,
        {"kind": "test.paged", "first": 4, "after": page["pageInfo"]["endCursor"]},
        token=admin,
    )
    seen = [e["node"]["id"] for e in page["edges"] + rest.data["jobs"]["edges"]]
    assert sorted(seen) == sorted(str(j.id) for j in [*created, dead])
    assert len(seen) == len(set(seen)) == 6
    assert rest.data["jobs"]["pageInfo"]["hasNextPage"] is False

    only_dead = await gql(client, JOBS, {"status": "DEAD"}, token=admin)
    (edge,) = only_dead.data["jobs"]["edges"]
    assert edge["node"] == {
        "id": str(dead.id),
        "kind": "test.paged",
        "status": "DEAD",
        "attempts": 8,
        "maxAttempts": 8,
        "practiceId": str(practice.id),
        "lastError": "RuntimeError: smtp down",
    }
    bad = await gql(client, JOBS, {"after": "not-a-cursor"}, token=admin)
    assert bad.codes == ["BAD_USER_INPUT"]
    too_many = await gql(client, JOBS, {"first": 101}, token=admin)
    assert too_many.codes == ["BAD_USER_INPUT"]


async def test_retry_and_cancel_follow_the_states_and_are_audited(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    dead = await _job("test.dead", practice.id, JobStatus.DEAD)
    done = await _job("test.done", practice.id, JobStatus.DONE)
    queued = await _job("test.queued", practice.id)

    retried = await gql(client, RETRY, {"input": {"jobId": str(dead.id)}}, token=admin)
    assert retried.errors == []
    assert retried.data["retryJob"]["job"] == {
        "id": str(dead.id),
        "status": "QUEUED",
        "attempts": 0,
    }
    row = await Job.get(id=dead.id)
    assert row.run_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert row.finished_at is None
    assert await AuditEvent.exists(action="RETRY job", entity_id=str(dead.id))

    for mutation, name in ((RETRY, "retryJob"), (CANCEL, "cancelJob")):
        refused = await gql(client, mutation, {"input": {"jobId": str(done.id)}}, token=admin)
        assert refused.codes == ["CONFLICT"]
        assert refused.errors[0]["extensions"].get("field") == "id"
        assert refused.data == {name: None}
    assert (await Job.get(id=done.id)).status == JobStatus.DONE

    cancelled = await gql(client, CANCEL, {"input": {"jobId": str(queued.id)}}, token=admin)
    assert cancelled.data["cancelJob"]["job"] == {"id": str(queued.id), "status": "CANCELLED"}
    assert await AuditEvent.exists(action="CANCEL job", entity_id=str(queued.id))
    again = await gql(client, CANCEL, {"input": {"jobId": str(queued.id)}}, token=admin)
    assert again.codes == ["CONFLICT"]


async def test_a_foreign_job_and_a_random_id_answer_alike(client: httpx.AsyncClient) -> None:
    mine, other = await factories.practice(), await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, mine))
    foreign = await _job("test.foreign", other.id, JobStatus.DEAD)

    answers = []
    for job_id in (str(foreign.id), str(uuid4())):
        result = await gql(client, RETRY, {"input": {"jobId": job_id}}, token=admin)
        answers.append((result.codes, [e["message"] for e in result.errors]))
    assert answers[0] == answers[1]
    assert answers[0][0] == ["NOT_FOUND"]
    assert (await Job.get(id=foreign.id)).status == JobStatus.DEAD
    malformed = await gql(client, CANCEL, {"input": {"jobId": "nope"}}, token=admin)
    assert malformed.codes == ["BAD_USER_INPUT"]

"""Shared pieces of the ``changes`` feed tests: the document, a sync loop, changes made through
the real services (so the outbox holds exactly what production writes)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from db.models import Patient, Practice
from services.consent import ledger
from services.patients import records
from services.principal import Principal
from tests.factories import gql
from tests.webhooks.world import sharing

CHANGES = """
query Sync($since: String, $types: [ChangeType!], $first: Int) {
  changes(since: $since, types: $types, first: $first) {
    entries {
      cursor type objectId operation occurredAt practiceId patientId
      object {
        __typename
        ... on Patient { id lastName }
        ... on Appointment { id status }
        ... on Consent { id purpose granted }
        ... on Invoice { id invoiceStatus: status }
      }
    }
    endCursor
    hasMore
  }
}
"""


async def page(
    client: httpx.AsyncClient,
    token: str,
    *,
    since: str | None = None,
    types: list[str] | None = None,
    first: int | None = None,
) -> Any:
    variables: dict[str, Any] = {"since": since, "types": types}
    if first is not None:
        variables["first"] = first
    return await gql(client, CHANGES, variables, token=token)


async def sync(
    client: httpx.AsyncClient,
    token: str,
    *,
    since: str | None = None,
    types: list[str] | None = None,
    first: int = 100,
) -> tuple[list[dict[str, Any]], str, int]:
    """Every entry after ``since``, page by page: (entries, end cursor, pages read)."""
    entries: list[dict[str, Any]] = []
    pages = 0
    while True:
        result = await page(client, token, since=since, types=types, first=first)
        assert result.errors == [], result.errors
        feed = result.data["changes"]
        pages += 1
        entries += feed["entries"]
        since = feed["endCursor"]
        if not feed["hasMore"]:
            return entries, since, pages
        assert pages < 1000


async def new_patient(desk: Principal, practice: Practice, last_name: str) -> Patient:
    return await records.create_patient(
        desk,
        practice_id=practice.id,
        values={"first_name": "Sync", "last_name": last_name, "date_of_birth": date(1990, 1, 2)},
    )


async def rename(desk: Principal, patient: Patient, last_name: str) -> None:
    await records.update_patient(desk, patient_id=patient.id, values={"last_name": last_name})


async def share(desk: Principal, patient: Patient, client_id: str, granted: bool = True) -> None:
    await ledger.record(desk, patient_id=patient.id, decision=sharing(client_id, granted))

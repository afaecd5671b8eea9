"""Withdrawing marketing-photo consent, over a real server and WebSocket: the withdrawal reaches
a desk watching ``consentChanged`` live, and the photo has already left ``marketingPhotos``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.policy import Role
from tests import factories
from tests.graph.test_consent_api import RECORD, WITHDRAW
from tests.graph.test_consent_live import CONSENTS
from tests.graph.test_photo_series import ADD, CREATE, MARK, MARKETING, jpeg, photos_consent
from tests.realtime.harness import Client, Server, graphql


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


async def _ok(server: Server, doc: str, token: str, values: dict[str, Any]) -> dict[str, Any]:
    body = await graphql(server, doc, {"input": values}, token)
    assert "errors" not in body, body
    return dict(next(iter(body["data"].values())))


async def _gallery(server: Server, practice_id: object, token: str) -> list[str]:
    body = await graphql(server, MARKETING, {"p": str(practice_id)}, token)
    assert "errors" not in body, body
    return [e["node"]["itemId"] for e in body["data"]["marketingPhotos"]["edges"]]


async def test_withdrawn_photo_consent_is_live_and_the_photo_leaves_marketing(
    server: Server, data: None
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    async with httpx.AsyncClient(timeout=10) as http:
        uploaded = await http.post(
            f"{server.http}/documents",
            params={"patientId": str(patient.id), "kind": "EXTRAORAL_PHOTO", "title": "After"},
            content=jpeg(),
            headers={"authorization": f"Bearer {dentist}", "content-type": "image/jpeg"},
        )
    assert uploaded.status_code == 201, uploaded.text
    series = (await _ok(server, CREATE, dentist, {"patientId": str(patient.id), "area": "LIPS"}))[
        "series"
    ]
    taken = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    series = (
        await _ok(
            server,
            ADD,
            dentist,
            {
                "seriesId": series["id"],
                "documentId": uploaded.json()["id"],
                "stage": "AFTER",
                "angle": "FRONT",
                "takenAt": taken,
            },
        )
    )["series"]
    item = series["items"][0]["id"]
    granted = await graphql(server, RECORD, photos_consent(patient.id), desk)
    assert "errors" not in granted, granted
    await _ok(server, MARK, dentist, {"itemId": item})
    assert await _gallery(server, practice.id, desk) == [item]

    async with Client.connect(server, desk) as watcher:
        await watcher.send(
            {
                "id": "consents",
                "type": "subscribe",
                "payload": {
                    "query": CONSENTS,
                    "variables": {"practiceId": str(practice.id), "patientId": str(patient.id)},
                },
            }
        )
        withdrawn = await graphql(server, WITHDRAW, photos_consent(patient.id), desk)
        assert "errors" not in withdrawn, withdrawn
        # Gone from the gallery from the withdrawal's commit on, before any event is read.
        assert await _gallery(server, practice.id, desk) == []
        message = await watcher.recv(wait=8)
    assert message["type"] == "next", message
    event = message["payload"]["data"]["consentChanged"]
    assert event["kind"] == "WITHDRAWN"
    assert event["purpose"] == "PHOTOS_IN_MARKETING"
    assert event["patientId"] == str(patient.id)

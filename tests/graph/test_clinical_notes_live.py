"""Note text never reaches a live board: a receptionist's replay of everything the practice
published carries no note event and no note text, over a real WebSocket."""

from __future__ import annotations

import json

import pytest

from services.policy import Role
from tests import factories
from tests.graph.clinical_note_support import AMEND, CREATE, SIGN
from tests.realtime.harness import ANNOUNCE, Client, Server, graphql

SECRET = "Secretlivenote about 46"


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


async def test_a_receptionists_board_replay_holds_no_note(server: Server, data: None) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    created = await graphql(
        server, CREATE, {"input": {"patientId": str(patient.id), "text": SECRET}}, dentist
    )
    note_id = created["data"]["createClinicalNote"]["note"]["id"]
    signed = await graphql(server, SIGN, {"input": {"id": note_id}}, dentist)
    assert "errors" not in signed, signed
    amended = await graphql(
        server,
        AMEND,
        {"input": {"id": note_id, "text": "Secretliveamend", "reason": "Secretlivereason"}},
        dentist,
    )
    assert "errors" not in amended, amended
    notice = {"input": {"practiceId": str(practice.id), "message": "End of list"}}
    announced = await graphql(server, ANNOUNCE, notice, admin)
    marker = announced["data"]["announcePracticeNotice"]["sequence"]

    received = []
    async with Client.connect(server, desk) as watcher:
        await watcher.subscribe("board", practice.id, since=0)
        while True:
            message = await watcher.recv(wait=8)
            received.append(message)
            data_ = (message.get("payload") or {}).get("data") or {}
            if (data_.get("scheduleChanged") or {}).get("sequence") == marker:
                break

    dumped = json.dumps(received)
    for secret in ("Secretlivenote", "Secretliveamend", "Secretlivereason"):
        assert secret not in dumped
    assert "CLINICAL_NOTE" not in dumped
    assert received[-1]["payload"]["data"]["scheduleChanged"]["notice"]["message"] == "End of list"

"""Generated, live: no subscription delivers a patient to a principal who may not see them.

Every Subscription root field the schema walker finds (``visibility_world.patient_roots``) is
subscribed with every sub-field selected, by every principal kind, over a real WebSocket to a
real server on both backends. Then a restriction is placed on a patient who shared data with the
partner, and each target's booking and consents change. No message may carry a hidden target's
name or id: the partner's board shows the restricted and the non-consenting patients' bookings
as busy time, and their consent, chart, account and billing events never reach it (the partner
holds billing:read, so it hears of the sharing patient's payment). A live board event is
audited per patient shown: the patient reads, in their own portal access log, that the partner
app saw them on a live board.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.graph.test_tooth_chart import RECORD as RECORD_CHART
from tests.graph.test_visibility_matrix import LIVE, SCHEMA, document
from tests.graph.visibility_world import World, build, patient_roots, restrict_target
from tests.realtime.harness import Client, Server, graphql, orm, server_env

STATUS = """
mutation S($input: SetAppointmentStatusInput!) {
  setAppointmentStatus(input: $input) { appointment { status } }
}"""
CONSENT = """
mutation R($input: RecordConsentInput!) { recordConsent(input: $input) { consent { id } } }"""
TAKE_PAYMENT = """
mutation P($input: TakePaymentInput!) { takePayment(input: $input) { payment { id } } }"""
ACCESS_LOG = """
query L($id: ID!) {
  patient(id: $id) {
    accessLog(first: 100) { edges { node { action actorRole actorName clientName ip } } }
  }
}"""


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    var = tmp_path / "var"
    running = Server(server_env(database_url, var, AESCRM_MAX_TOKENS="100000")).start()
    try:
        async with orm(database_url, var):
            yield running
    finally:
        running.stop()


async def _drain(client: Client, into: list[dict[str, Any]], quiet: float) -> None:
    with contextlib.suppress(TimeoutError):
        while True:
            into.append(await client.recv(quiet))


async def test_live_events_never_carry_a_patient_to_whom_it_is_hidden(server: Server) -> None:
    async def run(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        body: dict[str, Any] = await graphql(server, query, variables, token)
        return body

    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        world = await build(http, run, restrict=False)
    roots = [(root, name, f) for root, name, f in patient_roots(SCHEMA) if root == "Subscription"]
    assert {name for _, name, _ in roots} == LIVE
    received: dict[str, list[dict[str, Any]]] = {kind: [] for kind in world.tokens}
    async with contextlib.AsyncExitStack() as stack:
        sockets = {
            kind: await stack.enter_async_context(Client.connect(server, token))
            for kind, token in world.tokens.items()
        }
        for socket in sockets.values():
            for _, name, f in roots:
                per_patient = "patientId" in f.args
                for target in list(world.targets) if per_patient else [""]:
                    built = document(world, "Subscription", name, f, target)
                    assert built is not None, f"{name}: the walker cannot subscribe"
                    query, variables = built
                    payload = {"query": query, "variables": variables}
                    op = f"{name}-{target}"
                    await socket.send({"id": op, "type": "subscribe", "payload": payload})
        await asyncio.sleep(1.0)  # every subscription registered before anything changes
        await restrict_target(world, run)  # after subscribing: the partner loses this patient
        admin = world.tokens[world.admin]
        for target, patient in world.targets.items():
            moved = await run(
                STATUS,
                {"input": {"appointmentId": world.appointments[target], "status": "CONFIRMED"}},
                admin,
            )
            assert "errors" not in moved, moved
            consent = {
                "patientId": str(patient.id),
                "purpose": "MARKETING_SMS",
                "policyVersion": "mkt-v1",
                "method": "RECEPTION",
            }
            recorded = await run(CONSENT, {"input": consent}, admin)
            assert "errors" not in recorded, recorded
            charted = await run(
                RECORD_CHART,
                {
                    "input": {
                        "patientId": str(patient.id),
                        "kind": "CONDITION",
                        "code": "CARIES",
                        "tooth": "36",
                        "surfaces": "O",
                        "status": "EXISTING",
                    }
                },
                world.tokens[world.clinician],
            )
            assert "errors" not in charted, charted
            paid = await run(
                TAKE_PAYMENT,
                {
                    "input": {
                        "patientId": str(patient.id),
                        "amount": {"amount": 1000, "currency": "GBP"},
                        "method": "CASH",
                    }
                },
                admin,
            )
            assert "errors" not in paid, paid
        control = received[world.admin]
        for _ in range(6):  # three board events and three consent events
            control.append(await sockets[world.admin].recv(wait=10))
        for kind, socket in sockets.items():
            await _drain(socket, received[kind], 1.5 if kind == world.admin else 0.5)
    nexts = {k: [m for m in v if m.get("type") == "next"] for k, v in received.items()}
    assert world.shown(nexts[world.admin]) == set(world.targets)  # the control saw everyone
    for kind, messages in received.items():
        assert world.leaked(kind, messages) == [], (kind, messages)
    partner = [m["payload"]["data"] for m in nexts["PARTNER"] if m["payload"].get("data")]
    board = [d["scheduleChanged"] for d in partner if "scheduleChanged" in d]
    assert len(board) == 3  # every booking still moves on the partner's board
    named = [e["appointment"]["patient"] for e in board]
    assert named[0] is not None
    assert named[1:] == [None, None]  # busy time for the hidden two
    consents = [d["consentChanged"] for d in partner if "consentChanged" in d]
    assert [c["patientId"] for c in consents] == [str(world.targets["consented"].id)]
    assert world.shown(nexts["GUARDIAN"]) == {"unconsented"}  # the child's consent event
    charts = [
        m["payload"]["data"]["clinicalChartChanged"]["patientId"]
        for m in nexts[world.clinician]
        if "clinicalChartChanged" in (m["payload"].get("data") or {})
    ]
    assert sorted(charts) == sorted(str(p.id) for p in world.targets.values())  # the control
    partner_charts = [d["clinicalChartChanged"] for d in partner if "clinicalChartChanged" in d]
    assert [c["patientId"] for c in partner_charts] == [str(world.targets["consented"].id)]
    accounts = [
        m["payload"]["data"]["accountChanged"]["patientId"]
        for m in nexts[world.admin]
        if "accountChanged" in (m["payload"].get("data") or {})
    ]
    assert sorted(accounts) == sorted(str(p.id) for p in world.targets.values())  # the control
    own = [m["payload"]["data"] for m in nexts["PATIENT_OWN"] if m["payload"].get("data")]
    assert [d["accountChanged"]["patientId"] for d in own if "accountChanged" in d] == [
        str(world.targets["consented"].id)
    ]
    # The partner app holds billing:read: the sharing patient's payment only, on both feeds.
    consented = str(world.targets["consented"].id)
    assert [d["accountChanged"]["patientId"] for d in partner if "accountChanged" in d] == [
        consented
    ]
    assert [d["billingChanged"]["patientId"] for d in partner if "billingChanged" in d] == [
        consented
    ]
    await _partner_in_access_log(server, world)


async def _partner_in_access_log(server: Server, world: World) -> None:
    """The consenting patient sees, in their own portal, the partner app seeing them live."""
    consented = str(world.targets["consented"].id)
    for _ in range(50):  # live reads are written in the background: seconds at most
        body = await graphql(server, ACCESS_LOG, {"id": consented}, world.tokens["PATIENT_OWN"])
        assert "errors" not in body, body
        rows = [e["node"] for e in body["data"]["patient"]["accessLog"]["edges"]]
        live = [r for r in rows if r["action"] == "READ subscription scheduleChanged"]
        partner = [r for r in live if r["actorRole"] == "PARTNER"]
        staff = [r for r in live if r["actorRole"] == "RECEPTIONIST"]
        if partner and staff:  # partners by app, staff by role and name
            assert all(r["clientName"].startswith("Partner app") for r in partner)
            assert all(r["actorName"].startswith("Receptionist") for r in staff)
            assert all(r["ip"] is None for r in rows)  # no staff addresses for the patient
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no live board read in the patient's access log: {rows}")

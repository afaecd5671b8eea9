"""A board read is audited per patient shown, and the three readers of the log agree.

The patient's own ``accessLog`` in the portal, their data export and a breach report all read
the same audit rows: one per patient a board showed, with the patient attached. So each names
the receptionist (by role and name) and the partner app that saw the patient on a board, and
none names a patient a board did not show: not one booked after the read, not one a partner's
board showed only as busy time (a window expanded at report time named both).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from db.models import Appointment, Membership, PartnerClient
from services.consent import breach
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.visibility_world import partner_token
from tests.scheduling_fixtures import diary
from tests.services.test_consent_ledger import as_principal

BOARD = """
query B($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id patient { lastName } }
  }
}"""
ACCESS_LOG = """
query L($id: ID!) {
  patient(id: $id) {
    accessLog(first: 100) {
      edges { node { action actorRole actorName clientName entityType ip requestId } }
    }
  }
}"""
EXPORT = """
mutation E($id: ID!) { exportPatientData(patientId: $id) { document } }"""
SHARE = """
mutation R($input: RecordConsentInput!) { recordConsent(input: $input) { consent { id } } }"""
WINDOW = {"from": "2030-01-15T00:00:00Z", "to": "2030-01-16T00:00:00Z"}


async def _book(d: Any, patient_id: object, hour: int) -> None:
    await Appointment.create(
        practice_id=d.practice.id,
        patient_id=patient_id,
        practitioner_id=d.dentist.id,
        room_id=d.room.id,
        appointment_type_id=d.exam.id,
        starts_at=datetime(2030, 1, 15, hour, tzinfo=UTC),
        ends_at=datetime(2030, 1, 15, hour, 30, tzinfo=UTC),
    )


async def test_board_views_reach_the_access_log_export_and_breach_report(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    sharing = await factories.patient(d.practice, last_name="Sharing")
    private = await factories.patient(d.practice, last_name="Private")
    await _book(d, sharing.id, 10)
    await _book(d, private.id, 11)
    partner, partner_bearer = await partner_token(client, d.practice.id, d.practice.organization_id)
    app = (await PartnerClient.get(client_id=partner.client_id)).name
    shared = await gql(
        client,
        SHARE,
        {
            "input": {
                "patientId": str(sharing.id),
                "purpose": "DATA_SHARING",
                "partnerClientId": partner.client_id,
                "policyVersion": "share-v1",
                "method": "RECEPTION",
            }
        },
        token=admin,
    )
    assert shared.errors == []
    started = datetime.now(UTC) - timedelta(minutes=1)
    variables = {"practiceId": str(d.practice.id), **WINDOW}
    desk = await gql(client, BOARD, variables, token=d.token)
    assert [a["patient"]["lastName"] for a in desk.data["schedule"]["appointments"]] == [
        "Sharing",
        "Private",
    ]
    seen_by_partner = await gql(client, BOARD, variables, token=partner_bearer)
    patients = [a["patient"] for a in seen_by_partner.data["schedule"]["appointments"]]
    assert patients == [{"lastName": "Sharing"}, None]
    late = await factories.patient(d.practice, last_name="BookedLater")
    await _book(d, late.id, 12)  # after both reads: no board showed this patient

    # The patient, in the portal: who saw them, staff by role and name, partners by app.
    portal = await factories.user(Role.PATIENT, d.practice, patient_id=sharing.id)
    own = await gql(
        client, ACCESS_LOG, {"id": str(sharing.id)}, token=factories.access_token(portal)
    )
    assert own.errors == []
    rows = [e["node"] for e in own.data["patient"]["accessLog"]["edges"]]
    boards = [r for r in rows if r["action"] == "READ query B"]
    assert {(r["actorRole"], r["actorName"], r["clientName"]) for r in boards} == {
        ("RECEPTIONIST", d.receptionist.full_name, None),
        ("PARTNER", None, app),
    }
    assert all(r["ip"] is None and r["requestId"] is None for r in rows)
    # Another patient's log is not theirs to read.
    other = await gql(
        client, ACCESS_LOG, {"id": str(private.id)}, token=factories.access_token(portal)
    )
    assert other.codes == ["NOT_FOUND"]

    # The export says the same.
    exported = await gql(client, EXPORT, {"id": str(sharing.id)}, token=admin)
    assert exported.errors == []
    log = exported.data["exportPatientData"]["document"]["access_log"]
    board_rows = [r for r in log if r["action"] == "READ query B"]
    assert {(r["role"], r["who"], r["partner_app"]) for r in board_rows} == {
        ("RECEPTIONIST", d.receptionist.full_name, None),
        ("PARTNER", None, app),
    }

    # And so does the breach report: the partner saw one patient, the desk two; nobody saw
    # the patient booked after the reads.
    handler = await as_principal(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    until = datetime.now(UTC) + timedelta(minutes=1)
    by_partner = await breach.impact(
        handler, user_id=None, client_id=partner.client_id, since=started, until=until
    )
    assert [t.patient_id for t in by_partner] == [UUID(str(sharing.id))]
    by_desk = await breach.impact(
        handler, user_id=d.receptionist.id, client_id=None, since=started, until=until
    )
    assert {t.patient_id for t in by_desk} == {UUID(str(sharing.id)), UUID(str(private.id))}
    assert all(t.reads == 1 for t in by_desk)


async def test_a_guardian_reads_the_childs_access_log_but_a_receptionist_cannot(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    child = await factories.patient(d.practice, last_name="Child")
    parent_record = await factories.patient(d.practice, last_name="Parent")
    parent = await factories.user(Role.PATIENT, d.practice, patient_id=parent_record.id)
    await Membership.create(
        user=parent, role=Role.PATIENT.value, practice=d.practice, patient_id=child.id
    )
    await _book(d, child.id, 10)
    variables = {"practiceId": str(d.practice.id), **WINDOW}
    assert (await gql(client, BOARD, variables, token=d.token)).errors == []
    mine = await gql(
        client, ACCESS_LOG, {"id": str(child.id)}, token=factories.access_token(parent)
    )
    assert mine.errors == []
    actions = [e["node"]["action"] for e in mine.data["patient"]["accessLog"]["edges"]]
    assert "READ query B" in actions
    desk = await gql(client, ACCESS_LOG, {"id": str(child.id)}, token=d.token)
    assert desk.data["patient"]["accessLog"] is None
    assert desk.codes == ["FORBIDDEN"]

"""The ``changes`` sync feed end to end: paging, cursors, scopes, consent, tombstones, pruning,
and the statements a page costs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from db.models import AuditEvent, AuditReadPatient, DomainEvent, Patient
from db.models.privacy import RequestKind
from realtime import store
from services.changes.kinds import FROM_DOMAIN
from services.consent import erasure, requests, retention
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.changes_support import new_patient, page, rename, share, sync
from tests.graph.visibility_world import partner_token
from tests.scheduling_fixtures import diary, iso
from tests.services.test_consent_ledger import as_principal
from tests.sql_counter import count_statements

LONG_AGO = datetime(2000, 1, 10, tzinfo=UTC)


async def _desk(practice: object, role: Role = Role.RECEPTIONIST) -> tuple[object, str]:
    user = await factories.user(role, practice)  # type: ignore[arg-type]
    return await as_principal(user), factories.access_token(user)


async def test_paging_returns_each_change_once_in_log_order(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    desk, token = await _desk(practice)
    patients = [await new_patient(desk, practice, f"Pager{n}") for n in range(6)]  # type: ignore[arg-type]
    await rename(desk, patients[1], "Renamed1")  # type: ignore[arg-type]
    await rename(desk, patients[4], "Renamed4")  # type: ignore[arg-type]

    paged, end, pages = await sync(client, token, first=3)
    whole, whole_end, _ = await sync(client, token)

    assert pages == 3
    assert paged == whole
    assert end == whole_end
    logged = await DomainEvent.filter(practice_id=practice.id, type__in=list(FROM_DOMAIN)).order_by(
        "sequence"
    )
    assert [(e["objectId"], e["type"]) for e in paged] == [
        (str(ev.patient_id), "PATIENT") for ev in logged
    ]
    assert [e["operation"] for e in paged] == ["CREATED"] * 6 + ["UPDATED"] * 2
    # Objects are the current state, on every entry about them.
    assert {e["object"]["lastName"] for e in paged if e["objectId"] == str(patients[1].id)} == {
        "Renamed1"
    }
    # Resuming from any entry's cursor gives exactly what followed it.
    rest, _, _ = await sync(client, token, since=paged[2]["cursor"])
    assert rest == paged[3:]

    late = await new_patient(desk, practice, "Late")  # type: ignore[arg-type]
    after, newest, _ = await sync(client, token, since=end)
    assert [(e["objectId"], e["operation"]) for e in after] == [(str(late.id), "CREATED")]
    nothing = await page(client, token, since=newest)
    assert nothing.data["changes"]["entries"] == []
    assert nothing.data["changes"]["hasMore"] is False


def _tampered(cursor: str) -> str:
    body, tag = cursor.split(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    forged = raw.replace(b",1]", b",0]") if b",1]" in raw else raw + b" "
    return base64.urlsafe_b64encode(forged).decode().rstrip("=") + "." + tag


async def test_malformed_or_forged_cursors_are_bad_user_input(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    desk, token = await _desk(practice)
    await new_patient(desk, practice, "Cursor")  # type: ignore[arg-type]
    _, cursor, _ = await sync(client, token)
    body, tag = cursor.split(".")
    bad = [
        "",
        "garbage",
        "a.b.c",
        body,  # no tag
        f"{body}.{tag[:-2]}",  # cut short
        f"{body}.{'A' * len(tag)}",  # another tag
        _tampered(cursor),  # an edited position under the old tag
        "W1tdXQ.AAAAAAAAAAAAAAAAAAAAAA",  # well-formed JSON, unsigned
        "%00'; DROP TABLE domain_event;--",
        "x" * 10_000,
    ]
    for since in bad:
        result = await page(client, token, since=since)
        assert result.codes == ["BAD_USER_INPUT"], (since, result.body)
        assert result.errors[0]["extensions"]["field"] == "since"
        assert result.data == {"changes": None}
    for first in (0, -1, 101):
        result = await page(client, token, first=first)
        assert result.codes == ["BAD_USER_INPUT"], result.body
    assert (await page(client, token, since=cursor)).errors == []


async def test_scope_tenancy_and_consent_decide_what_a_partner_hears(
    client: httpx.AsyncClient,
) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    desk, _ = await _desk(practice)
    reader, reader_scopes = await partner_token(
        client, practice.id, org.id, ("practice:read", "patient:read")
    )
    diary_app, diary_token = await partner_token(
        client, practice.id, org.id, ("practice:read", "schedule:read")
    )
    shared = await new_patient(desk, practice, "Sharer")  # type: ignore[arg-type]
    private = await new_patient(desk, practice, "Keeper")  # type: ignore[arg-type]
    await share(desk, shared, reader.client_id)  # type: ignore[arg-type]
    await share(desk, private, diary_app.client_id)  # type: ignore[arg-type]
    await rename(desk, shared, "Sharer2")  # type: ignore[arg-type]
    await rename(desk, private, "Keeper2")  # type: ignore[arg-type]
    other_org = await factories.organization()
    stranger_practice = await factories.practice(other_org)
    _, stranger = await _desk(stranger_practice, Role.PRACTICE_ADMIN)

    heard, _, _ = await sync(client, reader_scopes)
    assert {(e["type"], e["operation"]) for e in heard} == {
        ("PATIENT", "CREATED"),
        ("PATIENT", "UPDATED"),
        ("CONSENT", "CREATED"),
    }
    assert {e["patientId"] for e in heard} == {str(shared.id)}
    assert "Keeper" not in str(heard)
    assert str(private.id) not in str(heard)
    # The partner's read is audited: one row per page, naming every patient whose data it held.
    reads = await AuditEvent.filter(action="READ query Sync", entity_type="ChangeFeed")
    shown = await AuditReadPatient.filter(audit_id__in=[r.id for r in reads]).values_list(
        "patient_id", flat=True
    )
    assert {str(p) for p in shown} == {str(shared.id)}
    consents, _, _ = await sync(client, reader_scopes, types=["CONSENT"])
    assert [e["object"]["purpose"] for e in consents] == ["DATA_SHARING"]
    # schedule:read only: no patient or consent entries, even of the patient sharing with it.
    assert (await sync(client, diary_token))[0] == []
    # Another organisation's staff hear nothing of this practice.
    assert (await sync(client, stranger))[0] == []
    # A withdrawal hides everything about the patient, history included.
    await share(desk, shared, reader.client_id, granted=False)  # type: ignore[arg-type]
    assert (await sync(client, reader_scopes))[0] == []


async def _erase(admin: object, patient: Patient) -> None:
    await Patient.filter(id=patient.id).update(last_activity_at=LONG_AGO)  # retention has run out
    request = await requests.receive(
        admin,  # type: ignore[arg-type]
        patient_id=patient.id,
        kind=RequestKind.ERASURE,
        received_at=None,
    )
    await erasure.erase(admin, request_id=request.id)  # type: ignore[arg-type]


async def test_an_erased_patient_is_tombstones_only(client: httpx.AsyncClient) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    admin, staff_token = await _desk(practice, Role.PRACTICE_ADMIN)
    partner, partner_scopes = await partner_token(
        client, practice.id, org.id, ("practice:read", "patient:read")
    )
    _, never_shared = await partner_token(
        client, practice.id, org.id, ("practice:read", "patient:read")
    )
    gone = await new_patient(admin, practice, "Forgetme")  # type: ignore[arg-type]
    await share(admin, gone, partner.client_id)  # type: ignore[arg-type]
    kept = await new_patient(admin, practice, "Stays")  # type: ignore[arg-type]
    await share(admin, kept, partner.client_id)  # type: ignore[arg-type]
    before, partner_cursor, _ = await sync(client, partner_scopes)
    assert {e["patientId"] for e in before} == {str(gone.id), str(kept.id)}

    await _erase(admin, gone)

    staff_view, _, _ = await sync(client, staff_token)
    about = [e for e in staff_view if e["patientId"] == str(gone.id)]
    assert about
    assert all(e["operation"] == "DELETED" and e["object"] is None for e in about)
    assert (about[-1]["type"], about[-1]["objectId"]) == ("PATIENT", str(gone.id))
    assert "Forgetme" not in str(staff_view)
    # The partner the patient shared with hears of the erasure, as a bare tombstone ...
    news, _, _ = await sync(client, partner_scopes, since=partner_cursor)
    assert [(e["type"], e["objectId"], e["operation"], e["object"]) for e in news] == [
        ("PATIENT", str(gone.id), "DELETED", None)
    ]
    replay, _, _ = await sync(client, partner_scopes)
    assert [e["objectId"] for e in replay if e["patientId"] == str(gone.id)] == [str(gone.id)]
    # ... and one it never shared with hears nothing at all.
    assert (await sync(client, never_shared))[0] == []


async def test_a_cursor_older_than_the_kept_log_answers_resync_required(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    desk, token = await _desk(practice)
    await new_patient(desk, practice, "Early")  # type: ignore[arg-type]
    _, cursor, _ = await sync(client, token)
    await new_patient(desk, practice, "Missed")  # type: ignore[arg-type]
    await store.prune(datetime.now(UTC) + timedelta(days=1))  # prune-events took everything

    expired = await page(client, token, since=cursor)
    assert expired.codes == ["RESYNC_REQUIRED"]
    assert expired.data == {"changes": None}
    fresh, restart, _ = await sync(client, token)  # a full resync starts from a null cursor
    assert fresh == []
    newest = await new_patient(desk, practice, "After")  # type: ignore[arg-type]
    after, _, _ = await sync(client, token, since=restart)
    assert [e["objectId"] for e in after] == [str(newest.id)]


async def test_a_page_costs_the_same_statements_whatever_its_size(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    practice = await factories.practice()
    desk, token = await _desk(practice)
    for n in range(30):
        await new_patient(desk, practice, f"Count{n}")  # type: ignore[arg-type]
    await page(client, token, first=1)  # warm caches
    counts = {}
    for first in (3, 30):
        with count_statements(monkeypatch) as statements:
            result = await page(client, token, first=first)
        assert len(result.data["changes"]["entries"]) == first
        counts[first] = statements
    assert len(counts[3]) == len(counts[30]), (counts[3], counts[30])
    # The log itself: the practice's head, then one range read along its index.
    assert len(counts[30].matching('FROM "practice_sequence"')) == 1
    assert len(counts[30].matching('FROM "domain_event"')) == 1
    assert len(counts[30].matching('FROM "patient"')) == 1


BOOK = """mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { appointment { id } } }"""
CANCEL = """mutation Cancel($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status } } }"""
CREATE_INVOICE = """mutation C($input: CreateInvoiceInput!) {
  createInvoice(input: $input) { invoice { id } } }"""
ISSUE_INVOICE = """mutation I($input: InvoiceIdInput!) {
  issueInvoice(input: $input) { invoice { id } } }"""
LINE = {
    "description": "Mouthguard",
    "unitPrice": {"amount": 12000, "currency": "GBP"},
    "vatCategory": "EXEMPT",
}


async def test_appointments_and_invoices_with_their_scopes_and_no_drafts_for_partners(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    desk = await as_principal(d.receptionist)
    biller, billing_token = await partner_token(
        client, d.practice.id, d.practice.organization_id, ("practice:read", "billing:read")
    )
    await share(desk, d.patient, biller.client_id)  # type: ignore[arg-type]
    booked = await gql(
        client,
        BOOK,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "patientId": str(d.patient.id),
                "practitionerId": str(d.dentist.id),
                "appointmentTypeId": str(d.exam.id),
                "startsAt": iso(d.at(7, 10)),
            }
        },
        token=d.token,
    )
    assert booked.errors == []
    appointment_id = booked.data["bookAppointment"]["appointment"]["id"]
    cancelled = await gql(
        client,
        CANCEL,
        {"input": {"appointmentId": appointment_id, "reason": "Patient asked"}},
        token=d.token,
    )
    assert cancelled.errors == []
    issued_id, draft_id = "", ""
    for n in range(2):
        made = await gql(
            client,
            CREATE_INVOICE,
            {"input": {"patientId": str(d.patient.id), "lines": [LINE]}},
            token=d.token,
        )
        assert made.errors == []
        draft_id = made.data["createInvoice"]["invoice"]["id"]
        if n == 0:
            issued_id = draft_id
            done = await gql(
                client, ISSUE_INVOICE, {"input": {"invoiceId": issued_id}}, token=d.token
            )
            assert done.errors == []

    staff_view, _, _ = await sync(client, d.token, types=["APPOINTMENT", "INVOICE"])
    assert [(e["type"], e["objectId"], e["operation"]) for e in staff_view] == [
        ("APPOINTMENT", appointment_id, "CREATED"),
        ("APPOINTMENT", appointment_id, "UPDATED"),
        ("INVOICE", issued_id, "CREATED"),
        ("INVOICE", issued_id, "UPDATED"),
        ("INVOICE", draft_id, "CREATED"),
    ]
    assert {e["object"]["status"] for e in staff_view if e["type"] == "APPOINTMENT"} == {
        "CANCELLED"
    }
    # billing:read without schedule:read: invoices only, and never a draft.
    heard, _, _ = await sync(client, billing_token)
    assert [(e["type"], e["objectId"], e["object"]["invoiceStatus"]) for e in heard] == [
        ("INVOICE", issued_id, "ISSUED"),
        ("INVOICE", issued_id, "ISSUED"),
    ]


async def test_retention_running_out_leaves_a_tombstone(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    desk, token = await _desk(practice)
    old = await new_patient(desk, practice, "Oldtimer")  # type: ignore[arg-type]
    await Patient.filter(id=old.id).update(last_activity_at=LONG_AGO)
    _, cursor, _ = await sync(client, token)

    await retention.run(apply=True)

    news, _, _ = await sync(client, token, since=cursor)
    assert [(e["type"], e["objectId"], e["operation"], e["object"]) for e in news] == [
        ("PATIENT", str(old.id), "DELETED", None)
    ]
    assert await DomainEvent.filter(type="PATIENT_ERASED", patient_id=old.id).count() == 1

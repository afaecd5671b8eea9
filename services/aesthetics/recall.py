"""Batch recall: every patient who received a batch (or any batch of a manufacturer's lot
across an organisation's practices), when, how much, and whether they may be sent a safety
notice.

One statement reads it all (``db.queries.aesthetic_treatments.recall_rows``); every patient row
then passes ``services.visibility`` (no SQL for staff) before it leaves. A safety notice is a
SERVICE message, not marketing, so ``mayContactForSafetyNotice`` is
``services.consent.contact.service_decision`` on any channel: a restriction or a marketing
objection does not stop it; a deceased or merged record, no contact details, or a patient who
declined service messages on every channel does.

Who may run it:

- ``patientsTreatedWithBatch``: staff with clinical:read in the batch's practice (a recall
  says who received a product: clinical data).
- ``patientsTreatedWithLot``: staff holding patient:read **and** stock:read in the practices
  searched, within one of their organisations. An ORG_ADMIN holds both in every practice of
  the organisation (not clinical:read): a safety recall is exactly what an organisation must
  be able to run across its clinics, and it shows no more than the fact of treatment with
  that lot, date and amount (no notes, no map sites). A practice admin holds both in their own
  practice only, so their lot recall covers that practice.

The read is audited by the caller's ``AuditReads`` as ONE row naming the batch (or the
organisation's lot) and every patient shown.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from uuid import UUID

from db.queries import aesthetic_treatments as queries
from db.queries.aesthetic_treatments import RecallRow
from db.tenancy import OrganizationId, PracticeId
from services import tenant_gate, visibility
from services.aesthetics.doses import from_milli
from services.consent import preferences
from services.consent.contact import Channel, service_decision
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.spreadsheet_cells import cell

CSV_HEADER = (
    "patient_id",
    "patient_number",
    "last_name",
    "first_name",
    "practice",
    "treated_at",
    "product",
    "lot_number",
    "amount",
    "unit",
    "may_contact_for_safety_notice",
)


@dataclass(frozen=True, slots=True)
class RecalledPatient:
    row: RecallRow
    may_contact: bool


@dataclass(frozen=True, slots=True)
class Recall:
    """The answer; ``subject`` names what was recalled (the batch id, or org:lot)."""

    subject: str
    lot_number: str
    practice_id: PracticeId | None
    organization_id: OrganizationId | None
    rows: list[RecalledPatient]

    def patient_ids(self) -> list[UUID]:
        return list(dict.fromkeys(r.row.patient_id for r in self.rows if r.row.patient_id))

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for item in self.rows:
            r = item.row
            writer.writerow(
                [
                    str(r.patient_id),
                    r.patient_number,
                    cell(r.last_name or ""),
                    cell(r.first_name or ""),
                    cell(r.practice_name),
                    r.treated_at.isoformat() if r.treated_at else "",
                    cell(r.product_name),
                    cell(r.lot_number),
                    str(from_milli(r.amount_milli or 0)),
                    r.unit,
                    "yes" if item.may_contact else "no",
                ]
            )
        return out.getvalue()


def may_contact(row: RecallRow) -> bool:
    """May this patient be sent a safety notice (a SERVICE message) on any channel?"""
    return _decided(
        row.status or "",
        (row.has_email, row.has_mobile, row.has_phone, row.has_address),
        (row.pref_email, row.pref_sms, row.pref_phone, row.pref_post, row.pref_service),
    )


@cache
def _decided(status: str, reachable: tuple[bool, ...], prefs: tuple[bool | None, ...]) -> bool:
    """The decision from the facts alone (a recall of thousands of visits has a handful of
    distinct fact patterns, so each is decided once)."""
    if prefs[-1] is None:  # no preference row: every channel, service messages on
        chosen = preferences.Preferences()
    else:
        chosen = preferences.Preferences(*(bool(p) for p in prefs))
    channels = (Channel.EMAIL, Channel.SMS, Channel.PHONE, Channel.POST)
    return any(
        service_decision(status, reach, chosen, channel).allowed
        for channel, reach in zip(channels, reachable, strict=True)
    )


async def _shown(principal: Principal, rows: list[RecallRow]) -> list[RecalledPatient]:
    treated = [r for r in rows if r.patient_id is not None]
    seen = await visibility.visible(
        principal, {r.patient_id: r.practice_id for r in treated if r.patient_id is not None}
    )
    return [RecalledPatient(r, may_contact(r)) for r in treated if r.patient_id in seen]


async def by_batch(principal: Principal, *, batch_id: UUID) -> Recall:
    allowed = frozenset() if principal.is_patient else principal.practices_with(Scope.CLINICAL_READ)
    rows = await queries.recall_rows(allowed, batch_id=batch_id)
    if not rows:
        raise NotFound("Batch")
    return Recall(
        subject=str(batch_id),
        lot_number=rows[0].lot_number,
        practice_id=tenant_gate.practice_among(allowed, rows[0].practice_id),
        organization_id=None,
        rows=await _shown(principal, rows),
    )


def _lot(value: str) -> str:
    lot = value.strip()
    if not lot or len(lot) > 64:
        raise ValidationFailed("A lot number is 1 to 64 characters.", field="lotNumber")
    return lot


async def by_lot(principal: Principal, *, organization_id: UUID, lot_number: str) -> Recall:
    org = tenant_gate.organization_among(principal.organization_ids, organization_id)
    lot = _lot(lot_number)
    allowed: frozenset[PracticeId] = frozenset()
    if not principal.is_patient:
        allowed = frozenset(
            p
            for p in principal.practices_with(Scope.PATIENT_READ)
            & principal.practices_with(Scope.STOCK_READ)
            if principal.organization_of(p) == org
        )
    rows = await queries.recall_rows(allowed, organization_id=org, lot_number=lot)
    if not rows:
        raise NotFound("Lot")
    return Recall(
        subject=f"{org}:{lot}",
        lot_number=lot,
        practice_id=None,
        organization_id=org,
        rows=await _shown(principal, rows),
    )

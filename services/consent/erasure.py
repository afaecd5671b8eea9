"""Erasure requests, evaluated per data category, carried out in one transaction.

What no law requires keeping goes now. What law requires keeping (clinical records inside
their retention period, financial records for 6 years, evidence of consent and of this request,
the audit log) stays, with the reason and until when. If anything stays, the record is
restricted now and erasure is scheduled for when retention ends (``retention --apply``).
Every current consent is withdrawn as part of the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from db import wal
from db.models import Patient
from db.models.privacy import RecordClass, RequestKind, RequestStatus, RestrictionKind
from db.queries import legal_holds as holds
from db.queries import organizations
from db.queries import patients as patient_queries
from db.uow import unit_of_work
from services import tenant_gate
from services.consent import anonymise, erasure_events, ledger, policies, requests, restriction
from services.consent.anonymise import Category
from services.documents import library
from services.errors import NotFound, ValidationFailed
from services.principal import Principal

EVIDENCE_REASON = "Evidence of consent and of this request (UK GDPR Art. 5(2), 7(1), 17(3)(e))."
_RETAINED = frozenset(c.value for c in RecordClass) - {RecordClass.AUDIT.value}
AUDIT_REASON = "Security audit log, append-only, kept at least 6 years; holds ids, not content."


@dataclass(frozen=True, slots=True)
class Verdict:
    category: str
    action: str  # ERASED, ANONYMISED, KEPT
    reason: str
    until: date | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "category": self.category,
            "action": self.action,
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
        }


async def evaluate(patient: Patient, today: date) -> list[Verdict]:
    """The decision per category, without changing anything."""
    pid = tenant_gate.practice_of(patient)
    practice = await organizations.practice([pid], pid)
    if practice is None:
        raise NotFound("Practice")
    held = await holds.holds_patient(pid, patient.id, today)
    dates = await policies.dates_for(patient, practice.jurisdiction, await policies.table())
    verdicts: list[Verdict] = []
    for cls, done in (
        (RecordClass.ACCOUNT_CONTACT, "ERASED"),
        (RecordClass.FINANCIAL, "ERASED"),
        (RecordClass.CLINICAL, "ANONYMISED"),
    ):
        due = dates.by_class[cls]
        if held:
            verdicts.append(Verdict(cls.value, "KEPT", "Legal hold (UK GDPR Art. 17(3)(e))."))
        elif cls is RecordClass.ACCOUNT_CONTACT:
            verdicts.append(Verdict(cls.value, done, "No legal duty to keep contact details."))
        elif due is None:
            verdicts.append(
                Verdict(cls.value, "KEPT", "No retention policy for this jurisdiction.")
            )
        elif due[0] >= today:
            verdicts.append(Verdict(cls.value, "KEPT", f"Retention: {due[1]}.", due[0]))
        else:
            verdicts.append(Verdict(cls.value, done, f"Retention ended ({due[1]})."))
    verdicts.append(Verdict(Category.EVIDENCE.value, "KEPT", EVIDENCE_REASON))
    verdicts.append(Verdict(Category.AUDIT.value, "KEPT", AUDIT_REASON))
    return verdicts


async def erase(principal: Principal, *, request_id: UUID) -> list[Verdict]:
    row = await requests.open_request(principal, request_id, action="ERASE patient data")
    if row.kind != RequestKind.ERASURE.value:
        raise ValidationFailed("This is not an erasure request.", field="requestId")
    today = datetime.now(UTC).date()
    shredded: list[str] = []
    async with unit_of_work() as uow:
        conn = uow.connection
        patient = await patient_queries.locked(
            tenant_gate.practice_of(row), UUID(str(row.patient_id)), conn
        )
        verdicts = await evaluate(patient, today)
        going = {v.category for v in verdicts if v.action != "KEPT"}
        kept = [v for v in verdicts if v.action == "KEPT" and v.category in _RETAINED]
        await ledger.withdraw_all_in(uow, principal, patient, evidence=f"erasure request {row.id}")
        if RecordClass.ACCOUNT_CONTACT.value in going:
            await anonymise.erase_contact(patient, conn)
        if RecordClass.FINANCIAL.value in going:
            await anonymise.erase_financial(patient, conn)
        if RecordClass.CLINICAL.value in going:
            shredded = await anonymise.anonymise_clinical(patient, conn)
        if going:
            await erasure_events.record_erasure(
                uow,
                principal,
                patient,
                anonymised=RecordClass.CLINICAL.value in going,
                categories=going,
            )
        if kept:
            until = max((v.until for v in kept if v.until), default=None)
            await restriction.place_in(
                uow,
                principal,
                patient,
                kind=RestrictionKind.RESTRICTION,
                reason="Erasure requested; kept only as the law requires.",
                request_id=row.id,
            )
            row.erase_after = until
            row.status = RequestStatus.PARTIALLY_COMPLETED.value
        else:
            row.status = RequestStatus.COMPLETED.value
        row.completed_at = datetime.now(UTC)
        row.handled_by_user_id = principal.user_id
        row.outcome = [v.as_dict() for v in verdicts]
        await row.save(using_db=conn)
        requests.audit_change(uow, principal, row, "ERASE patient data")
    await library.discard(shredded)
    await wal.checkpoint_after_erasure()
    return verdicts

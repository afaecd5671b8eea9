"""A practice's billing settings: the defaults a practice has until it sets its own, reading
them (billing:read in the practice) and changing them (``update``).

Changing them is a practice admin's decision: billing:write *and* practice:write in the practice.
The refund approval limit decides when a second person must approve a refund
(``services.billing.refunds``), so reception, who refund with billing:write alone, cannot raise
its own limit. Every value is checked (an amount within ``money.MAX_MINOR``, zero meaning every
refund needs approval; a supported currency; a known deposit policy). The currency is frozen
(CONFLICT) once the practice has issued an invoice or recorded a payment: what is chained in the
ledger is in the old one. One unit of work: the row, an audit row naming each changed setting
with its old and new value (codes and amounts of the practice, never patient data) and a
``BILLING_SETTINGS_CHANGED`` billing event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from db.models import BillingSettings as SettingsRow
from db.outbox import PendingEvent
from db.queries import billing_settings as writes
from db.queries import payments as queries
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import actors, audit, tenant_gate
from services.billing.money import MINOR_UNITS, Money, checked
from services.errors import Conflict, PolicyDenied, ValidationFailed
from services.patients.records import organization_id
from services.policy import Scope
from services.principal import Principal

DEFAULT_REFUND_APPROVAL_LIMIT_MINOR = 10_000  # £100.00
TOPIC = "billing"
ACTION = "UPDATE billing_settings"


class ForfeitPolicy(StrEnum):
    """What a held deposit does when its appointment is cancelled late or missed."""

    FORFEIT_LATE_OR_DNA = "FORFEIT_LATE_OR_DNA"  # kept by the practice; otherwise refunded
    ALWAYS_REFUND = "ALWAYS_REFUND"


@dataclass(frozen=True, slots=True)
class BillingSettings:
    currency: str
    refund_approval_limit_minor: int
    deposit_forfeit_policy: ForfeitPolicy


DEFAULTS = BillingSettings(
    "GBP", DEFAULT_REFUND_APPROVAL_LIMIT_MINOR, ForfeitPolicy.FORFEIT_LATE_OR_DNA
)
# The graph's names of the settings (audit rows and error fields use them).
NAMES = {
    "currency": "currency",
    "refund_approval_limit_minor": "refundApprovalLimit",
    "deposit_forfeit_policy": "depositForfeitPolicy",
}


@dataclass(frozen=True, slots=True)
class SettingsView:
    """The settings in force in a practice; ``updated_at`` is None while it has the defaults."""

    practice_id: PracticeId
    settings: BillingSettings
    updated_at: datetime | None


def _of_row(row: SettingsRow) -> BillingSettings:
    return BillingSettings(
        row.currency,
        int(row.refund_approval_limit_minor),
        ForfeitPolicy(row.deposit_forfeit_policy),
    )


async def of(practice_id: PracticeId) -> BillingSettings:
    row = await queries.settings(practice_id)
    return DEFAULTS if row is None else _of_row(row)


async def read(principal: Principal, *, practice_id: UUID) -> SettingsView:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.BILLING_READ)
    row = await queries.settings(pid)
    if row is None:
        return SettingsView(pid, DEFAULTS, None)
    return SettingsView(pid, _of_row(row), row.updated_at)


async def _admin_practice(principal: Principal, practice_id: UUID) -> PracticeId:
    """The practice if the caller is its admin; another practice answers like a random id."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.BILLING_WRITE)
    if not principal.has_scope(Scope.PRACTICE_WRITE, pid):
        await audit.record_denied(principal, action=ACTION, practice_id=pid)
        raise PolicyDenied("Only a practice admin may change the practice's billing settings.")
    return pid


def _changed(
    current: BillingSettings,
    currency: str | None,
    refund_approval_limit: Money | None,
    deposit_forfeit_policy: str | None,
) -> BillingSettings:
    """``current`` with the given values, each checked (BAD_USER_INPUT naming it)."""
    wanted = current
    if currency is not None:
        if currency not in MINOR_UNITS:
            raise ValidationFailed(f"Unsupported currency {currency[:8]!r}.", field="currency")
        wanted = replace(wanted, currency=currency)
    if refund_approval_limit is not None:
        field = NAMES["refund_approval_limit_minor"]
        checked(refund_approval_limit.minor, field, allow_zero=True)
        if refund_approval_limit.currency != wanted.currency:
            raise ValidationFailed(
                f"The limit is in the practice's currency ({wanted.currency}).", field=field
            )
        wanted = replace(wanted, refund_approval_limit_minor=refund_approval_limit.minor)
    if deposit_forfeit_policy is not None:
        try:
            policy = ForfeitPolicy(deposit_forfeit_policy)
        except ValueError:
            raise ValidationFailed(
                "Unknown deposit policy.", field=NAMES["deposit_forfeit_policy"]
            ) from None
        wanted = replace(wanted, deposit_forfeit_policy=policy)
    return wanted


def _differences(before: BillingSettings, after: BillingSettings) -> dict[str, tuple[str, str]]:
    return {
        name: (str(getattr(before, name)), str(getattr(after, name)))
        for name in NAMES
        if getattr(before, name) != getattr(after, name)
    }


async def update(
    principal: Principal,
    *,
    practice_id: UUID,
    currency: str | None = None,
    refund_approval_limit: Money | None = None,
    deposit_forfeit_policy: str | None = None,
) -> SettingsView:
    """Change the given settings (None: unchanged). Changing nothing writes nothing."""
    pid = await _admin_practice(principal, practice_id)
    given = (currency, refund_approval_limit, deposit_forfeit_policy)
    _changed(await of(pid), *given)  # bad values refused before any write
    async with unit_of_work() as uow:
        row = await writes.locked(pid, uow.connection)
        before = _of_row(row)
        after = _changed(before, *given)
        differences = _differences(before, after)
        if not differences:
            return SettingsView(pid, after, row.updated_at)
        if "currency" in differences and await writes.money_recorded(pid, uow.connection):
            raise Conflict(
                "The currency cannot change once the practice has issued invoices or taken "
                "payments.",
                field="currency",
            )
        row.currency = after.currency
        row.refund_approval_limit_minor = after.refund_approval_limit_minor
        row.deposit_forfeit_policy = after.deposit_forfeit_policy.value
        await row.save(using_db=uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action=ACTION,
                practice_id=pid,
                entity_type="BillingSettings",
                entity_id=row.id,
                fields=[f"{NAMES[n]}: {old} -> {new}" for n, (old, new) in differences.items()],
            )
        )
        uow.emit(
            PendingEvent(
                organization_id=await organization_id(principal, pid),
                practice_id=pid,
                topic=TOPIC,
                type="BILLING_SETTINGS_CHANGED",
                entity_id=UUID(str(row.id)),
                payload=actors.stamped(
                    {
                        "changed": {
                            NAMES[n]: {"from": old, "to": new}
                            for n, (old, new) in differences.items()
                        }
                    },
                    principal,
                ),
            )
        )
    return SettingsView(pid, after, row.updated_at)


__all__ = [
    "DEFAULTS",
    "DEFAULT_REFUND_APPROVAL_LIMIT_MINOR",
    "BillingSettings",
    "ForfeitPolicy",
    "SettingsView",
    "of",
    "read",
    "update",
]

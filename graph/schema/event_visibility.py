"""Live events as one subscriber may see them: ``services.visibility`` applied per principal.

The fan-out renders each event once per permission group (``graph.schema.live_events``); the
rendered event is then narrowed here for the subscriber's principal before its payload is
encoded. The encode key (``graph.resolvers.subscriptions``) holds everything visibility reads
(practices, the patient records of a patient's account, the partner client), so sockets sharing
a key still share one payload and per-group rendering stays. A board event whose patient the
subscriber may not see carries the appointment as busy time (no name, alert or notes; the
``patient`` field answers FORBIDDEN); a consent, chart, account or billing event about such a
patient is not delivered. So a partner app watching ``accountChanged`` or ``billingChanged``
hears only of patients who share data with it, decided again for every event: a withdrawal
stops the very next one. Practice-level billing events (a cash count) reach staff only, never
patients or partner apps. Each patient a board, account or billing event shows is recorded as
a read, so the patient's access log names who saw them live (audited once per subscription and
patient). A dashboard event names no patient (areas and a time only): staff with reports:read
get it as it is, never a patient or a partner app.
"""

from __future__ import annotations

import dataclasses
from uuid import UUID

from graph.schema.billing_events import AccountEvent, BillingEvent
from graph.schema.clinical_events import ClinicalChartEvent
from graph.schema.dashboard_events import DashboardEvent
from graph.schema.live_events import ConsentEvent, ScheduleEvent
from graph.schema.scheduling import as_busy_time
from services import visibility
from services.audit import ReadTrail
from services.policy import Scope
from services.principal import Principal

LIVE_BOARD_FIELDS = ["patient.firstName", "patient.lastName", "patient.hasMedicalAlert"]
ACCOUNT_FIELD = {AccountEvent: "account.balance", BillingEvent: "billingChanged"}


async def as_seen_by(principal: Principal, item: object, trail: ReadTrail) -> object | None:
    """The event as this principal may see it; None when it must not reach them at all."""
    if isinstance(item, ScheduleEvent) and item.appointment is not None:
        shown = item.appointment
        patient, practice = shown.patient_id, shown.practice_id
        if not await visibility.visible(principal, {patient: practice}):
            return dataclasses.replace(item, appointment=as_busy_time(shown))
        if shown.patient is not None and principal.has_scope(Scope.PATIENT_READ, practice):
            trail.read(
                entity_type="Patient",
                entity_id=patient,
                patient_id=patient,
                practice_id=practice,
                fields=LIVE_BOARD_FIELDS,
            )
        return item
    if isinstance(item, DashboardEvent):
        return None if principal.is_patient or principal.client_id is not None else item
    if isinstance(item, BillingEvent) and item.patient_id is None:
        # Practice-level (a cash count): staff only, like the cash counts themselves.
        return None if principal.is_patient or principal.client_id is not None else item
    if isinstance(item, AccountEvent | BillingEvent):  # seen live: a read of the account
        about = {UUID(str(item.patient_id)): UUID(str(item.practice_id))}
        if not await visibility.visible(principal, about):
            return None
        trail.read(
            entity_type="PatientAccount",
            entity_id=UUID(str(item.patient_id)),
            patient_id=UUID(str(item.patient_id)),
            practice_id=UUID(str(item.practice_id)),
            fields=[ACCOUNT_FIELD[type(item)]],
        )
        return item
    if isinstance(item, ConsentEvent | ClinicalChartEvent):
        about = {UUID(str(item.patient_id)): UUID(str(item.practice_id))}
        if not await visibility.visible(principal, about):
            return None
        if isinstance(item, ClinicalChartEvent):  # a chart seen live is a read of the chart
            trail.read(
                entity_type="ChartEntry",
                entity_id=item.entry_id,
                patient_id=UUID(str(item.patient_id)),
                practice_id=UUID(str(item.practice_id)),
                fields=["toothChart"],
            )
        return item
    return item

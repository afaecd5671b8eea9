"""Property: across random worlds, ``changes`` tells a caller exactly the changes it may see.

Hypothesis draws two practices of one organisation and one of another, patients in them who
share data with a partner app (or never did, or withdrew), restrictions, erasures, a log of
changes of every kind, the partner's practices and scopes, the kinds asked for and the page
size. For the partner and for a receptionist, paging through the feed must give exactly the
expected entries, each once, in log order, and no hidden patient's id or name anywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.models import (
    ConsentRecord,
    DomainEvent,
    PartnerClient,
    Patient,
    Practice,
    ProcessingRestriction,
)
from db.outbox import PendingEvent
from db.uow import unit_of_work
from services.auth import clients
from services.changes import feed
from services.changes.kinds import FROM_DOMAIN, PATIENT_ERASED, SCOPE, ChangeKind
from services.policy import Role
from services.principal import Principal
from services.webhooks.partners import principal_of
from tests import factories
from tests.services.test_consent_ledger import as_principal

TYPES = sorted(t for t in FROM_DOMAIN if t != PATIENT_ERASED)
READ_SCOPES = ["patient:read", "schedule:read", "billing:read"]


@dataclass(frozen=True)
class PatientSpec:
    practice: int  # 0, 1: the organisation's practices; 2: another organisation's
    consent: str  # "none", "granted", "withdrawn"
    restricted: bool
    erased: bool
    events: tuple[str, ...]


@dataclass
class Built:
    practices: list[Practice]
    patients: list[tuple[PatientSpec, Patient, UUID | None]]  # spec, row, the grant's id


patient_specs = st.builds(
    PatientSpec,
    practice=st.integers(0, 2),
    consent=st.sampled_from(["none", "granted", "withdrawn"]),
    restricted=st.booleans(),
    erased=st.booleans(),
    events=st.lists(st.sampled_from(TYPES), min_size=1, max_size=3).map(tuple),
)


async def _consent(patient: Patient, client_id: str, seq: int, granted: bool) -> ConsentRecord:
    return await ConsentRecord.create(
        practice_id=patient.practice_id,
        patient_id=patient.id,
        seq=seq,
        purpose="DATA_SHARING",
        subject=client_id,
        granted=granted,
        policy_version="share-v1",
        method="RECEPTION",
        effective_at=datetime.now(UTC) - timedelta(days=2 - seq),
    )


async def _build(specs: list[PatientSpec], client_id: str, practices: list[Practice]) -> Built:
    built = Built(practices, [])
    pending: list[PendingEvent] = []
    for n, spec in enumerate(specs):
        practice = practices[spec.practice]
        tag = uuid.uuid4().hex[:10]
        patient = await factories.patient(
            practice, first_name="Anonymised" if spec.erased else "Prop", last_name=f"Hidden{tag}"
        )
        grant = None
        if spec.consent != "none":
            grant = (await _consent(patient, client_id, 1, True)).id
        if spec.consent == "withdrawn" or spec.erased:
            await _consent(patient, client_id, 2, False)  # an erasure withdraws every consent
        if spec.restricted:
            await ProcessingRestriction.create(
                practice_id=practice.id, patient_id=patient.id, kind="RESTRICTION", reason="Art. 18"
            )
        built.patients.append((spec, patient, grant))
        types = [*spec.events, *([PATIENT_ERASED] if spec.erased else [])]
        for kind in types:
            target = FROM_DOMAIN[kind][0]
            entity = {ChangeKind.PATIENT: patient.id, ChangeKind.CONSENT: grant}.get(target)
            pending.append(
                PendingEvent(
                    organization_id=practice.organization_id,  # type: ignore[arg-type]
                    practice_id=practice.id,  # type: ignore[arg-type]
                    topic=f"prop{n % 2}",
                    type=kind,
                    entity_id=entity or uuid.uuid4(),
                    patient_id=patient.id,
                )
            )
    async with unit_of_work() as uow:
        for event in pending:
            uow.emit(event)
    return built


def _expected(
    built: Built,
    principal: Principal,
    rows: list[tuple[UUID, int, str, UUID]],
    kinds: frozenset[ChangeKind],
) -> list[tuple[str, str, str]]:
    """(patient id, kind, operation) in feed order: each practice's log in sequence order."""
    by_id = {p.id: (spec, grant) for spec, p, grant in built.patients}
    wanted = []
    for practice, _, kind_name, patient_id in sorted(rows, key=lambda r: (str(r[0]), r[1])):
        kind, operation = FROM_DOMAIN[kind_name]
        spec, grant = by_id[patient_id]
        if kind not in kinds or SCOPE[kind] not in principal.scopes_in(practice):
            continue
        visible = principal.client_id is None or (
            spec.consent == "granted" and not spec.restricted and not spec.erased
        )
        told = visible or (kind_name == PATIENT_ERASED and grant is not None)
        if told:
            gone = spec.erased or (
                kind is not ChangeKind.PATIENT and kind is not ChangeKind.CONSENT
            )
            if kind is ChangeKind.CONSENT and grant is None:
                gone = True
            wanted.append((str(patient_id), kind.value, "DELETED" if gone else operation.value))
    return wanted


async def _read_all(principal: Principal, kinds: frozenset[ChangeKind] | None, first: int) -> Any:
    entries: list[feed.Change] = []
    since = None
    for _ in range(200):
        page = await feed.changes(principal, since=since, kinds=kinds, first=first)
        assert len(page.entries) <= first
        entries += page.entries
        since = page.end_cursor
        if not page.has_more:
            return entries
    raise AssertionError("the feed never ended")


def _leaks(entries: list[feed.Change], built: Built, allowed: set[UUID]) -> list[str]:
    text = repr(entries)
    return [
        p.last_name
        for _, p, _ in built.patients
        if p.id not in allowed and (str(p.id) in text or p.last_name in text)
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=st.lists(patient_specs, min_size=1, max_size=6),
    client_practices=st.sampled_from([[0], [1], [0, 1]]),
    scopes=st.sets(st.sampled_from(READ_SCOPES)),
    kinds=st.none() | st.sets(st.sampled_from(list(ChangeKind)), min_size=1).map(frozenset),
    first=st.integers(1, 7),
)
async def test_changes_tell_each_caller_exactly_what_it_may_see(
    db: str,
    specs: list[PatientSpec],
    client_practices: list[int],
    scopes: set[str],
    kinds: frozenset[ChangeKind] | None,
    first: int,
) -> None:
    org = await factories.organization()
    practices = [await factories.practice(org), await factories.practice(org)]
    practices.append(await factories.practice())  # another organisation
    registered = await clients.register(
        organization_id=org.id,
        name=f"Prop {uuid.uuid4().hex[:6]}",
        scopes=["practice:read", *sorted(scopes)],
        practice_ids=[practices[i].id for i in client_practices],
    )
    built = await _build(specs, registered.client_id, practices)
    rows = [
        (UUID(str(e.practice_id)), int(e.sequence), e.type, UUID(str(e.patient_id)))
        for e in await DomainEvent.filter(practice_id__in=[p.id for p in practices])
    ]
    partner = await principal_of(await PartnerClient.get(client_id=registered.client_id))
    desk = await as_principal(await factories.user(Role.RECEPTIONIST, practices[0]))
    wanted_kinds = kinds or frozenset(ChangeKind)

    for principal in (partner, desk):
        entries = await _read_all(principal, kinds, first)
        got = [(str(e.patient_id), e.kind.value, e.operation.value) for e in entries]
        assert got == _expected(built, principal, rows, wanted_kinds)
        shown = {e.patient_id for e in entries if e.object is not None}
        may_see = {
            p.id
            for spec, p, _ in built.patients
            if p.practice_id in principal.practice_ids
            and (
                principal.client_id is None
                or (spec.consent == "granted" and not spec.restricted and not spec.erased)
            )
        }
        assert shown <= may_see
        told = may_see | {e.patient_id for e in entries if e.operation.value == "DELETED"}
        assert _leaks(entries, built, {p for p in told if p is not None}) == []
        assert all(e.object is None for e in entries if e.operation.value == "DELETED")
        assert all(SCOPE[e.kind] in principal.scopes_in(e.practice_id) for e in entries)

"""Per-request DataLoaders for the patient record's relations (one query per relation per page).

They live beside ``graph.loaders`` rather than in it, and are rebuilt whenever the context's
``Loaders`` object is (per request over HTTP, per operation over WebSockets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader

from db.models import GuardianLink, MedicalHistory, Patient, PatientInsurance, User
from db.queries import patients as queries
from graph.context import Info


async def _latest_histories(ids: Sequence[UUID]) -> list[MedicalHistory | None]:
    found = await queries.latest_histories(ids)
    return [found.get(i) for i in ids]


async def _insurance(ids: Sequence[UUID]) -> list[PatientInsurance | None]:
    found = await queries.insurance_for(ids)
    return [found.get(i) for i in ids]


async def _guardian_links(ids: Sequence[UUID]) -> list[list[GuardianLink]]:
    found = await queries.guardian_links_for(ids)
    return [found.get(i, []) for i in ids]


async def _patients(ids: Sequence[UUID]) -> list[Patient | None]:
    # Only reached through a link of a record the caller was already allowed to read.
    found = {p.id: p for p in await Patient.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


async def _users(ids: Sequence[UUID]) -> list[User | None]:
    found = {u.id: u for u in await User.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


@dataclass(slots=True)
class PatientLoaders:
    latest_history_by_patient_id: DataLoader[UUID, MedicalHistory | None] = field(
        default_factory=lambda: DataLoader(load_fn=_latest_histories)
    )
    insurance_by_patient_id: DataLoader[UUID, PatientInsurance | None] = field(
        default_factory=lambda: DataLoader(load_fn=_insurance)
    )
    guardian_links_by_patient_id: DataLoader[UUID, list[GuardianLink]] = field(
        default_factory=lambda: DataLoader(load_fn=_guardian_links)
    )
    patient_by_id: DataLoader[UUID, Patient | None] = field(
        default_factory=lambda: DataLoader(load_fn=_patients)
    )
    user_by_id: DataLoader[UUID, User | None] = field(
        default_factory=lambda: DataLoader(load_fn=_users)
    )


def patient_loaders(info: Info) -> PatientLoaders:
    state = info.context.request.state
    current: tuple[object, PatientLoaders] | None = getattr(state, "patient_loaders", None)
    if current is None or current[0] is not info.context.loaders:
        current = (info.context.loaders, PatientLoaders())
        state.patient_loaders = current
    return current[1]

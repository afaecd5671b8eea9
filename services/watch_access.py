"""Who may watch a practice's events, checked when a subscription starts and again per event.

A subscription is granted from the principal (never from raw client arguments), audited when it
starts, and re-authorised in batches: one query per event batch for all of a practice's
watchers in this process, however many sockets they hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from db.queries import memberships, organizations, partner_clients, patients
from db.queries import users as accounts
from db.tenancy import PracticeId
from realtime import store
from services import audit, visibility
from services.auth import tokens
from services.errors import (
    NotFound,
    PolicyDenied,
    ResyncRequired,
    Unauthenticated,
    ValidationFailed,
)
from services.policy import ROLE_SCOPES, Role, Scope
from services.principal import Principal
from services.tenant_gate import practice_among

RESYNC = "Too many changes were missed; reload, then subscribe again without since."


@dataclass(frozen=True, slots=True)
class Watcher:
    """The credentials a subscription rests on, re-checked on every event."""

    user_id: UUID | None
    client_id: str | None
    token_version: int | None
    token_id: str | None
    granted: frozenset[str] = frozenset()  # a partner token's narrowed scopes


@dataclass(frozen=True, slots=True)
class Grant:
    watcher: Watcher
    scopes: frozenset[str]
    expires_at: float | None


async def start_watch(
    principal: Principal,
    *,
    token: str | None,
    practice_id: UUID,
    needs: Scope,
    operation: str,
    patient_id: UUID | None = None,
    since: int | None = None,
    max_replay: int = 5000,
) -> Grant:
    if not principal.is_authenticated or not token:
        raise Unauthenticated("Sign in first.")
    claims = tokens.verify(token)
    pid = practice_among(principal.practices_with(needs), practice_id)
    if patient_id is None and principal.is_patient:
        raise PolicyDenied("Patients cannot watch a practice's board.")
    if patient_id is not None:
        await _check_patient(principal, pid, patient_id)
    if since is not None:
        await check_resumable(pid, since, max_replay)
    # Shielded: a client that hangs up mid-write must not cancel a transaction half way.
    await asyncio.shield(
        audit.write(
            [
                audit.record_for(
                    principal,
                    action=f"SUBSCRIBE {operation}",
                    practice_id=practice_id,
                    entity_type="Patient" if patient_id else "Practice",
                    entity_id=patient_id or practice_id,
                    patient_id=patient_id,
                )
            ]
        )
    )
    scopes = frozenset(str(s) for s in principal.scopes_in(pid))
    watcher = Watcher(
        user_id=principal.user_id,
        client_id=principal.client_id,
        token_version=claims.get("ver"),
        token_id=principal.token_id,
        granted=scopes if principal.client_id else frozenset(),
    )
    expires = principal.expires_at.timestamp() if principal.expires_at else None
    return Grant(watcher=watcher, scopes=scopes, expires_at=expires)


async def _check_patient(principal: Principal, practice_id: PracticeId, patient_id: UUID) -> None:
    if not await patients.exists(practice_id, patient_id):
        raise NotFound("Patient")
    if not await visibility.visible(principal, {patient_id: practice_id}):
        raise NotFound("Patient")


async def check_resumable(practice_id: PracticeId, since: int, max_replay: int) -> None:
    """``since`` must lie inside the kept window, or the client must reload (RESYNC_REQUIRED)."""
    if since < 0:
        raise ValidationFailed("since must not be negative.", field="since")
    head = await store.last_sequence(practice_id)
    if since > head or head - since > max_replay:
        raise ResyncRequired(RESYNC)
    if since < head:
        oldest = await store.oldest_kept(practice_id)
        if oldest is None or oldest > since + 1:
            raise ResyncRequired(RESYNC)


_organizations: dict[UUID, UUID] = {}


async def _organization_of(practice_id: UUID) -> UUID | None:
    if practice_id not in _organizations:
        practice = await organizations.practice_by_id(practice_id)
        if practice is None:
            return None
        _organizations[practice_id] = UUID(str(practice.organization_id))
    return _organizations[practice_id]


async def recheck(
    practice_id: UUID, watchers: Collection[Hashable]
) -> dict[Hashable, frozenset[str] | None]:
    """Scopes each watcher holds in the practice *now*; ``None`` when its credentials died."""
    known = [w for w in watchers if isinstance(w, Watcher)]
    verdicts: dict[Hashable, frozenset[str] | None] = dict.fromkeys(watchers)
    organization_id = await _organization_of(practice_id)
    if organization_id is None:
        return verdicts
    jtis = [w.token_id for w in known if w.token_id]
    revoked: set[str] = set()
    if jtis:
        revoked = await partner_clients.revoked_among(jtis)
    users = [w for w in known if w.user_id is not None]
    if users:
        scopes = await _user_scopes(practice_id, organization_id, {w.user_id for w in users})
        for watcher in users:
            held = scopes.get((watcher.user_id, watcher.token_version))  # type: ignore[arg-type]
            verdicts[watcher] = None if watcher.token_id in revoked else held
    partners = [w for w in known if w.client_id is not None]
    if partners:
        clients = {
            c.client_id: c
            for c in await partner_clients.active_among([w.client_id for w in partners])
        }
        ceiling = {str(s) for s in ROLE_SCOPES[Role.PARTNER]}
        for watcher in partners:
            client = clients.get(watcher.client_id or "")
            allowed = client is not None and str(practice_id) in {
                str(p) for p in client.practice_ids
            }
            stale = client is not None and (watcher.token_version or 0) != client.token_version
            if client is None or not allowed or stale or watcher.token_id in revoked:
                verdicts[watcher] = None
            else:
                verdicts[watcher] = watcher.granted & set(client.scopes) & ceiling
    return verdicts


async def _user_scopes(
    practice_id: UUID, organization_id: UUID, user_ids: set[UUID | None]
) -> dict[tuple[UUID, int], frozenset[str]]:
    """(user, token version) -> scopes in the practice, for active users only."""
    alive = await accounts.live_versions(user_ids)
    versions = {uid: int(version) for uid, version in alive}
    held: dict[UUID, set[str]] = {uid: set() for uid in versions}
    rows = await memberships.roles_reaching(practice_id, organization_id, list(versions))
    for user_id, role in rows:
        if Role(role) is not Role.SYSTEM_OWNER:
            held[user_id].update(str(s) for s in ROLE_SCOPES[Role(role)])
    return {(uid, versions[uid]): frozenset(s) for uid, s in held.items() if s}


async def prune(retention: timedelta, *, on_batch: Callable[[int, int], None] | None = None) -> int:
    """Deletes events older than the retention window (``aescrm prune-events``)."""
    return await store.prune(datetime.now(UTC) - retention, on_batch=on_batch)


__all__ = [
    "Grant",
    "ResyncRequired",
    "Watcher",
    "check_resumable",
    "prune",
    "recheck",
    "start_watch",
]

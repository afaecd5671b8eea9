"""Builders for practices, staff, patients and tokens with sensible defaults."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from db.crypto import FieldContext
from db.models import Membership, Organization, Patient, Practice, User
from services import runtime
from services.auth import tokens
from services.auth.passwords import hash_password
from services.names import search_key
from services.policy import Role

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_password_hash: str | None = None


def _hash() -> str:
    global _password_hash
    if _password_hash is None:
        _password_hash = hash_password(PASSWORD)
    return _password_hash


async def organization(name: str | None = None) -> Organization:
    n = next(_counter)
    return await Organization.create(name=name or f"Org {n}", slug=f"org-{n}-{uuid4().hex[:6]}")


async def practice(org: Organization | None = None, name: str | None = None) -> Practice:
    org = org or await organization()
    return await Practice.create(organization=org, name=name or f"Practice {next(_counter)}")


async def user(
    role: Role,
    practice_: Practice | None = None,
    *,
    org: Organization | None = None,
    patient_id: UUID | None = None,
    email: str | None = None,
    mfa_enabled: bool = False,
) -> User:
    n = next(_counter)
    created = await User.create(
        email=email or f"{role.value.lower()}-{n}-{uuid4().hex[:6]}@example.test",
        full_name=f"{role.value.title()} {n}",
        password_hash=_hash(),
        mfa_enabled=mfa_enabled,
    )
    await Membership.create(
        user=created,
        role=role.value,
        practice=practice_ if role not in (Role.ORG_ADMIN, Role.SYSTEM_OWNER) else None,
        organization=org if role is Role.ORG_ADMIN else None,
        patient_id=patient_id,
    )
    return created


async def patient(practice_: Practice, **overrides: Any) -> Patient:
    patient_id = uuid4()
    first = overrides.pop("first_name", "Alice")
    last = overrides.pop("last_name", f"Patient{next(_counter)}")
    notes = overrides.pop("clinical_notes", "Allergic to penicillin.")
    number = await Patient.filter(practice_id=practice_.id).count() + 1
    context = FieldContext(str(practice_.id), "patient", "clinical_notes", str(patient_id))
    values: dict[str, Any] = {
        "id": patient_id,
        "practice_id": practice_.id,
        "patient_number": number,
        "first_name": first,
        "last_name": last,
        "search_name": search_key(first, last, None),
        "date_of_birth": date(1980, 5, 17),
        "has_medical_alert": True,
        "clinical_notes": runtime.keyring().encrypt(notes, context),
        "last_activity_at": datetime.now(UTC),
        **overrides,
    }
    return await Patient.create(**values)


def access_token(user_: User, *, mfa: bool = True, ttl: timedelta = timedelta(minutes=15)) -> str:
    token, _, _ = tokens.issue(
        {"sub": str(user_.id), "typ": "access", "ver": user_.token_version, "mfa": mfa}, ttl
    )
    return token


@dataclass
class GraphQLResult:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> GraphQLResult:
    sent = {"content-type": "application/json", **(headers or {})}
    if token:
        sent["authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=sent
    )
    return GraphQLResult(response.status_code, response.json())

"""Every role against every ``@requires`` field, through real queries.

Expected answers come from ``ROLE_SCOPES``: a role holding every declared scope reads the field
(in its own practice); any other role gets null plus FORBIDDEN at that field's path. Partner apps
hold what their registration grants: the whole partner ceiling, and the ceiling without
billing:read, are both run on a patient who shares data with the app.
"""

from __future__ import annotations

import httpx
import pytest

from services.policy import ROLE_SCOPES, Role, Scope
from tests import factories
from tests.factories import gql
from tests.graph.permission_matrix import (
    PARTNER_REFUSED,
    ProtectedField,
    protected_fields,
    seed_objects,
    share_with_partner,
)
from tests.graph.visibility_world import partner_token

FIELDS = protected_fields()
STAFF_ROLES = [r for r in Role if r not in (Role.PARTNER, Role.SYSTEM_OWNER)]


def test_every_protected_field_is_reachable_by_the_matrix() -> None:
    unknown = [f.label for f in FIELDS if f.document is None]
    assert unknown == [], f"add a path/argument for these in permission_matrix.py: {unknown}"
    assert len(FIELDS) >= 4


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", STAFF_ROLES, ids=lambda r: r.value)
async def test_role_against_every_protected_field(client: httpx.AsyncClient, role: Role) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    patient = await factories.patient(practice)
    await seed_objects(practice, patient)
    user = await factories.user(
        role, practice, org=org, patient_id=patient.id if role is Role.PATIENT else None
    )
    token = factories.access_token(user)
    variables = {
        "practiceId": str(practice.id),
        "patientId": str(patient.id),
        "organizationId": str(org.id),
    }
    held = ROLE_SCOPES[role]
    mismatches: list[str] = []
    for field in FIELDS:
        assert field.document is not None
        used = {k: v for k, v in variables.items() if f"${k}" in field.document}
        result = await gql(client, field.document, used, token=token)
        forbidden = [
            e
            for e in result.errors
            if e.get("extensions", {}).get("code") == "FORBIDDEN"
            and e.get("path", [])[-1:] == [field.field_name]
        ]
        if not forbidden and not _holds(result.data, field.field_name):
            # Withheld above the field: the root it hangs from needs a scope the role lacks.
            forbidden = [
                e for e in result.errors if e.get("extensions", {}).get("code") == "FORBIDDEN"
            ]
        allowed = set(field.scopes) <= held
        # A patient's scopes reach their own record only: practice-wide lists answer NOT_FOUND.
        row_scoped = role is Role.PATIENT and set(result.codes) == {"NOT_FOUND"}
        if allowed and result.errors and not row_scoped:
            mismatches.append(f"{field.label}: {role} should read it, got {result.errors}")
        if not allowed and not forbidden:
            mismatches.append(f"{field.label}: {role} should get FORBIDDEN, got {result.body}")
    assert mismatches == []


PARTNER_GRANTS = {
    "ceiling": ROLE_SCOPES[Role.PARTNER],
    "no-billing": ROLE_SCOPES[Role.PARTNER] - {Scope.BILLING_READ},
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("grant", sorted(PARTNER_GRANTS))
async def test_partner_against_every_protected_field(client: httpx.AsyncClient, grant: str) -> None:
    """A partner app registered with ``grant``, on a patient who shares data with it: a field
    whose scopes the grant holds answers (unless the service keeps it for staff:
    ``PARTNER_REFUSED``); any other is null plus FORBIDDEN."""
    org = await factories.organization()
    practice = await factories.practice(org)
    patient = await factories.patient(practice)
    await seed_objects(practice, patient)
    granted = PARTNER_GRANTS[grant]
    partner, token = await partner_token(
        client, practice.id, org.id, tuple(sorted(s.value for s in granted))
    )
    await share_with_partner(patient, partner.client_id)
    variables = {
        "practiceId": str(practice.id),
        "patientId": str(patient.id),
        "organizationId": str(org.id),
    }
    mismatches: list[str] = []
    for field in FIELDS:
        assert field.document is not None
        used = {k: v for k, v in variables.items() if f"${k}" in field.document}
        result = await gql(client, field.document, used, token=token)
        forbidden = [e for e in result.errors if e.get("extensions", {}).get("code") == "FORBIDDEN"]
        refused = field.label in PARTNER_REFUSED
        if set(field.scopes) <= granted and not refused:
            if result.errors:
                mismatches.append(f"{field.label}: the partner should read it, got {result.errors}")
        elif not forbidden:
            mismatches.append(f"{field.label}: the partner should get FORBIDDEN, got {result.body}")
    assert mismatches == [], "\n".join(mismatches)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_denied_field_reads_are_audited(client: httpx.AsyncClient) -> None:
    from db.models import AuditEvent

    practice = await factories.practice()
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    result = await gql(
        client,
        "query Peek { auditEvents(first: 5) { edges { cursor } } }",
        token=factories.access_token(receptionist),
    )
    assert result.codes == ["FORBIDDEN"]
    denied = await AuditEvent.filter(outcome="DENIED", actor_user_id=receptionist.id)
    assert len(denied) == 1
    assert denied[0].action == "DENIED query Peek"
    assert "Query.auditEvents" in denied[0].fields_read


def _labels(fields: list[ProtectedField]) -> set[str]:
    return {f.label for f in fields}


def test_known_sensitive_fields_are_protected() -> None:
    assert {"Query.auditEvents", "Query.roles", "Query.practices"} <= _labels(FIELDS)
    assert {"Query.toothChart", "Query.procedureCatalogue"} <= _labels(FIELDS)
    assert {"Query.perioExams", "Query.perioExam", "Query.perioComparison"} <= _labels(FIELDS)
    assert {"Query.bpeRecords"} <= _labels(FIELDS)
    stock = {"Query.products", "Query.batches", "Query.batch", "Query.lowStock"}
    assert stock | {"Query.expiringBatches", "StockBatch.movements"} <= _labels(FIELDS)


def _holds(data: object, name: str) -> bool:
    """Whether ``name`` carries a value anywhere in ``data``."""
    if isinstance(data, dict):
        return any(
            (key == name and value is not None) or _holds(value, name)
            for key, value in data.items()
        )
    if isinstance(data, list):
        return any(_holds(item, name) for item in data)
    return False

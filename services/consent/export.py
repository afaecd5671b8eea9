"""Subject access and portability: everything held about one patient, as JSON plus a summary.

Tables come from the model registry, so a new patient-linked table appears without anyone
remembering to add it. Encrypted values are decrypted for the patient; blind indexes and
password or token material are left out, and the access log names who read or changed the record.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from db.crypto import CiphertextError, FieldContext
from db.models import PartnerClient, User
from services import audit, runtime
from services.consent import access
from services.consent.registry import patient_links
from services.policy import Scope
from services.principal import Principal

FORMAT = "aescrm.patient-export/1"
_TOKEN = re.compile(r"^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+$")
_WITHHELD = re.compile(r"(_index|password_hash|mfa_secret|payment_token|prev_hash|^hash)$")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _reveal(table: str, row: dict[str, Any], column: str, value: Any) -> Any:
    if not (isinstance(value, str) and _TOKEN.match(value)):
        return _plain(value)
    tenant = row.get("practice_id")
    if tenant is None:
        return "[encrypted]"
    ctx = FieldContext(str(tenant), table, column, str(row["id"]))
    try:
        return runtime.keyring().decrypt(value, ctx)
    except (CiphertextError, ValueError, KeyError):
        return "[unreadable: failed its integrity check]"


async def _rows(table: str, model: Any, column: str, patient_id: UUID) -> list[dict[str, Any]]:
    rows = await model.filter(**{column: patient_id}).values()
    return [
        {k: _reveal(table, row, k, v) for k, v in row.items() if not _WITHHELD.search(k)}
        for row in rows
    ]


async def _access_log(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {r["actor_user_id"] for r in rows if r.get("actor_user_id")}
    names = dict(await User.filter(id__in=list(ids)).values_list("id", "full_name")) if ids else {}
    clients = {r["client_id"] for r in rows if r.get("client_id")}
    apps = (
        dict(
            await PartnerClient.filter(client_id__in=list(clients)).values_list("client_id", "name")
        )
        if clients
        else {}
    )
    return [
        {
            "at": r["occurred_at"],
            "action": r["action"],
            "outcome": r["outcome"],
            "who": names.get(UUID(r["actor_user_id"])) if r.get("actor_user_id") else None,
            "role": r.get("actor_role"),
            "partner_client": r.get("client_id"),
            "partner_app": apps.get(r["client_id"]) if r.get("client_id") else None,
            "fields": r.get("fields_read"),
        }
        for r in sorted(rows, key=lambda r: str(r["occurred_at"]))
    ]


async def document(patient_id: UUID) -> dict[str, Any]:
    """The machine-readable export (no permission check: callers check first)."""
    records: dict[str, list[dict[str, Any]]] = {}
    for link in patient_links():
        found = await _rows(link.table, link.model, link.column, patient_id)
        records.setdefault(link.table, []).extend(found)
    return {
        "format": FORMAT,
        "generated_at": datetime.now(UTC).isoformat(),
        "patient_id": str(patient_id),
        "tables": sorted(records),
        "records": records,
        "access_log": await _access_log(records.get("audit_event", [])),
    }


def summary(doc: dict[str, Any]) -> str:
    """A short human-readable account of the export."""
    person = (doc["records"].get("patient") or [{}])[0]
    lines = [
        f"Data held about {person.get('first_name', '?')} {person.get('last_name', '?')} "
        f"(born {person.get('date_of_birth', '?')}), produced {doc['generated_at']}.",
        "",
    ]
    for table in doc["tables"]:
        count = len(doc["records"][table])
        lines.append(f"- {table.replace('_', ' ')}: {count} record{'s' if count != 1 else ''}")
    readers = sorted({a["who"] or a["partner_client"] or "system" for a in doc["access_log"]})
    lines += ["", f"People and systems who accessed the record: {', '.join(readers) or 'none'}."]
    return "\n".join(lines)


async def export_patient_data(principal: Principal, *, patient_id: UUID) -> dict[str, Any]:
    """Staff with consent:write, or the patient themselves (right of access)."""
    if principal.is_patient:
        patient = await access.readable(principal, patient_id)
    else:
        patient = await access.staff_with(
            principal, Scope.CONSENT_WRITE, patient_id, action="EXPORT patient data"
        )
    await audit.write(
        [
            audit.record_for(
                principal,
                action="EXPORT patient data",
                practice_id=access.practice_of(patient),
                entity_type="Patient",
                entity_id=patient.id,
                patient_id=patient.id,
            )
        ]
    )
    doc = await document(patient.id)
    doc["summary"] = summary(doc)
    return doc

"""Subject access and portability: everything held about one patient, as JSON plus a summary.

Tables come from the model registry, so a new patient-linked table appears without anyone
remembering to add it. Encrypted values are decrypted for the patient; blind indexes and
password or token material are left out, and the access log names who read or changed the record.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from db.crypto import CiphertextError, FieldContext
from db.queries import accounts
from db.queries import audit as audit_queries
from services import audit, runtime, tenant_gate
from services.consent import privacy_access
from services.consent.registry import patient_links
from services.patients import sealing
from services.policy import Scope
from services.principal import Principal

FORMAT = "aescrm.patient-export/1"
_TOKEN = re.compile(r"^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+$")
# Key material and storage names are never exported (a document's bytes: ``/documents/{id}``).
_WITHHELD = re.compile(
    r"(_index|password_hash|mfa_secret|payment_token|prev_hash|^hash|wrapped_key|blob_key"
    r"|thumbnail_key)$"
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


UNREADABLE = "[unreadable: failed its integrity check]"
JSON_COLUMNS = frozenset(
    (str(model._meta.db_table), column)
    for model, columns in sealing.JSON_COLUMNS.items()
    for column in columns
)


def withheld(column: str) -> bool:
    """Blind indexes, password and token material never leave, even to the patient."""
    return bool(_WITHHELD.search(column))


def _reveal(table: str, row: dict[str, Any], column: str, value: Any) -> Any:
    if not (isinstance(value, str) and _TOKEN.match(value)):
        return _plain(value)
    tenant = row.get("practice_id")
    if tenant is None:
        return "[encrypted]"
    ctx = FieldContext(str(tenant), table, column, str(row["id"]))
    try:
        text = runtime.keyring().decrypt(value, ctx)
    except (CiphertextError, ValueError, KeyError):
        return UNREADABLE
    # Structured values (address, emergency contact, GP, medical history) stay structured.
    return json.loads(text) if (table, column) in JSON_COLUMNS else text


async def _rows(table: str, model: Any, column: str, patient_id: UUID) -> list[dict[str, Any]]:
    rows = await model.filter(**{column: patient_id}).values()
    return [
        {k: _reveal(table, row, k, v) for k, v in row.items() if not withheld(k)} for row in rows
    ]


async def _access_log(patient_id: UUID, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who read or changed the record: rows naming the patient (``rows``, the export's own
    ``audit_event`` records) and reads that showed the patient among others (board reads)."""
    known = {str(r["id"]) for r in rows}
    shown = [
        {k: _plain(v) for k, v in row.items() if not withheld(k)}
        for row in await audit_queries.reads_naming(patient_id)
        if str(row["id"]) not in known
    ]
    rows = [*rows, *shown]
    ids = {r["actor_user_id"] for r in rows if r.get("actor_user_id")}
    names = await accounts.user_names(ids)
    clients = {r["client_id"] for r in rows if r.get("client_id")}
    apps = await accounts.client_names(clients)
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


async def document(
    patient_id: UUID, *, on_table: Callable[[str, int], None] | None = None
) -> dict[str, Any]:
    """The machine-readable export (no permission check: callers check first).

    ``on_table(table, rows)`` is told as each table is read (progress for the CLI).
    """
    records: dict[str, list[dict[str, Any]]] = {}
    for link in patient_links():
        found = await _rows(link.table, link.model, link.column, patient_id)
        records.setdefault(link.table, []).extend(found)
        if on_table is not None:
            on_table(link.table, len(found))
    return {
        "format": FORMAT,
        "generated_at": datetime.now(UTC).isoformat(),
        "patient_id": str(patient_id),
        "tables": sorted(records),
        "records": records,
        "access_log": await _access_log(patient_id, records.get("audit_event", [])),
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


async def export_patient_data(
    principal: Principal,
    *,
    patient_id: UUID,
    on_table: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Staff with consent:write, or the patient themselves (right of access)."""
    if principal.is_patient:
        patient = await privacy_access.readable(principal, patient_id)
    else:
        patient = await privacy_access.staff_with(
            principal, Scope.CONSENT_WRITE, patient_id, action="EXPORT patient data"
        )
    await audit.write(
        [
            audit.record_for(
                principal,
                action="EXPORT patient data",
                practice_id=tenant_gate.practice_of(patient),
                entity_type="Patient",
                entity_id=patient.id,
                patient_id=patient.id,
            )
        ]
    )
    doc = await document(patient.id, on_table=on_table)
    doc["summary"] = summary(doc)
    return doc

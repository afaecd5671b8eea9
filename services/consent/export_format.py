"""The published format of a patient export (``aescrm.patient-export/1``) as a JSON Schema.

Generated from the same model registry the export walks, so the schema and the export cannot
drift: ``export.schema.json`` beside ``schema.graphql`` is this function's output, kept in sync
by a test, and real exports are validated against it.
"""

from __future__ import annotations

import json
from typing import Any

from tortoise import Tortoise
from tortoise import fields as tfields
from tortoise.fields.relational import RelationalField
from tortoise.models import Model

from services.consent import export
from services.consent.registry import patient_links
from services.patients import key_rotation

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://aescrm.example/schemas/patient-export-1.json"

_STRING_FORMATS: tuple[tuple[type[tfields.Field[Any]], dict[str, Any]], ...] = (
    (tfields.UUIDField, {"type": "string", "format": "uuid"}),
    (tfields.DatetimeField, {"type": "string", "format": "date-time"}),
    (tfields.DateField, {"type": "string", "format": "date"}),
    (tfields.BooleanField, {"type": "boolean"}),
    (tfields.IntField, {"type": "integer"}),
    (tfields.BigIntField, {"type": "integer"}),
    (tfields.SmallIntField, {"type": "integer"}),
    (tfields.DecimalField, {"type": "number"}),
    (tfields.FloatField, {"type": "number"}),
    (tfields.BinaryField, {"type": "string", "contentEncoding": "base64"}),
    (tfields.CharField, {"type": "string"}),
    (tfields.TextField, {"type": "string"}),
)
_ENCRYPTED = frozenset(
    (str(target.model._meta.db_table), column)
    for target in key_rotation.targets()
    for column in target.columns
)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "type" not in schema:
        return schema
    return {**schema, "type": [schema["type"], "null"]}


def _column(table: str, name: str, field: tfields.Field[Any]) -> dict[str, Any]:
    if isinstance(field, tfields.JSONField):
        schema: dict[str, Any] = {"description": "JSON as stored (ids, codes, times)."}
    else:
        schema = next(
            (dict(s) for kind, s in _STRING_FORMATS if isinstance(field, kind)), {"type": "string"}
        )
    if (table, name) in export.JSON_COLUMNS:
        schema = {
            "oneOf": [
                {"type": "object", "description": "Decrypted structured value."},
                {"const": export.UNREADABLE},
            ]
        }
    elif (table, name) in _ENCRYPTED:
        schema = {"type": "string", "description": "Decrypted for the export."}
    if field.null:
        schema = {"oneOf": [schema, {"type": "null"}]} if "oneOf" in schema else _nullable(schema)
    return schema


def _row(model: type[Model]) -> dict[str, Any]:
    table = str(model._meta.db_table)
    properties: dict[str, Any] = {}
    for name, field in model._meta.fields_map.items():
        if isinstance(field, RelationalField) or export.withheld(name):
            continue
        if name not in model._meta.fields_db_projection:
            continue
        properties[name] = _column(table, name, field)
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _access_entry() -> dict[str, Any]:
    text = {"type": ["string", "null"]}
    return {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "action": {"type": "string"},
            "outcome": {"type": "string"},
            "who": text,
            "role": text,
            "partner_client": text,
            "partner_app": text,
            "fields": {"type": ["array", "null"], "items": {"type": "string"}},
        },
        "required": [
            *("at", "action", "outcome", "who", "role", "partner_client", "partner_app"),
            "fields",
        ],
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :func:`services.consent.export.document` (plus the summary)."""
    tables = {link.table: link.model for link in patient_links()}
    records = {
        table: {"type": "array", "items": _row(model)} for table, model in sorted(tables.items())
    }
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "AES CRM patient data export",
        "description": (
            "Everything held about one patient (UK GDPR Art. 15 and 20): one array of rows per "
            "patient-linked table, encrypted values decrypted, structured values as objects, "
            "blind indexes and secrets left out, and the access log."
        ),
        "type": "object",
        "properties": {
            "format": {"const": export.FORMAT},
            "generated_at": {"type": "string", "format": "date-time"},
            "patient_id": {"type": "string", "format": "uuid"},
            "tables": {
                "type": "array",
                "items": {"enum": sorted(tables)},
                "uniqueItems": True,
            },
            "records": {
                "type": "object",
                "properties": records,
                "required": sorted(tables),
                "additionalProperties": False,
            },
            "access_log": {"type": "array", "items": _access_entry()},
            "summary": {"type": "string", "description": "Human-readable account of the export."},
        },
        "required": ["format", "generated_at", "patient_id", "tables", "records", "access_log"],
        "additionalProperties": False,
    }


def schema_text() -> str:
    """``export.schema.json`` as written: stable key order, two-space indent, final newline."""
    if not Tortoise.apps:  # outside a running service: the registry without a database
        Tortoise.init_models(["db.models"], "models")
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

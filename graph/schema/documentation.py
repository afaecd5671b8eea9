"""Descriptions every argument and every protected field get, written once.

Partner tooling reads the schema by introspection, which shows descriptions but not applied
directives, so a protected field also names the scopes its ``@requires`` declares. Arguments that
mean the same on every field (paging, tenancy, time spans, a mutation's input) are described here
by name; the rest by ``Type.field.argument``. An argument its resolver already describes keeps
its own text. ``tests/test_schema_file.py`` fails on any argument left without a description.
"""

from __future__ import annotations

from graphql import GraphQLField, GraphQLNamedType, GraphQLSchema, get_named_type
from strawberry.schema.schema_converter import GraphQLCoreConverter

from graph.permissions.fields import declared_scopes

__all__ = ["document_schema"]

_BY_NAME = {
    "first": "How many items to return: 1 to 100 (`AESCRM_MAX_PAGE_SIZE`); a default page if null.",
    "after": "Continue after this cursor (a previous page's `pageInfo.endCursor`).",
    "practiceId": "The practice; it must be one of the caller's (else NOT_FOUND).",
    "patientId": "The patient; one the caller may see (else NOT_FOUND, as for a random id).",
    "from": "Start of the span, inclusive (ISO 8601 with offset).",
    "to": "End of the span, exclusive (ISO 8601 with offset).",
    "since": (
        "The last `sequence` the client processed: missed events are replayed first, then live "
        "ones follow with no gap or duplicate. Null: live events only."
    ),
    "practitionerIds": "Only these practitioners (null: all).",
    "roomIds": "Only these rooms (null: all).",
    "practitionerId": "Only this practitioner (null: any).",
    "appointmentTypeId": "The appointment type to fit (its duration, buffers and rules).",
}

_BY_FIELD = {
    "Query.auditEvents.filter": "Narrows the events; every given criterion must match.",
    "Query.patients.search": (
        "Name, NHS number, email or phone; names match by prefix and similarity (null: all)."
    ),
    "Query.recalls.until": "Recalls due on or before this day (null: today).",
    "Query.canContact.channel": "How the practice would contact the patient.",
    "Query.canContact.purpose": "Why: service messages, reminders, recalls or marketing.",
    "Query.subjectRequests.openOnly": "Only requests not yet completed (default true).",
    "Query.breachImpact.userId": "The staff or portal user whose access is examined.",
    "Query.breachImpact.clientId": "The partner app (OAuth client id) whose access is examined.",
}


def _described_argument(type_name: str, field_name: str, name: str, field: GraphQLField) -> str:
    specific = _BY_FIELD.get(f"{type_name}.{field_name}.{name}") or _BY_NAME.get(name)
    if specific:
        return specific
    argument_type = get_named_type(field.args[name].type)
    if name == "input":
        return f"What to do; see `{argument_type.name}`."
    if name == "id":
        return f"Id of the {get_named_type(field.type).name} to read."
    return ""


def _scope_sentence(field: GraphQLField) -> str:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    scopes = declared_scopes(definition) if definition is not None else ()
    if not scopes:
        return ""
    names = ", ".join(scope.name for scope in scopes)
    return f"Requires scope {names}." if len(scopes) == 1 else f"Requires scopes {names}."


def document_schema(schema: GraphQLSchema) -> None:
    for type_name, named in schema.type_map.items():
        fields: dict[str, GraphQLField] = getattr(named, "fields", None) or {}
        if type_name.startswith("__") or not isinstance(named, GraphQLNamedType):
            continue
        for field_name, field in fields.items():
            if not isinstance(field, GraphQLField):
                continue  # input object fields take no arguments
            sentence = _scope_sentence(field)
            if sentence and sentence not in (field.description or ""):
                described = field.description
                field.description = f"{described}\n\n{sentence}" if described else sentence
            for name, argument in field.args.items():
                if not argument.description:
                    text = _described_argument(type_name, field_name, name, field)
                    argument.description = text or None

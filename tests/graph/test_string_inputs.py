"""Every string input obeys one character rule, checked at the edge (issue 12, item 9).

Generated from the schema: every argument of every query and mutation that takes a string
(``String``, ``ID`` or a custom scalar written as a JSON string), directly or at any depth of
an input object or list, is sent a lone UTF-16 surrogate and a NUL byte as a variable, and a
NUL byte as a literal. Each is answered BAD_USER_INPUT naming the field, on both backends, and
nothing is logged as a crash. Subscriptions run over WebSocket: their arguments are covered in
``tests/realtime/test_malformed_wire.py``. A lone surrogate cannot be written as a literal (the
GraphQL lexer refuses ``"\\ud800"`` as a syntax error), so literals are tried with NUL only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationType,
    get_named_type,
    is_composite_type,
    is_required_argument,
    is_required_input_field,
)

from db.models import AuditEvent, DomainEvent, LoginThrottle, ProcessingRestriction, RefreshToken
from graph.schema import build_schema
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult

BAD = {"surrogate": "ok\ud800", "nul": "ok\x00"}
NON_STRING_SCALARS = {"Int", "Float", "Boolean"}
SAMPLES: dict[str, Any] = {
    "String": "x",
    "ID": "00000000-0000-4000-8000-000000000000",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": "2000-01-01",
    "DateTime": "2030-01-01T09:00:00+00:00",
    "JSON": {},
    "Decimal": "1",
}


@dataclass(frozen=True)
class Position:
    """One place a string goes: root field, argument, input-field path below it."""

    operation: str  # "query" or "mutation"
    field: GraphQLField
    field_name: str
    argument: str
    path: tuple[str, ...]

    @property
    def expected_field(self) -> str:
        return ".".join(self.path) if self.path else self.argument

    def __str__(self) -> str:
        return f"{self.field_name}({self.argument}){''.join('.' + p for p in self.path)}"


def _schema() -> GraphQLSchema:
    schema: GraphQLSchema = build_schema()._schema
    return schema


def _takes_a_string(type_: GraphQLInputType) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLScalarType) and named.name not in NON_STRING_SCALARS


def _paths(type_: GraphQLInputType, seen: frozenset[str]) -> Iterator[tuple[str, ...]]:
    """Input-field paths below ``type_`` that end in a string (each input type once per path)."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType):
        if named.name in seen:
            return
        for name, field in named.fields.items():
            for below in _paths(field.type, seen | {named.name}):
                yield (name, *below)
    elif _takes_a_string(type_):
        yield ()


def positions(operations: tuple[str, ...] = ("query", "mutation")) -> list[Position]:
    schema = _schema()
    found = []
    for operation in operations:
        root = schema.get_root_type(OperationType(operation))
        assert root is not None
        for field_name, field in root.fields.items():
            for argument, definition in field.args.items():
                for path in _paths(definition.type, frozenset()):
                    found.append(Position(operation, field, field_name, argument, path))
    return found


def _sample(type_: GraphQLInputType, path: tuple[str, ...], bad: str | None) -> Any:
    """A value of ``type_`` with every required field filled, and ``bad`` at ``path``."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, path, bad)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, path, bad)]
    if isinstance(type_, GraphQLInputObjectType):
        value = {}
        for name, field in type_.fields.items():
            if (path and path[0] == name) or is_required_input_field(field):
                here = path[1:] if path and path[0] == name else ()
                marked = bad if path and path[0] == name else None
                value[name] = _sample(field.type, here, marked)
        return value
    if bad is not None:
        return bad
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return SAMPLES[type_.name]


def _literal(value: Any, type_: GraphQLInputType) -> str:
    """``value`` written as a GraphQL literal (JSON string escapes are GraphQL's too)."""
    if isinstance(type_, GraphQLNonNull):
        return _literal(value, type_.of_type)
    if isinstance(type_, GraphQLList):
        return "[" + ", ".join(_literal(item, type_.of_type) for item in value) + "]"
    if isinstance(type_, GraphQLInputObjectType):
        fields = (f"{k}: {_literal(v, type_.fields[k].type)}" for k, v in value.items())
        return "{" + ", ".join(fields) + "}"
    if isinstance(type_, GraphQLEnumType) or isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict):
        return "{}"
    return json.dumps(value, ensure_ascii=True)


def document(position: Position, bad: str, *, literal: bool) -> tuple[str, dict[str, Any]]:
    """The operation calling the field, its arguments as variables (the tried one as a
    literal when ``literal``), and the variables."""
    definitions, arguments, variables = [], [], {}
    for name, definition in position.field.args.items():
        tried = name == position.argument
        if not (tried or is_required_argument(definition)):
            continue
        value = _sample(definition.type, position.path if tried else (), bad if tried else None)
        if tried and literal:
            arguments.append(f"{name}: {_literal(value, definition.type)}")
            continue
        definitions.append(f"${name}: {definition.type}")
        arguments.append(f"{name}: ${name}")
        variables[name] = value
    selection = " { __typename }" if is_composite_type(get_named_type(position.field.type)) else ""
    header = f"({', '.join(definitions)})" if definitions else ""
    call = f"{position.field_name}({', '.join(arguments)})"
    return f"{position.operation} Tried{header} {{ {call}{selection} }}", variables


POSITIONS = positions()


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> GraphQLResult:
    """Like ``tests.factories.gql``, with ``\\ud800`` escaped as JSON allows (httpx would
    fail to encode a lone surrogate itself)."""
    body = json.dumps({"query": query, "variables": variables}, ensure_ascii=True)
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", content=body.encode(), headers=headers)
    return GraphQLResult(response.status_code, response.json())


def test_the_generator_finds_the_known_string_inputs() -> None:
    names = {str(p) for p in POSITIONS}
    for known in (
        "login(input).email",
        "login(input).password",
        "placeRestriction(input).reason",
        "announcePracticeNotice(input).message",
        "createPatient(input).address.line1",
        "patients(search)",
    ):
        assert known in names, known
    assert len(POSITIONS) > 100  # the whole schema, not a sample


async def test_every_string_input_refuses_lone_surrogates_and_nul(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = []
    for position in POSITIONS:
        tries = [(kind, bad, False) for kind, bad in BAD.items()] + [("nul", BAD["nul"], True)]
        for kind, bad, literal in tries:
            query, variables = document(position, bad, literal=literal)
            result = await gql(client, query, variables)
            expected = ["BAD_USER_INPUT"]
            field = result.errors[0].get("extensions", {}).get("field") if result.errors else None
            if result.data is not None or result.codes != expected:
                wrong.append((str(position), kind, literal, result.codes, result.errors[:1]))
            elif field != position.expected_field:
                wrong.append((str(position), kind, literal, "field", field))
    assert wrong == []
    crashes = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert crashes == []


# --- the reported cases, with real callers: nothing is written, nothing crashes ---------------

LOGIN = "mutation($input: LoginInput!) { login(input: $input) { __typename } }"
PLACE = "mutation($input: PlaceRestrictionInput!) { placeRestriction(input: $input) { kind } }"
ANNOUNCE = """mutation($input: AnnouncePracticeNoticeInput!) {
  announcePracticeNotice(input: $input) { sequence }
}"""


@pytest.mark.parametrize("kind", list(BAD))
async def test_reported_mutations_answer_bad_user_input_and_change_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    bad = BAD[kind]
    practice = await factories.practice()
    patient = await factories.patient(practice)
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    audit_rows, events = await AuditEvent.all().count(), await DomainEvent.all().count()

    login = await gql(client, LOGIN, {"input": {"email": f"a{bad}@example.test", "password": bad}})
    place = await gql(
        client,
        PLACE,
        {"input": {"patientId": str(patient.id), "kind": "RESTRICTION", "reason": bad}},
        token=admin,
    )
    announce = await gql(
        client, ANNOUNCE, {"input": {"practiceId": str(practice.id), "message": bad}}, token=admin
    )

    for result, field in ((login, "email"), (place, "reason"), (announce, "message")):
        assert result.data is None
        assert result.codes == ["BAD_USER_INPUT"]
        assert result.errors[0]["extensions"]["field"] == field
    assert await ProcessingRestriction.all().count() == 0
    assert await RefreshToken.all().count() == 0
    assert await LoginThrottle.all().count() == 0
    assert await DomainEvent.all().count() == events
    assert await AuditEvent.all().count() == audit_rows
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

"""Inputs checked once, at the edge, before any resolver runs (HTTP and WebSocket alike).

- Every string a client sends, in a variable or a literal, at any depth of an input object,
  obeys :mod:`services.characters` (no control characters, no lone surrogates); a breach is a
  ``BAD_USER_INPUT`` request error naming the field, so no resolver, database or log sees it.
- Variables that fail coercion (a missing required variable or input field, an unknown field,
  a wrong type, nesting too deep) are ``BAD_USER_INPUT`` request errors naming the field, with
  a message that never echoes the value (graphql-core's quote it, and it may be patient data).

``field`` follows the services' convention: the input field's path below the argument
(``address.line1``), or the argument's name when the argument itself is the string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLSchema,
    ObjectFieldNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationContext,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_nullable_type,
    is_input_object_type,
    is_input_type,
    is_list_type,
    type_from_ast,
    visit,
)

from graph.errors import InputRefused
from services.characters import character_problem

__all__ = ["StringCharacters", "as_request_errors", "nested_too_deeply", "refuse_variables"]

BAD_USER_INPUT = "BAD_USER_INPUT"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_COERCION = re.compile(
    r"Variable '\$(?P<variable>\w+)' has invalid (?:default )?value"
    r"(?: at (?P<path>[^:]*))?: (?P<reason>.*)",
    re.DOTALL,
)


def _error(message: str, field: str | None, nodes: Any = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": BAD_USER_INPUT}
    if field:
        extensions["field"] = field
    return InputRefused(message, nodes, extensions=extensions)


# --- where each variable is used -------------------------------------------------------------


class _InputPath:
    """Tracks the argument and input-field names from an argument down to where a visit is."""

    names: list[str]

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.names.append(node.name.value)

    def leave_argument(self, *_: Any) -> None:
        self.names.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.names.append(node.name.value)

    def leave_object_field(self, *_: Any) -> None:
        self.names.pop()


class _Positions(_InputPath, Visitor):
    """The field each variable feeds: its argument, or its input field path in a literal."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.found: dict[str, list[str]] = {}

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if self.names:  # not the variable's own definition
            self.found.setdefault(node.name.value, list(self.names))


def _field(names: list[str], below: Iterable[str]) -> str:
    """``names`` from the argument down, then the path inside the value: the argument is
    dropped once an input field names the spot (services name ``email``, not ``input.email``)."""
    path = [*names[1:], *below]
    return ".".join(path) if path else names[0]


def _positions(document: DocumentNode) -> dict[str, list[str]]:
    positions = _Positions()
    visit(document, positions)
    return positions.found


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation that will run (None when ambiguous: graphql-core reports that)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


# --- strings in variables --------------------------------------------------------------------


def refuse_variables(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> list[GraphQLError]:
    """One error for the first string (in definition order) that breaks the character rule.

    Values are walked along their declared types, iteratively (a hostile value cannot exhaust
    the stack); values that do not fit their type are left to coercion, which refuses them.
    """
    operation = _operation(document, operation_name)
    if not variables or operation is None:
        return []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in variables:
            continue
        declared = type_from_ast(schema, definition.type)
        if not is_input_type(declared):
            continue  # an unknown type: validation has refused the document
        for value, below in _strings(variables[name], declared):
            if character_problem(value, name) is None:
                continue
            # Only a refused string needs the field it feeds: walking the document for it on
            # every request cost a board ~2 % of its CPU.
            used = _positions(document).get(name)
            field = _field(used, below) if used else ".".join(below) or name
            problem = character_problem(value, field)
            if problem is not None:
                return [_error(problem.message, field, definition)]
    return []


def _strings(value: Any, declared: GraphQLInputType) -> Iterable[tuple[str, tuple[str, ...]]]:
    """Every string in ``value`` where its type expects a leaf, with its input-field path."""
    stack: list[tuple[Any, Any, tuple[str, ...]]] = [(value, declared, ())]
    while stack:
        item, type_, path = stack.pop()
        type_ = get_nullable_type(type_)
        if is_list_type(type_):
            items = item if isinstance(item, list) else [item]
            stack.extend((each, type_.of_type, path) for each in reversed(items))
        elif is_input_object_type(type_):
            if isinstance(item, dict):
                fields = [(k, f) for k, f in type_.fields.items() if k in item]
                stack.extend((item[k], f.type, (*path, k)) for k, f in reversed(fields))
        elif isinstance(item, str):
            yield item, path
        elif isinstance(item, dict):  # a structured scalar's value (JSON): keys and values
            stack.extend((each, type_, path) for each in (*item, *item.values()))
        elif isinstance(item, list):
            stack.extend((each, type_, path) for each in item)


# --- strings in literals ---------------------------------------------------------------------


class StringCharacters(_InputPath, ASTValidationRule):
    """The character rule for string literals in the document (arguments, defaults)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.names: list[str] = []

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        self.names.append(node.variable.name.value)

    def leave_variable_definition(self, *_: Any) -> None:
        self.names.pop()

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        field = _field(self.names, ()) if self.names else "query"
        problem = character_problem(node.value, field)
        if problem is not None:
            self.report_error(_error(problem.message, field, node))


# --- coercion errors -------------------------------------------------------------------------


def nested_too_deeply() -> list[GraphQLError]:
    """graphql-core raises RecursionError for variables nested deeper than it will coerce."""
    return [_error("The variables are nested too deeply.", None)]


def as_request_errors(errors: list[GraphQLError], document: DocumentNode) -> list[GraphQLError]:
    """graphql-core's pre-execution errors as coded request errors without echoed values."""
    positions: dict[str, list[str]] | None = None
    coded: list[GraphQLError] = []
    for error in errors:
        match = _COERCION.fullmatch(error.message)
        if match is None:  # "Unknown operation named ...", "Must provide an operation."
            coded.append(_error(_printable(error.message), None, error.nodes))
            continue
        if positions is None:
            positions = _positions(document)
        variable = match["variable"]
        parts = re.split(r"[.\[\]]", match["path"] or "")
        below = [part for part in parts if _NAME.fullmatch(part)]
        reason, named = _reason(match["reason"])
        if named:
            below.append(named)
        used = positions.get(variable)
        field = _field(used, below) if used else ".".join(below) or variable
        coded.append(_error(f"Variable '${variable}' is invalid: {reason}", field, error.nodes))
    return coded


def _reason(text: str) -> tuple[str, str | None]:
    """graphql-core's reason with the value cut off, and the input field it names (if any)."""
    if match := re.match(r"Expected value of type '(\w+)' to include required field '(\w+)'", text):
        return f"the required field '{match[2]}' of {match[1]} is missing.", match[2]
    if match := re.match(r"Expected value of type '(\w+)' not to include unknown field", text):
        return f"it has a field that {match[1]} does not define.", None
    if "to be provided" in text:
        return "a value is required.", None
    if "not to be None" in text:
        return "it must not be null.", None
    if match := re.match(r"Expected value of type '(\w+)' to be an object", text):
        return f"expected an object of type {match[1]}.", None
    if match := re.match(r"(\w+) cannot represent|Expected value of type '(\w+)'", text):
        return f"expected a value of type {match[1] or match[2]}.", None
    return "the value does not fit its type.", None


def _printable(message: str) -> str:
    """A message safe to encode as UTF-8 (a client-chosen name may hold a lone surrogate)."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")

"""Client ids become UUIDs at the edge: a malformed id is bad input, never a server error.

The error names the field as the client wrote it (``practiceId``), taken from Strawberry's own
field definition, so nobody types a field's name twice and a rename cannot leave a stale name
in an error. Two ways in, both inside the resolver (so ``@requires`` has already run):

- an input that inherits :class:`IdFields` converts its own ID fields:
  ``input.ids.practice_id`` (required), ``input.optional_ids.room_id`` (``None`` when null or
  not sent), ``input.id_lists.resource_ids`` (``[]`` when null, at most 100);
- a plain argument is passed by keyword, its Python name giving the GraphQL one:
  ``id_argument(patient_id=patient_id)``, ``optional_id_argument(...)``,
  ``id_list_argument(...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import strawberry
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from services.errors import ValidationFailed

MAX_IDS = 100


def parse_id(value: object, field: str) -> UUID:
    """``value`` as a UUID; ``field`` is the GraphQL name the client sent it under."""
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationFailed(f"'{field}' is not a valid id.", field=field) from None


def _optional(value: object, field: str) -> UUID | None:
    if not value or value is strawberry.UNSET:  # null, not sent, or "": no id
        return None
    return parse_id(value, field)


def _many(values: Iterable[object] | None, field: str) -> list[UUID]:
    if values is None or values is strawberry.UNSET:
        return []
    listed = list(values)
    if len(listed) > MAX_IDS:
        raise ValidationFailed(f"At most {MAX_IDS} ids.", field=field)
    return [parse_id(value, field) for value in listed]


_NAMES: dict[tuple[type, str], str] = {}


def graphql_name(input_type: type, python_name: str) -> str:
    """The name the schema gives ``input_type``'s field ``python_name``."""
    known = _NAMES.get((input_type, python_name))
    if known is not None:
        return known
    definition = get_object_definition(input_type, strict=True)
    for field in definition.fields:
        if field.python_name == python_name:
            name = field.graphql_name or to_camel_case(python_name)
            _NAMES[input_type, python_name] = name
            return name
    raise AttributeError(f"{input_type.__name__} has no field {python_name!r}")


class _Fields:
    __slots__ = ("_input",)

    def __init__(self, input_: object) -> None:
        self._input = input_

    def _read(self, python_name: str) -> tuple[object, str]:
        if python_name.startswith("_"):
            raise AttributeError(python_name)
        field = graphql_name(type(self._input), python_name)
        return getattr(self._input, python_name), field


class _Required(_Fields):
    def __getattr__(self, python_name: str) -> UUID:
        value, field = self._read(python_name)
        return parse_id(value, field)


class _Optional(_Fields):
    def __getattr__(self, python_name: str) -> UUID | None:
        value, field = self._read(python_name)
        return _optional(value, field)


class _Lists(_Fields):
    def __getattr__(self, python_name: str) -> list[UUID]:
        value, field = self._read(python_name)
        return _many(value, field)  # type: ignore[arg-type]


class IdFields:
    """Mixin for Strawberry inputs: their ID fields read as UUIDs (see the module docstring)."""

    @property
    def ids(self) -> _Required:
        return _Required(self)

    @property
    def optional_ids(self) -> _Optional:
        return _Optional(self)

    @property
    def id_lists(self) -> _Lists:
        return _Lists(self)


def _one(argument: dict[str, object]) -> tuple[object, str]:
    if len(argument) != 1:
        raise TypeError("pass exactly one argument, by its Python name")
    ((python_name, value),) = argument.items()
    return value, to_camel_case(python_name)


def id_argument(**argument: strawberry.ID) -> UUID:
    """``id_argument(patient_id=patient_id)``: the argument as a UUID, errors naming
    ``patientId``."""
    value, field = _one(dict(argument))
    return parse_id(value, field)


def optional_id_argument(**argument: strawberry.ID | None) -> UUID | None:
    value, field = _one(dict(argument))
    return _optional(value, field)


def id_list_argument(**argument: list[strawberry.ID] | None) -> list[UUID]:
    value, field = _one(dict(argument))
    return _many(value, field)  # type: ignore[arg-type]

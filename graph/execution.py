"""graphql-core execution with one extension point: lists of plain objects completed in bulk.

graphql-core completes a list field by field: for every item and every selected field it builds
a resolve info, calls a resolver (Strawberry adds its own ``Info`` and extension wrappers), and
completes the value. That costs a few microseconds per field, which is most of the CPU of a
300-appointment board (~6,000 fields).

A resolver may instead return a :class:`PlainList` for a list of simple Strawberry objects.
Our executor completes it with a plan compiled once per list from graphql-core's own field
collection (so aliases, fragments, ``@skip``/``@include`` and ``__typename`` behave exactly as
usual), reading attributes directly and running each ``@requires`` check through the very
permission object the normal path would call. Denials go through graphql-core's own error
handling, so the field is null and the FORBIDDEN error sits at the same path.

Whenever a selected field is not plain (a resolver with arguments or ``info``, an async
resolver, any other field extension, a non-null protected field, an abstract type), the list
falls back to ordinary field-by-field execution, which also happens under any other executor,
since a :class:`PlainList` iterates as its objects.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    is_leaf_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.exceptions import PermissionReturnedNonBooleanError
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

__all__ = ["Executor", "PlainList"]

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


class PlainList:
    """A list of simple Strawberry objects; iterating yields them unchanged."""

    __slots__ = ("items",)

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def complete(
        self,
        executor: Executor,
        item_type: GraphQLOutputType,
        fields: FieldDetailsList,
        path: Path,
    ) -> list[Any] | None:
        """The completed list, or None to let graphql-core complete it field by field."""
        plan = _Planner(executor).value(item_type, fields)
        if plan is None:
            return None
        complete, needs_path = plan
        if not needs_path:
            return [complete(item, None) for item in self.items]
        return [complete(item, Path(path, i, None)) for i, item in enumerate(self.items)]


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing :class:`PlainList` values in bulk."""

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if type(result) is PlainList:
            completed = result.complete(self, return_type.of_type, field_details_list, path)
            if completed is not None:
                return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )


# Completes a value given its path (None where nothing below can fail or be denied).
_Complete = Callable[[Any, Path | None], Any]
# Completes one field of a source object given the object's path.
_Step = Callable[[Any, Path | None], Any]
# A completer and whether it needs real paths (it reports errors somewhere below).
_Plan = tuple[_Complete, bool]


@dataclass(slots=True)
class _FieldInfo:
    """What ``HasScope`` reads from ``info``: the context, the field name and the path."""

    context: Any
    field_name: str
    path: Path


class _Planner:
    """Compiles a selection on a type into closures, once per list per request."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def value(self, type_: GraphQLOutputType, fields: FieldDetailsList) -> _Plan | None:
        nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if is_leaf_type(nullable):
            return _leaf(nullable), False
        if is_object_type(nullable):
            return self.object(nullable, fields)
        return None  # lists within items, interfaces and unions: the ordinary path

    def object(self, type_: GraphQLObjectType, fields: FieldDetailsList) -> _Plan | None:
        if type_.is_type_of is not None:
            return None
        collected = self.executor.collect_subfields(type_, fields)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            return None
        steps: list[tuple[str, _Step]] = []
        needs_path = False
        for key, details in collected.grouped_field_set.items():
            step = self.field(type_, key, details)
            if step is None:
                return None
            steps.append((key, step[0]))
            needs_path = needs_path or step[1]

        def complete(source: Any, path: Path | None) -> dict[str, Any]:
            return {key: step(source, path) for key, step in steps}

        if needs_path:
            return complete, True
        # Nothing below depends on the path: an object met again (one practitioner on 25
        # appointments) is completed once for this selection.
        done: dict[int, dict[str, Any]] = {}

        def shared(source: Any, path: Path | None) -> dict[str, Any]:
            found = done.get(id(source))
            if found is None:
                found = done[id(source)] = complete(source, path)
            return found

        return shared, False

    def field(
        self, parent: GraphQLObjectType, key: str, details: FieldDetailsList
    ) -> tuple[_Step, bool] | None:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            typename = parent.name
            return (lambda _source, _path: typename), False
        graphql_field = parent.fields.get(name)
        if graphql_field is None or node.arguments or graphql_field.args:
            return None
        definition = graphql_field.extensions.get(_DEFINITION)
        if not isinstance(definition, StrawberryField):
            return None
        read = _reader(definition)
        permissions = _permissions(definition)
        return_type = graphql_field.type
        nullable = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if read is None or permissions is None or is_list_type(nullable):
            return None
        plan = self.value(return_type, details)
        if plan is None:
            return None
        inner, inner_needs_path = plan
        checked = bool(permissions) or definition.base_resolver is not None
        if not checked and not inner_needs_path:
            if isinstance(return_type, GraphQLNonNull):
                return (lambda source, _path: inner(read(source), None)), False
            return (
                lambda source, _path: (
                    None if (value := read(source)) is None else inner(value, None)
                )
            ), False
        if isinstance(return_type, GraphQLNonNull) and checked:
            return None  # a failure here would null the parent: leave that to graphql-core
        executor = self.executor
        context = executor.context_value
        typename = parent.name
        # Outcomes that were True, per permission and decision key (one practice's board
        # is checked once); a denial is re-checked per row so each is audited and reported.
        granted: list[tuple[BasePermission, Callable[[Any, Any], object] | None, set[object]]]
        granted = [(p, getattr(p, "decision_key", None), set()) for p in permissions]

        def guarded(source: Any, path: Path | None) -> Any:
            here = Path(path, key, typename)
            try:
                for permission, decision_key, known in granted:
                    memo = decision_key(source, context) if decision_key is not None else None
                    if memo is not None and memo in known:
                        continue
                    info: Any = _FieldInfo(context, name, here)
                    allowed = permission.has_permission(source, info)
                    if not isinstance(allowed, bool):
                        raise PermissionReturnedNonBooleanError(permission, allowed)
                    if not allowed:
                        permission.on_unauthorized()  # raises, as under PermissionExtension
                    if memo is not None:
                        known.add(memo)
                value = read(source)
            except Exception as error:  # graphql-core's own handling, as for any resolver
                executor.handle_field_error(error, return_type, details, here)
                return None
            return None if value is None else inner(value, here)

        return guarded, True


def _leaf(type_: GraphQLLeafType) -> _Complete:
    """``serialize``, skipping the call where it is the identity or a pure lookup."""
    serialize = type_.serialize
    if type_ is GraphQLString or type_ is GraphQLID:  # a str is returned unchanged
        return lambda value, _path: value if type(value) is str else serialize(value)
    if type_ is GraphQLBoolean:
        return lambda value, _path: value if type(value) is bool else serialize(value)
    if isinstance(type_, GraphQLEnumType):
        names: dict[Any, Any] = {}

        def enum(value: Any, _path: Path | None) -> Any:
            found = names.get(value)
            if found is None:
                found = names[value] = serialize(value)
            return found

        return enum
    return lambda value, _path: serialize(value)


def _reader(field: StrawberryField) -> Callable[[Any], Any] | None:
    """How to read the field from its source without building an ``Info``."""
    resolver = field.base_resolver
    if resolver is None:
        if field.default_resolver is not getattr:
            return None
        return attrgetter(field.python_name)
    if (
        resolver.is_async
        or resolver.arguments
        or resolver.info_parameter is not None
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
    ):
        return None
    if resolver.self_parameter is None:
        return lambda _source: resolver()
    return resolver


def _permissions(field: StrawberryField) -> list[BasePermission] | None:
    """The field's permission checks when they are its only extension (else None)."""
    found: list[BasePermission] = []
    for extension in field.extensions:
        if not isinstance(extension, PermissionExtension) or extension.fail_silently:
            return None
        for permission in extension.permissions:
            if inspect.iscoroutinefunction(permission.has_permission):
                return None
            found.append(permission)
    return found

"""graphql-core execution with one extension point: lists of plain objects completed in bulk.

graphql-core completes a list field by field: for every item and every selected field it builds
a resolve info, calls a resolver (Strawberry adds its own ``Info`` and extension wrappers), and
completes the value. That costs a few microseconds per field, which is most of the CPU of a
300-appointment board (~6,000 fields).

A resolver may instead return a :class:`PlainList` for a list of simple Strawberry objects.
Our executor completes it with a plan built once per list from graphql-core's own field
collection (so aliases, fragments, ``@skip``/``@include`` and ``__typename`` behave exactly as
usual): each object selection becomes one generated Python function that reads attributes
and serialises leaves inline (the code is compiled once per distinct selection per process),
and each ``@requires`` check runs through the very permission object the normal path would
call, once per decision key. Denials go through graphql-core's own error handling, so the
field is null and the FORBIDDEN error sits at the same path.

Whenever a selected field is not plain (a resolver with arguments or ``info``, an async
resolver, any other field extension, a non-null protected field, an abstract type), the list
falls back to ordinary field-by-field execution, which also happens under any other executor,
since a :class:`PlainList` iterates as its objects.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from types import CodeType
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
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

from graph import request_inputs

__all__ = ["CheckedExecutor", "Executor", "PlainList"]

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


class CheckedExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, where variables enter: ``build`` coerces them, for queries,
    mutations and subscriptions alike. :mod:`graph.request_inputs` checks their strings first
    and turns coercion failures into coded request errors. Used whatever the shortcut setting.
    """

    @classmethod
    def build(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[GraphQLError] | CheckedExecutor:
        refused = request_inputs.refuse_variables(
            schema, document, operation_name, raw_variable_values
        )
        if refused:
            return refused
        try:
            built = super().build(
                schema,
                document,
                root_value,
                context_value,
                raw_variable_values,
                operation_name,
                *args,
                **kwargs,
            )
        except RecursionError:  # graphql-core's guard for values nested too deeply
            return request_inputs.nested_too_deeply()
        if isinstance(built, list):
            return request_inputs.as_request_errors(built, document)
        return built  # type: ignore[return-value]


class Executor(CheckedExecutor):
    """:class:`CheckedExecutor` completing :class:`PlainList` values in bulk (the shortcut)."""

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
# Per permission of a field: its decision key function, and the keys it allowed so far.
_Granted = list[tuple[BasePermission, Callable[[Any], object] | None, set[object]]]


@dataclass(slots=True)
class _FieldInfo:
    """What ``HasScope`` reads from ``info``: the context, the field name and the path."""

    context: Any
    field_name: str
    path: Path


class _Planner:
    """Compiles a selection on a type into Python functions, once per list per request.

    Each object selection becomes one generated function returning the response dict: plain
    fields are inlined (attribute read, leaf serialisation), so an appointment costs one call
    instead of a closure per selected field.
    """

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.names = itertools.count()

    def bind(self, value: object, bindings: dict[str, Any]) -> str:
        name = f"_b{next(self.names)}"
        bindings[name] = value
        return name

    def value(self, type_: GraphQLOutputType, fields: FieldDetailsList) -> _Plan | None:
        nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if is_leaf_type(nullable):
            bindings: dict[str, Any] = {}
            body = self.leaf(nullable, "value", bindings)
            return _compile("value, _path", body, bindings), False
        if is_object_type(nullable):
            return self.object(nullable, fields)
        return None  # lists within items, interfaces and unions: the ordinary path

    def object(self, type_: GraphQLObjectType, fields: FieldDetailsList) -> _Plan | None:
        if type_.is_type_of is not None:
            return None
        collected = self.executor.collect_subfields(type_, fields)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            return None
        bindings: dict[str, Any] = {}
        parts: list[str] = []
        needs_path = False
        for key, details in collected.grouped_field_set.items():
            code = self.field(type_, key, details, bindings)
            if code is None:
                return None
            parts.append(f"{key!r}: {code[0]}")
            needs_path = needs_path or code[1]
        complete = _compile("source, path", "{" + ", ".join(parts) + "}", bindings)
        if needs_path:
            return complete, True
        # Nothing below depends on the path: an object met again (one practitioner on 25
        # appointments) is completed once for this selection.
        return _Shared(complete), False

    def field(
        self,
        parent: GraphQLObjectType,
        key: str,
        details: FieldDetailsList,
        bindings: dict[str, Any],
    ) -> tuple[str, bool] | None:
        """The expression completing this field of ``source``, and whether it reads ``path``."""
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            return repr(parent.name), False
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
        checked = bool(permissions) or definition.base_resolver is not None
        if not checked and is_leaf_type(nullable):
            value = self.read(definition, read, bindings)
            if isinstance(return_type, GraphQLNonNull):
                return self.leaf(nullable, value, bindings), False
            leaf = self.leaf(nullable, "_n", bindings)
            return f"(None if (_n := {value}) is None else {leaf})", False
        plan = self.value(return_type, details)
        if plan is None:
            return None
        inner, inner_needs_path = plan
        if not checked and not inner_needs_path:
            value = self.read(definition, read, bindings)
            if isinstance(return_type, GraphQLNonNull):
                return self.inner(inner, value, bindings), False
            return (
                f"(None if (_n := {value}) is None else {self.inner(inner, '_n', bindings)})",
                False,
            )
        if isinstance(return_type, GraphQLNonNull) and checked:
            return None  # a failure here would null the parent: leave that to graphql-core
        context = self.executor.context_value
        granted: _Granted = [(p, _decision_key(p, context), set()) for p in permissions]
        step = self.bind(self.guarded(parent, key, details, read, granted, inner), bindings)
        slow = f"{step}(source, path)"
        plain = definition.base_resolver is None  # reading it cannot raise
        if len(granted) != 1 or granted[0][1] is None or inner_needs_path or not plain:
            return slow, True
        # Once this decision key was granted, later rows skip the check (and their paths).
        _, decision_key, known = granted[0]
        value = self.read(definition, read, bindings)
        fast = f"(None if (_n := {value}) is None else {self.inner(inner, '_n', bindings)})"
        test = f"{self.bind(decision_key, bindings)}(source) in {self.bind(known, bindings)}"
        return f"({fast} if {test} else {slow})", True

    def inner(self, complete: _Complete, value: str, bindings: dict[str, Any]) -> str:
        """An expression completing the object ``value`` (no path needed below it)."""
        if isinstance(complete, _Shared):  # the memo is inline: no call of ours when met,
            # and one (the completer's) when not: most boards' patients are met once each
            done, fill = self.bind(complete.done, bindings), self.bind(complete.complete, bindings)
            return (
                f"({done}[_k] if (_k := id(_o := {value})) in {done} "
                f"else {done}.setdefault(_k, {fill}(_o, None)))"
            )
        return f"{self.bind(complete, bindings)}({value}, None)"

    def read(
        self, definition: StrawberryField, read: Callable[[Any], Any], bindings: dict[str, Any]
    ) -> str:
        """An expression reading the field from ``source``: the attribute itself if plain."""
        if definition.base_resolver is None and definition.python_name.isidentifier():
            return f"source.{definition.python_name}"
        return f"{self.bind(read, bindings)}(source)"

    def leaf(self, type_: GraphQLLeafType, value: str, bindings: dict[str, Any]) -> str:
        """An expression serialising ``value``, skipping the call where it is the identity."""
        serialize = self.bind(type_.serialize, bindings)
        if type_ is GraphQLString or type_ is GraphQLID:  # a str is returned unchanged
            return f"(_v if type(_v := {value}) is str else {serialize}(_v))"
        if type_ is GraphQLBoolean:
            return f"(_v if type(_v := {value}) is bool else {serialize}(_v))"
        if isinstance(type_, GraphQLEnumType):
            return f"{self.bind(_EnumNames(type_.serialize), bindings)}[{value}]"
        return f"{serialize}({value})"

    def guarded(
        self,
        parent: GraphQLObjectType,
        key: str,
        details: FieldDetailsList,
        read: Callable[[Any], Any],
        granted: _Granted,
        inner: _Complete,
    ) -> _Step:
        """A field behind ``@requires`` or a resolver: checked, errors reported at its path."""
        executor = self.executor
        context = executor.context_value
        typename = parent.name
        name = details[0].node.name.value
        return_type = parent.fields[name].type
        # ``granted``: per permission, its decision key and the keys that were allowed (one
        # practice's board is checked once); a denial is re-checked per row so each is
        # reported at its path and counted in the request's audit row.

        def guarded(source: Any, path: Path | None) -> Any:
            try:
                for permission, decision_key, known in granted:
                    memo = decision_key(source) if decision_key is not None else None
                    if memo is not None and memo in known:
                        continue
                    info: Any = _FieldInfo(context, name, Path(path, key, typename))
                    allowed = permission.has_permission(source, info)
                    if not isinstance(allowed, bool):
                        raise PermissionReturnedNonBooleanError(permission, allowed)
                    if not allowed:
                        permission.on_unauthorized()  # raises, as under PermissionExtension
                    if memo is not None:
                        known.add(memo)
                value = read(source)
            except Exception as error:  # graphql-core's own handling, as for any resolver
                here = Path(path, key, typename)
                executor.handle_field_error(error, return_type, details, here)
                return None
            return None if value is None else inner(value, Path(path, key, typename))

        return guarded


class _Shared:
    """Completes each object once per selection (by identity: the sources live as long as
    the list being completed, so an id is never reused meanwhile)."""

    __slots__ = ("complete", "done")

    def __init__(self, complete: _Complete) -> None:
        self.complete = complete
        self.done: dict[int, Any] = {}

    def fill(self, source: Any) -> Any:
        found = self.done[id(source)] = self.complete(source, None)
        return found

    def __call__(self, source: Any, path: Path | None) -> Any:
        found = self.done.get(id(source))
        return self.fill(source) if found is None else found


def _decision_key(permission: BasePermission, context: Any) -> Callable[[Any], object] | None:
    """The permission's key function for this request (``HasScope.decision_keys``), if any."""
    keys = getattr(permission, "decision_keys", None)
    return None if keys is None else keys(context)


def _compile(arguments: str, expression: str, bindings: dict[str, Any]) -> _Complete:
    """``def complete(arguments): return expression``, with ``bindings`` as its globals.

    Expressions are built from schema attribute names and response keys (``repr``), never
    from values. The same selection gives the same text, so compiling happens once per
    distinct selection per process; each request only binds its own closures.
    """
    source = f"def complete({arguments}):\n    return {expression}\n"
    code = _compiled.get(source)
    if code is None:
        if len(_compiled) >= _COMPILED_MAX:
            _compiled.clear()
        code = _compiled[source] = compile(source, "<graph.engine.execution plan>", "exec")
    namespace = dict(bindings)
    exec(code, namespace)  # noqa: S102 - our own generated code, see above
    return namespace["complete"]  # type: ignore[no-any-return]


_COMPILED_MAX = 512
_compiled: dict[str, CodeType] = {}


class _EnumNames(dict[Any, Any]):
    """Enum values to their serialised names, each serialised on first use."""

    def __init__(self, serialize: Callable[[Any], Any]) -> None:
        super().__init__()
        self.serialize = serialize

    def __missing__(self, value: Any) -> Any:
        found = self[value] = self.serialize(value)
        return found


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

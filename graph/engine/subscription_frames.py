"""A subscription's ``next`` frames, finished once per group of sockets (the engine shortcut).

Over graphql-transport-ws (``graph.engine.ws_handler`` sets :data:`OPERATION_SINK` for each
operation) the subscription's selection is executed once per event for every subscriber sharing
the operation document, the variables its selection reads and the principal's permissions; the
finished ``{"data", "errors"}`` payload is serialized once and each socket only gets its
operation id spliced in, written by the feed itself when the socket can take it at once
(``graph.engine.ws_protocol``). Without a sink (the shortcut off, or the legacy protocol) the
resolver hands Strawberry the rendered events instead.

Internals relied on: graphql-core's ``ExecutionContext.build`` / ``build_per_event_executor``
/ ``execute_operation`` and Strawberry's ``Schema._schema`` (``tests/test_upstream_contracts.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    visit,
)
from graphql import ExecutionResult as CoreResult

from db.audit_chain import AuditRecord
from graph.context import Context, Info
from graph.errors import classify
from graph.schema.event_visibility import as_seen_by
from realtime.subscriber import Stop
from services import audit
from services.audit import ReadTrail
from services.principal import Principal

__all__ = [
    "OPERATION_SINK",
    "Frames",
    "OperationSink",
    "Payload",
    "audit_new",
    "background",
    "encoder",
    "numbering_for",
]

_background_tasks: set[asyncio.Task[None]] = set()


@dataclass(frozen=True, slots=True)
class OperationSink:
    """The graphql-transport-ws operation a subscription runs for, and how to write its frames."""

    operation_id: str
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    send_text: Callable[[str], Awaitable[None]]
    # Writes a text frame now if the socket can take it (``graph.engine.ws_protocol``), else False.
    write_text: Callable[[str], bool] | None = None
    # Takes the live subscription's "end" so the operation's task can finish without a
    # ``complete``: the handler ends it on ``complete`` or disconnect (``graph.view``).
    detach: Callable[[Callable[[], None]], None] | None = None
    # Sends the operation's ``complete`` (and forgets its id) when a detached one is stopped.
    finish: Callable[[], Awaitable[None]] | None = None


OPERATION_SINK: ContextVar[OperationSink | None] = ContextVar("aescrm_sink", default=None)


@dataclass(frozen=True, slots=True)
class Payload:
    """One operation's finished ``next`` payload for one event, shared by many sockets."""

    text: str  # the JSON of {"data": ..., "errors": [...]}
    trail: ReadTrail | None  # reads and denials made while executing it (None: nothing)
    # What the trail audits (see ``_audit_key``), as bits of its encode key's numbering.
    audit_bits: int = 0


class AuditKeyNumbering:
    """Bit positions for the audit keys of one encode key's payloads, shared by every
    subscription that receives them.

    A subscription audits a read once per entity (each patient a live board shows). Each kept
    a set of key tuples for its whole life: ~166 B per patient per subscription, so a worker's
    thousand board sockets grew by tens of megabytes as new patients appeared (the hour's soak).
    Subscriptions sharing an encode key get the same payloads, hence the same keys: they share
    one numbering, and each keeps an ``int`` whose set bits are the keys it has audited (a few
    bytes per patient for the numbering, one bit per subscription). The numbering lives as long
    as one of them does (:func:`numbering_for`).
    """

    __slots__ = ("__weakref__", "positions")

    def __init__(self) -> None:
        self.positions: dict[Hashable, int] = {}

    def bits(self, keys: Iterable[Hashable]) -> int:
        found = 0
        for key in keys:
            position = self.positions.get(key)
            if position is None:
                position = self.positions[key] = len(self.positions)
            found |= 1 << position
        return found


_NUMBERINGS: weakref.WeakValueDictionary[Hashable, AuditKeyNumbering] = (
    weakref.WeakValueDictionary()
)


def numbering_for(encode_key: Hashable) -> AuditKeyNumbering:
    """The numbering of this encode key's subscriptions (made by the first of them)."""
    found = _NUMBERINGS.get(encode_key)
    if found is None:
        found = _NUMBERINGS[encode_key] = AuditKeyNumbering()
    return found


def _audit_key(record: AuditRecord) -> Hashable:
    """A read is audited once per subscription and entity (each patient a live board shows),
    a denial once per subscription and field."""
    if record.outcome == "OK":
        return (record.entity_type, record.entity_id)
    return (record.outcome, tuple(record.fields_read))


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.names.add(node.name.value)


@functools.lru_cache(maxsize=256)
def _document(query: str, operation_name: str | None) -> tuple[DocumentNode, frozenset[str]]:
    """The parsed document and the variables read below the root field (its arguments aside).

    Strawberry has already parsed and validated this very text for the same operation.
    """
    document = parse(query)
    below = _Variables()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is not None and (
                definition.name is None or definition.name.value != operation_name
            ):
                continue
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode):
                    for directive in selection.directives or ():
                        visit(directive, below)
                    if selection.selection_set is not None:
                        visit(selection.selection_set, below)
                else:
                    visit(selection, below)
        else:
            visit(definition, below)  # fragments
    return document, frozenset(below.names)


def _permissions(principal: Principal) -> Hashable:
    """Everything of the principal a field check may read: equal keys, equal outcomes."""
    return (
        frozenset(principal.practice_scopes.items()),
        frozenset(principal.organization_scopes.items()),
        principal.global_scopes,
        principal.roles,
        principal.patient_ids,
        principal.client_id,  # partner visibility is per client (DATA_SHARING consent)
        principal.enrolment_only,
        principal.is_authenticated,
    )


_KEYS: dict[Hashable, Hashable] = {}


def _interned(key: Hashable) -> Hashable:
    """One object per distinct encode key: the fan-out compares keys by identity first, and a
    board's thousand sockets share one key instead of holding a thousand equal tuples."""
    found = _KEYS.get(key)
    if found is None:
        if len(_KEYS) >= 4096:
            _KEYS.clear()
        found = _KEYS[key] = key
    return found


def encoder(
    info: Info, sink: OperationSink
) -> tuple[Callable[[object], Awaitable[Payload | None]], Hashable]:
    """Executes the operation's selection on a rendered event; keyed by what the result reads."""
    context = info.context
    document, below = _document(sink.query, sink.operation_name)
    variables = sink.variables or {}
    # A str: orjson's bytes keep a 4 KiB buffer, held here for the subscription's life.
    shape = orjson.dumps({name: variables.get(name) for name in sorted(below)}).decode()
    key = _interned((sink.query, sink.operation_name, shape, _permissions(context.principal)))
    strawberry_schema = info.schema
    schema = strawberry_schema._schema
    executor_class = strawberry_schema.execution_context_class
    operation = f"subscription {info.field_name}"
    numbering = numbering_for(key)

    async def encode(item: object) -> Payload | None:
        run = Context(
            request=context.request,
            response=context.response,
            settings=context.settings,
            request_id=context.request_id,
            principal=context.principal,
            connection_params=context.connection_params,
        )  # fresh loaders and read trail per event
        seen = await as_seen_by(run.principal, item, run.audit)
        if seen is None:
            return None  # not for this principal at all (a patient they may not see)
        item = seen
        try:
            built = executor_class.build(
                schema, document, None, run, sink.variables, sink.operation_name
            )
            if isinstance(built, list):  # variables did not coerce (validated: cannot happen)
                result = CoreResult(data=None, errors=built)
            else:
                outcome = built.build_per_event_executor(item).execute_operation(False)
                done = await outcome if inspect.isawaitable(outcome) else outcome
                result = cast("CoreResult", done)  # a subscription event is never incremental
        except Exception as failure:  # field errors never get here; a bug might: INTERNAL
            failed = GraphQLError(str(failure), original_error=failure)
            result = CoreResult(data=None, errors=[failed])
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [
                (
                    error
                    if error.extensions and error.extensions.get("code")
                    else classify(error, request_id=run.request_id, anonymous_detail=True)
                ).formatted
                for error in result.errors
            ]
        probe = copy.deepcopy(run.audit).drain(run.principal, operation)
        bits = numbering.bits(_audit_key(record) for record in probe)
        return Payload(orjson.dumps(body).decode(), run.audit if probe else None, bits)

    return encode, key


def background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


class Frames:
    """One operation's ``next`` frames: the id spliced into shared payloads, audited once.

    ``write`` is the feed's synchronous path (no task wakes per socket); ``send`` the
    operation task's, for what the socket could not take at once.
    """

    __slots__ = (
        "audited",
        "detached",
        "finish",
        "head",
        "numbering",
        "on_detach",
        "operation",
        "principal",
        "send_text",
        "write_text",
    )

    def __init__(self, info: Info, sink: OperationSink, encode_key: Hashable) -> None:
        self.head = f'{{"id":{orjson.dumps(sink.operation_id).decode()},"type":"next","payload":'
        self.send_text = sink.send_text
        self.write_text = sink.write_text
        self.on_detach = sink.detach
        self.finish = sink.finish
        self.principal = info.context.principal
        self.operation = f"subscription {info.field_name}"
        # The audit keys this subscription has audited, as bits of its encode key's numbering.
        self.numbering = numbering_for(encode_key)
        self.audited = 0
        self.detached = False

    @property
    def can_detach(self) -> bool:
        return self.on_detach is not None and self.finish is not None

    def detach(self, end: Callable[[], None]) -> None:
        assert self.on_detach is not None
        self.detached = True
        self.on_detach(end)

    async def fail(self, stop: Stop) -> None:
        """What a task would have sent for the stop: its error as ``next``, then ``complete``."""
        error = GraphQLError(stop.message, extensions={"code": stop.code}).formatted
        body = orjson.dumps({"data": None, "errors": [error]}).decode()
        with contextlib.suppress(Exception):  # the socket is already gone
            await self.send_text(self.head + body + "}")
            assert self.finish is not None
            await self.finish()

    async def send_payload(self, item: object) -> None:
        await self.send(cast("Payload", item))

    def write(self, item: object) -> bool:
        payload = cast("Payload", item)
        assert self.write_text is not None
        if not self.write_text(self.head + payload.text + "}"):
            return False
        self.sent(payload)
        return True

    async def send(self, payload: Payload) -> None:
        await self.send_text(self.head + payload.text + "}")
        self.sent(payload)

    def sent(self, payload: Payload) -> None:
        if payload.trail is not None and payload.audit_bits & ~self.audited:
            records = copy.deepcopy(payload.trail).drain(self.principal, self.operation)
            bits = self.numbering.bits
            fresh = [r for r in records if not bits((_audit_key(r),)) & self.audited]
            self.audited |= payload.audit_bits
            if fresh:
                background(audit.write(fresh))


def audit_new(records: list[AuditRecord], audited: set[Hashable]) -> None:
    """Writes the records this subscription has not audited yet (in the background: never
    cancelled mid-transaction)."""
    fresh = [record for record in records if _audit_key(record) not in audited]
    if fresh:
        audited.update(_audit_key(record) for record in fresh)
        background(audit.write(fresh))

"""Subscriptions (``scheduleChanged``, ``consentChanged``) and the practice-notice mutation.

The practice comes from the principal: the argument must name a practice the caller may watch,
and ``from``/``to``/``patientId`` only narrow what it sees. Events are rendered once per
permission group by ``realtime.fanout``.

Over graphql-transport-ws (``graph.view`` sets :data:`OPERATION_SINK` for each operation) the
subscription's selection is executed once per event for every subscriber sharing the
operation document, the variables its selection reads and the principal's permissions; the
finished ``{"data", "errors"}`` payload is serialized once and each socket only gets its
operation id spliced in, written by the feed itself when the socket can take it at once
(``graph.ws_server``). Elsewhere the generator hands Strawberry the rendered events.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import functools
import inspect
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Hashable,
)
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, cast
from uuid import UUID

import orjson
import strawberry
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
from starlette.websockets import WebSocket

from db.audit_chain import AuditRecord
from graph.context import Context, Info
from graph.errors import classify
from graph.ids import parse_id
from graph.permissions.fields import requires
from graph.schema.event_visibility import as_seen_by
from graph.schema.events import (
    AnnouncePracticeNoticeInput,
    AnnouncePracticeNoticePayload,
    ConsentEvent,
    PracticeNotice,
    ScheduleEvent,
    consent_renderer,
    for_patient,
    in_window,
    schedule_renderer,
)
from realtime.events import CONSENT, SCHEDULE
from realtime.fanout import Fanout, Renderer, Watch
from realtime.subscriber import Stop, Stopped
from services import audit, events, notices
from services.audit import ReadTrail
from services.errors import DomainError
from services.policy import Scope
from services.principal import Principal

log = logging.getLogger("aescrm.subscriptions")
_background_tasks: set[asyncio.Task[None]] = set()


def _graphql_error(error: DomainError) -> GraphQLError:
    extensions: dict[str, Any] = {"code": error.code}
    if error.field:
        extensions["field"] = error.field
    return GraphQLError(error.message, extensions=extensions)


@dataclass(frozen=True, slots=True)
class OperationSink:
    """The graphql-transport-ws operation a subscription runs for, and how to write its frames."""

    operation_id: str
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    send_text: Callable[[str], Awaitable[None]]
    # Writes a text frame at once if the socket can take it (``graph.ws_server``), else False.
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
    audit_keys: frozenset[Hashable] = frozenset()  # what the trail audits (see ``_audit_key``)


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


def _encoder(
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
        keys = frozenset(_audit_key(record) for record in probe)
        return Payload(orjson.dumps(body).decode(), run.audit if probe else None, keys)

    return encode, key


def _token(params: dict[str, Any] | None) -> str | None:
    params = params or {}
    raw = params.get("authorization") or params.get("Authorization") or params.get("token")
    if not isinstance(raw, str):
        return None
    return raw[7:].strip() if raw[:7].lower() == "bearer " else raw


def _closer(request: object, frames: _Frames | None = None) -> Callable[[Stop], None]:
    """Stops that end the credentials (or the server) close the whole socket with their code;
    other stops of a detached subscription (no task to raise in) end just that operation."""

    def on_stop(stop: Stop) -> None:
        if stop.close_code is None:
            if frames is not None and frames.detached:
                _background(frames.fail(stop))
            return
        if isinstance(request, WebSocket):
            _background(_close(request, stop))

    return on_stop


def _background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


async def _close(websocket: WebSocket, stop: Stop) -> None:
    with contextlib.suppress(Exception):  # already closing or gone
        await websocket.close(code=stop.close_code or 1000, reason=stop.message[:120])


async def _open(
    info: Info,
    *,
    practice: strawberry.ID,
    topic: str,
    needs: Scope,
    render_key: str,
    renderer: Callable[[frozenset[str]], Renderer],
    accepts: Callable[[object], bool],
    since: int | None,
    patient_id: UUID | None = None,
) -> AsyncIterator[Any]:
    context = info.context
    fanout: Fanout | None = getattr(context.request.app.state, "fanout", None)
    if fanout is None or not isinstance(context.request, WebSocket):
        raise GraphQLError("Subscriptions need a WebSocket.", extensions={"code": "BAD_REQUEST"})
    try:
        practice_id = parse_id(practice, "practiceId")
        grant = await events.start_watch(
            context.principal,
            token=_token(context.connection_params),
            practice_id=practice_id,
            needs=needs,
            operation=info.field_name,
            patient_id=patient_id,
            since=since,
            max_replay=context.settings.max_replay_events,
        )
    except DomainError as error:
        raise _graphql_error(error) from None
    sink = OPERATION_SINK.get()
    encode, encode_key = _encoder(info, sink) if sink is not None else (None, None)
    frames = _Frames(info, sink) if sink is not None else None
    watch = Watch(
        practice_id=practice_id,
        topic=topic,
        render_key=render_key,
        render=renderer(grant.scopes),
        identity=grant.watcher,
        scopes=grant.scopes,
        accepts=accepts,
        expires_at=grant.expires_at,
        on_stop=_closer(context.request, frames),
        encode=encode,
        encode_key=encode_key,
    )
    if frames is not None and frames.write_text is not None:
        watch = dataclasses.replace(
            watch,
            write=frames.write,
            send=frames.send_payload,
            detach=frames.detach if frames.can_detach else None,
        )
    return _deliver(info, fanout.watch(watch, since=since), frames)


class _Frames:
    """One operation's ``next`` frames: the id spliced into shared payloads, audited once.

    ``write`` is the feed's synchronous path (no task wakes per socket); ``send`` the
    operation task's, for what the socket could not take at once.
    """

    __slots__ = (
        "audited",
        "detached",
        "finish",
        "head",
        "on_detach",
        "operation",
        "principal",
        "send_text",
        "write_text",
    )

    def __init__(self, info: Info, sink: OperationSink) -> None:
        self.head = f'{{"id":{orjson.dumps(sink.operation_id).decode()},"type":"next","payload":'
        self.send_text = sink.send_text
        self.write_text = sink.write_text
        self.on_detach = sink.detach
        self.finish = sink.finish
        self.principal = info.context.principal
        self.operation = f"subscription {info.field_name}"
        self.audited: set[Hashable] = set()
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
        if payload.trail is not None and not payload.audit_keys <= self.audited:
            records = copy.deepcopy(payload.trail).drain(self.principal, self.operation)
            _audit_new(records, self.audited)


def _audit_new(records: list[AuditRecord], audited: set[Hashable]) -> None:
    """Writes the records this subscription has not audited yet (in the background: never
    cancelled mid-transaction)."""
    fresh = [record for record in records if _audit_key(record) not in audited]
    if fresh:
        audited.update(_audit_key(record) for record in fresh)
        _background(audit.write(fresh))


async def _deliver(
    info: Info, stream: AsyncIterator[tuple[int, Any]], frames: _Frames | None
) -> AsyncIterator[Any]:
    """Yields events, or with frames writes them itself and yields nothing.

    Field denials are audited once per subscription, reads once per subscription and patient.
    """
    audited: set[Hashable] = set()
    principal = info.context.principal
    operation = f"subscription {info.field_name}"
    try:
        if frames is not None:
            async for _, payload in stream:
                await frames.send(payload)
            return
        async for _, rendered in stream:
            item = await as_seen_by(principal, rendered, info.context.audit)
            if item is None:
                continue  # not for this principal at all (a patient they may not see)
            yield item
            _audit_new(info.context.audit.drain(principal, operation), audited)
    except Stopped as stopped:
        if stopped.stop.close_code is None:
            raise GraphQLError(
                stopped.stop.message, extensions={"code": stopped.stop.code}
            ) from None
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


@strawberry.type
class EventSubscriptions:
    @strawberry.subscription(
        description="Live changes to a practice's board. `from`/`to` narrow to a time span; "
        "`since` (the last `sequence` seen) replays missed events first."
    )
    async def schedule_changed(
        self,
        info: Info,
        practice_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        since: int | None = None,
    ) -> AsyncGenerator[ScheduleEvent, None]:
        return await _open(  # type: ignore[return-value]
            info,
            practice=practice_id,
            topic=SCHEDULE,
            needs=Scope.SCHEDULE_READ,
            render_key="ScheduleEvent",
            renderer=schedule_renderer,
            accepts=in_window(from_, to),
            since=since,
        )

    @strawberry.subscription(
        description="Live changes to one patient's consents; `since` replays missed events."
    )
    async def consent_changed(
        self,
        info: Info,
        practice_id: strawberry.ID,
        patient_id: strawberry.ID,
        since: int | None = None,
    ) -> AsyncGenerator[ConsentEvent, None]:
        try:
            patient = parse_id(patient_id, "patientId")
        except DomainError as error:
            raise _graphql_error(error) from None
        return await _open(  # type: ignore[return-value]
            info,
            practice=practice_id,
            topic=CONSENT,
            needs=Scope.PATIENT_READ,
            render_key="ConsentEvent",
            renderer=consent_renderer,
            accepts=for_patient(patient),
            since=since,
            patient_id=patient,
        )


@strawberry.type
class NoticeMutations:
    @strawberry.mutation(
        description="Shows a notice on every board of the practice, live.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def announce_practice_notice(
        self, info: Info, input: AnnouncePracticeNoticeInput
    ) -> AnnouncePracticeNoticePayload | None:
        notice = await notices.announce(
            info.context.principal,
            practice_id=parse_id(input.practice_id, "input.practiceId"),
            message=input.message,
            severity=notices.Severity(input.severity),
            clinical_detail=input.clinical_detail,
            expires_at=input.expires_at,
        )
        return AnnouncePracticeNoticePayload(
            notice=PracticeNotice(
                id=strawberry.ID(str(notice.id)),
                message=notice.message,
                severity=notice.severity,
                clinical_detail=notice.clinical_detail,
                posted_by_id=strawberry.ID(str(notice.posted_by)) if notice.posted_by else None,
                expires_at=notice.expires_at,
                practice_id=notice.practice_id,
            ),
            sequence=notice.sequence,
        )

"""Subscriptions (``scheduleChanged``, ``consentChanged``) and the practice-notice mutation.

The practice comes from the principal: the argument must name a practice the caller may watch,
and ``from``/``to``/``patientId`` only narrow what it sees. The generator hands Strawberry
events rendered once per permission group by ``realtime.fanout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from starlette.websockets import WebSocket

from graph.context import Info
from graph.ids import parse_id
from graph.permissions.fields import requires
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
from services.errors import DomainError
from services.policy import Scope

log = logging.getLogger("aescrm.subscriptions")
_background_tasks: set[asyncio.Task[None]] = set()


def _graphql_error(error: DomainError) -> GraphQLError:
    extensions: dict[str, Any] = {"code": error.code}
    if error.field:
        extensions["field"] = error.field
    return GraphQLError(error.message, extensions=extensions)


def _token(params: dict[str, Any] | None) -> str | None:
    params = params or {}
    raw = params.get("authorization") or params.get("Authorization") or params.get("token")
    if not isinstance(raw, str):
        return None
    return raw[7:].strip() if raw[:7].lower() == "bearer " else raw


def _closer(request: object) -> Callable[[Stop], None]:
    """Stops that end the credentials (or the server) close the whole socket with their code."""

    def on_stop(stop: Stop) -> None:
        if stop.close_code is None or not isinstance(request, WebSocket):
            return
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
    watch = Watch(
        practice_id=practice_id,
        topic=topic,
        render_key=render_key,
        render=renderer(grant.scopes),
        identity=grant.watcher,
        scopes=grant.scopes,
        accepts=accepts,
        expires_at=grant.expires_at,
        on_stop=_closer(context.request),
    )
    return _deliver(info, fanout.watch(watch, since=since))


async def _deliver(info: Info, stream: AsyncIterator[tuple[int, Any]]) -> AsyncIterator[Any]:
    """Yields events; field denials are audited once per subscription, not per delivery."""
    audited = False
    operation = f"subscription {info.field_name}"
    try:
        async for _, item in stream:
            yield item
            records = info.context.audit.drain(info.context.principal, operation)
            if records and not audited:
                audited = True
                _background(audit.write(records))  # never cancelled mid-transaction
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

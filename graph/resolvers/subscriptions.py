"""Subscriptions (``scheduleChanged``, ``consentChanged``, ``dashboardChanged``...) and the
practice-notice mutation.

The practice comes from the principal: the argument must name a practice the caller may watch,
and ``from``/``to``/``patientId`` only narrow what it sees. Events are rendered once per
permission group by ``realtime.fanout``.

With the engine shortcut (``graph.engine.subscription_frames``) an event's payload is
executed and serialized once per group of sockets and written by the feed itself; otherwise
(shortcut off, or the legacy protocol) the generator hands Strawberry the rendered events.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Hashable,
)
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from graphql import (
    GraphQLError,
)
from starlette.websockets import WebSocket

from graph.context import Info
from graph.engine.subscription_frames import (
    OPERATION_SINK,
    Frames,
    audit_new,
    background,
    encoder,
)
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.billing_events import (
    AccountEvent,
    BillingEvent,
    account_renderer,
    any_billing,
    billing_renderer,
    for_account_of,
)
from graph.schema.clinical_events import ClinicalChartEvent, clinical_renderer, for_chart_of
from graph.schema.dashboard_events import (
    DashboardEvent,
    any_dashboard,
    dashboard_renderer,
    merge,
)
from graph.schema.event_visibility import as_seen_by
from graph.schema.live_events import (
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
from realtime.coalesce import coalesced
from realtime.envelopes import BILLING, CLINICAL, CONSENT, SCHEDULE
from realtime.fanout import Fanout, Renderer, Watch
from realtime.subscriber import Stop, Stopped
from services import notices, watch_access
from services.errors import DomainError
from services.policy import Scope
from services.reports import live

log = logging.getLogger("aescrm.subscriptions")


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


def _closer(request: object, frames: Frames | None = None) -> Callable[[Stop], None]:
    """Stops that end the credentials (or the server) close the whole socket with their code;
    other stops of a detached subscription (no task to raise in) end just that operation."""

    def on_stop(stop: Stop) -> None:
        if stop.close_code is None:
            if frames is not None and frames.detached:
                background(frames.fail(stop))
            return
        if isinstance(request, WebSocket):
            background(_close(request, stop))

    return on_stop


async def _close(websocket: WebSocket, stop: Stop) -> None:
    with contextlib.suppress(Exception):  # already closing or gone
        await websocket.close(code=stop.close_code or 1000, reason=stop.message[:120])


async def _open(
    info: Info,
    *,
    practice_id: strawberry.ID,
    topic: str,
    needs: Scope,
    render_key: str,
    renderer: Callable[[frozenset[str]], Renderer],
    accepts: Callable[[object], bool],
    since: int | None,
    patient_id: UUID | None = None,
    also: tuple[str, ...] = (),
    shortcut: bool = True,
) -> AsyncIterator[Any]:
    """``also``: more topics on the same stream; ``shortcut=False``: yield the rendered events
    (for a caller that transforms the stream) instead of writing frames from the feed."""
    context = info.context
    fanout: Fanout | None = getattr(context.request.app.state, "fanout", None)
    if fanout is None or not isinstance(context.request, WebSocket):
        raise GraphQLError("Subscriptions need a WebSocket.", extensions={"code": "BAD_REQUEST"})
    try:
        practice = id_argument(practice_id=practice_id)
        grant = await watch_access.start_watch(
            context.principal,
            token=_token(context.connection_params),
            practice_id=practice,
            needs=needs,
            operation=info.field_name,
            patient_id=patient_id,
            since=since,
            max_replay=context.settings.max_replay_events,
        )
    except DomainError as error:
        raise _graphql_error(error) from None
    sink = OPERATION_SINK.get() if shortcut else None
    if sink is not None:
        encode, encode_key = encoder(info, sink)
        frames: Frames | None = Frames(info, sink, encode_key)
    else:
        encode, encode_key, frames = None, None, None
    watch = Watch(
        practice_id=practice,
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
        also=also,
    )
    if frames is not None and frames.write_text is not None:
        watch = dataclasses.replace(
            watch,
            write=frames.write,
            send=frames.send_payload,
            detach=frames.detach if frames.can_detach else None,
        )
    return _deliver(info, fanout.watch(watch, since=since), frames)


async def _open_patient_feed(
    info: Info,
    *,
    practice_id: strawberry.ID,
    patient_id: strawberry.ID,
    since: int | None,
    topic: str,
    needs: Scope,
    render_key: str,
    renderer: Callable[[frozenset[str]], Renderer],
    accepts: Callable[[UUID], Callable[[object], bool]],
) -> AsyncIterator[Any]:
    """A feed about one patient (consents, chart): their own stream, resumable with ``since``."""
    try:
        patient = id_argument(patient_id=patient_id)
    except DomainError as error:
        raise _graphql_error(error) from None
    return await _open(
        info,
        practice_id=practice_id,
        topic=topic,
        needs=needs,
        render_key=render_key,
        renderer=renderer,
        accepts=accepts(patient),
        since=since,
        patient_id=patient,
    )


async def _deliver(
    info: Info, stream: AsyncIterator[tuple[int, Any]], frames: Frames | None
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
            audit_new(info.context.audit.drain(principal, operation), audited)
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
            practice_id=practice_id,
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
        return await _open_patient_feed(  # type: ignore[return-value]
            info,
            practice_id=practice_id,
            patient_id=patient_id,
            since=since,
            topic=CONSENT,
            needs=Scope.PATIENT_READ,
            render_key="ConsentEvent",
            renderer=consent_renderer,
            accepts=for_patient,
        )

    @strawberry.subscription(
        description="Live changes to one patient's tooth chart, for everyone charting or "
        "watching it at once; `since` (the last `sequence` seen) replays missed events first.",
        extensions=requires(Scope.CLINICAL_READ),
    )
    async def clinical_chart_changed(
        self,
        info: Info,
        practice_id: strawberry.ID,
        patient_id: strawberry.ID,
        since: int | None = None,
    ) -> AsyncGenerator[ClinicalChartEvent, None]:
        return await _open_patient_feed(  # type: ignore[return-value]
            info,
            practice_id=practice_id,
            patient_id=patient_id,
            since=since,
            topic=CLINICAL,
            needs=Scope.CLINICAL_READ,
            render_key="ClinicalChartEvent",
            renderer=clinical_renderer,
            accepts=for_chart_of,
        )

    @strawberry.subscription(
        description="Live changes to one patient's account (payments, refunds, deposits, "
        "invoices), each with the balance after it, for everyone allowed to read it (the "
        "patient too, and a partner app with billing:read while the patient shares data with "
        "it, checked again for every event); `since` replays missed events first.",
        extensions=requires(Scope.BILLING_READ),
    )
    async def account_changed(
        self,
        info: Info,
        practice_id: strawberry.ID,
        patient_id: strawberry.ID,
        since: int | None = None,
    ) -> AsyncGenerator[AccountEvent, None]:
        return await _open_patient_feed(  # type: ignore[return-value]
            info,
            practice_id=practice_id,
            patient_id=patient_id,
            since=since,
            topic=BILLING,
            needs=Scope.BILLING_READ,
            render_key="AccountEvent",
            renderer=account_renderer,
            accepts=for_account_of,
        )

    @strawberry.subscription(
        description="Live changes to a practice's billing: every payment, refund, deposit, "
        "invoice and cash count (staff with billing:read; a partner app with billing:read "
        "hears only of patients sharing data with it, and no cash counts); `since` replays "
        "missed events.",
        extensions=requires(Scope.BILLING_READ),
    )
    async def billing_changed(
        self,
        info: Info,
        practice_id: strawberry.ID,
        since: int | None = None,
    ) -> AsyncGenerator[BillingEvent, None]:
        return await _open(  # type: ignore[return-value]
            info,
            practice_id=practice_id,
            topic=BILLING,
            needs=Scope.BILLING_READ,
            render_key="BillingEvent",
            renderer=billing_renderer,
            accepts=any_billing,
            since=since,
        )

    @strawberry.subscription(
        description="Live signal that figures of a practice's dashboards may have moved (an "
        "appointment booked, moved or changing status; a payment, refund or invoice; a recall "
        "or treatment plan change), naming the areas to refetch. Coalesced per subscription: "
        "at most one event per AESCRM_DASHBOARD_COALESCE_SECONDS, the last change of a burst "
        "always announced. Needs reports:read in the practice; no patient data.",
        extensions=requires(Scope.REPORTS_READ),
    )
    async def dashboard_changed(
        self,
        info: Info,
        practice_id: Annotated[
            strawberry.ID, strawberry.argument(description="The practice whose dashboard it is.")
        ],
    ) -> AsyncGenerator[DashboardEvent, None]:
        first, *more = live.TOPICS
        stream = await _open(
            info,
            practice_id=practice_id,
            topic=first,
            also=tuple(more),
            needs=Scope.REPORTS_READ,
            render_key="DashboardEvent",
            renderer=dashboard_renderer,
            accepts=any_dashboard,
            since=None,
            shortcut=False,  # coalesced below: not written frame by frame from the feed
        )
        window = info.context.settings.dashboard_coalesce_seconds
        return coalesced(stream, window, merge)  # type: ignore[return-value]


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
            practice_id=id_argument(practice_id=input.practice_id),
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

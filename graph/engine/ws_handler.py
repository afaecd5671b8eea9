"""Strawberry's WebSocket handlers and adapter as we run them.

Always: every message is a text frame; a malformed message closes with 4400 on both protocols;
a rejection that chose its own close code (a socket cap) closes with it; a subscribe naming a
trusted document runs that document, and a refused one (unknown id, ad-hoc query from a caller
held to trusted documents) answers an ``error`` message for its id and runs nothing
(``graph.trusted_documents``).

The engine shortcut (:class:`TransportWSHandler`, ``AESCRM_ENGINE_SHORTCUTS``): a subscription
resolver writes its operation's ``next`` frames itself (``graph.engine.subscription_frames``),
straight to the socket when it can take them (``graph.engine.ws_protocol.WRITE_TEXT``), and a
live subscription detaches from its operation task. With the shortcut off,
:class:`CheckedTransportWSHandler` runs operations as Strawberry does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.utils.aio import aclosing

from graph.context import Context
from graph.engine.subscription_frames import OPERATION_SINK, OperationSink
from graph.engine.ws_protocol import WRITE_TEXT
from graph.trusted_documents import payload_to_run, socket_refusal
from graph.wire import ws_message_problem
from services.errors import DomainError

CLOSE_WITH = "aescrm.close_with"  # scope state: the (code, reason) a rejection closes with

__all__ = [
    "CLOSE_WITH",
    "CheckedTransportWSHandler",
    "LegacyWSHandler",
    "TextWebSocketAdapter",
    "TransportWSHandler",
]


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Every message as a text frame (graphql-ws clients parse text, not binary, frames)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        await self.send_text(self.view.encode_json_string(message))

    async def send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        """A rejection that set its own close code (a socket cap) closes with it, not 4403."""
        chosen = self.ws.scope.get("state", {}).pop(CLOSE_WITH, None)
        if chosen is not None:
            code, reason = chosen
        await super().close(code, reason)


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, closing with 4400 on a malformed message."""

    async def handle_message(self, message: Any) -> None:
        """A message that is not a well-formed object closes with 4400, as the protocol says
        for invalid messages (Strawberry would index into it and crash the socket's task)."""
        problem = ws_message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if (
            message["type"] == "subscribe"
            and self.connection_acknowledged
            and message["id"] not in self.operations
        ):
            try:
                payload = await payload_to_run(self.context, message["payload"])
            except DomainError as error:  # trusted documents: nothing runs
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [socket_refusal(error)]}
                )
                return
            message = {**message, "payload": payload}
        await super().handle_message(message)


class TransportWSHandler(CheckedTransportWSHandler):
    """Lets a subscription resolver write its operation's ``next`` frames itself, and detach.

    A detached subscription (live, written by the fan-out straight to the socket) needs no task:
    its operation task ends without ``complete`` and the operation stays registered (its id
    stays taken and counts towards the limit) until the client completes it or disconnects,
    which ends the subscription in the fan-out.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.detached: dict[str, Callable[[], None]] = {}

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        websocket = self.websocket
        if not isinstance(websocket, TextWebSocketAdapter):
            await super().run_operation(operation)
            return

        def detach(end: Callable[[], None]) -> None:
            self.detached[operation.id] = end

        async def finish() -> None:
            self.detached.pop(operation.id, None)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})

        # The operation's own task: the variable is seen by this operation only.
        OPERATION_SINK.set(
            OperationSink(
                operation_id=operation.id,
                query=operation.query,
                variables=operation.variables,
                operation_name=operation.operation_name,
                send_text=websocket.send_text,
                write_text=websocket.ws.scope.get("extensions", {}).get(WRITE_TEXT),
                detach=detach,
                finish=finish,
            )
        )
        # Strawberry's run_operation, except that a detached operation does not complete.
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            if operation.id in self.detached:
                operation.task = None  # ends now; keep no finished task per socket
                return
            if self.operations.get(operation.id) is not operation:
                return  # completed by the client meanwhile
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def cleanup_operation(self, operation_id: str) -> None:
        end = self.detached.pop(operation_id, None)
        if end is None:
            await super().cleanup_operation(operation_id)
            return
        end()
        operation = self.operations.pop(operation_id, None)
        if operation is not None and operation.task is not None:
            operation.task.cancel()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_init_received:
            self.connection_init_timeout_task = None  # cancelled above; keep no task per socket


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy ``graphql-ws`` protocol, closing with 4400 on a malformed message."""

    async def handle_message(self, message: Any) -> None:
        problem = ws_message_problem(message, subscribe="start", complete="stop")
        if problem is not None:
            await self.websocket.close(code=4400, reason=problem)
            return
        if message["type"] == "start":
            try:
                payload = await payload_to_run(self.context, message["payload"])
            except DomainError as error:  # trusted documents: nothing runs
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": socket_refusal(error)}
                )
                return
            message = {**message, "payload": payload}
        await super().handle_message(message)

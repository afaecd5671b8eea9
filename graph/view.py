"""The GraphQL HTTP/WebSocket endpoint: Strawberry's ASGI view with our transport rules.

- errors before execution are JSON GraphQL errors with a code, never plain text;
- ``application/graphql-response+json`` is honoured (GraphQL-over-HTTP: 4xx when no data);
- responses are never cached (they may carry patient data);
- the principal comes from the bearer token (HTTP) or ``connection_init`` (WebSocket);
- WebSocket messages are JSON text frames, as graphql-transport-ws prescribes; subscription
  events are written as frames finished once per group of sockets (see
  ``graph.resolvers.subscriptions``), only the operation id differing per socket, straight
  to the socket when it can take them (``graph.ws_server``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType
from strawberry.utils.aio import aclosing

from graph.context import Context
from graph.errors import INTERNAL_MESSAGE, classify, distinct
from graph.graphiql import graphiql_html
from graph.middleware import BodyTooLarge, error_body
from graph.request_meta import request_meta
from graph.resolvers.subscriptions import OPERATION_SINK, OperationSink
from graph.settings import Settings
from graph.socket_caps import (
    ADDRESS_REASON,
    PRINCIPAL_REASON,
    TRY_AGAIN_LATER,
    SocketCaps,
    principal_key,
)
from graph.wire import decode_json_text, ws_message_problem
from graph.ws_server import WRITE_TEXT
from services.errors import DomainError
from services.principal import ANONYMOUS, Principal, RequestMeta

log = logging.getLogger("aescrm.errors")
GRAPHQL_RESPONSE = "application/graphql-response+json"
CLOSE_WITH = "aescrm.close_with"  # scope state: the (code, reason) a rejection closes with
SOCKET_PRINCIPAL = "aescrm.socket_principal"  # scope state: the principal this socket counts for
Authenticator = Callable[[str | None, RequestMeta], Awaitable[Principal]]

_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


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


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
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

    async def handle_message(self, message: Any) -> None:
        """A message that is not a well-formed object closes with 4400, as the protocol says
        for invalid messages (Strawberry would index into it and crash the socket's task)."""
        problem = ws_message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

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
        await super().handle_message(message)


class GraphQLEndpoint(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, *, settings: Settings, authenticate: Authenticator, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.authenticate = authenticate
        self.sockets = SocketCaps(
            per_principal=settings.max_sockets_per_principal,
            per_address=settings.max_sockets_per_address,
        )
        self._graphiql_html = graphiql_html() if self.graphql_ide else ""

    @property
    def graphql_ide_html(self) -> str:
        return self._graphiql_html

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self._capped_websocket(scope, receive, send)
            return
        if scope["type"] == "http":
            request = Request(scope=scope, receive=receive)
            request_id = scope.get("state", {}).get("request_id", "-")
            try:
                response = await self._guarded_run(request)
            except HTTPException as error:
                code = _HTTP_CODES.get(error.status_code, "BAD_REQUEST")
                response = Response(
                    error_body(code, error.reason, request_id=request_id),
                    status_code=error.status_code,
                    media_type="application/json",
                    headers={"cache-control": "no-store"},
                )
            except DomainError as error:  # authentication failed before execution
                response = Response(
                    error_body(error.code, error.message),
                    status_code=401,
                    media_type="application/json",
                    headers={"cache-control": "no-store", "www-authenticate": "Bearer"},
                )
            except (BodyTooLarge, ClientDisconnect):
                raise  # answered by the body limit; nobody left to answer
            except Exception:  # a bug, not the client's fault: JSON, masked, logged once
                log.exception("unhandled error in request")
                response = Response(
                    error_body("INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE, request_id=request_id),
                    status_code=500,
                    media_type="application/json",
                    headers={"cache-control": "no-store"},
                )
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _capped_websocket(self, scope: Any, receive: Any, send: Any) -> None:
        """Counts the socket against its address (and, after init, its principal) while open."""
        address = str((scope.get("client") or ("-",))[0])
        if not self.sockets.open_from(address):
            websocket = WebSocket(scope, receive, send)
            offered = [p for p in scope.get("subprotocols", []) if p in self.protocols]
            await websocket.accept(subprotocol=offered[0] if offered else None)
            await websocket.close(TRY_AGAIN_LATER, ADDRESS_REASON)
            return
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.sockets.closed_from(address)
            principal = scope.get("state", {}).pop(SOCKET_PRINCIPAL, None)
            if principal is not None:
                self.sockets.release(principal)

    async def _guarded_run(self, request: Request) -> Response:
        if request.method == "POST":
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                # Forms and text/plain are what a cross-site page can send without CORS (CSRF).
                raise HTTPException(415, "Only application/json bodies are accepted.")
        elif "query" in request.query_params and not self.settings.get_queries_enabled:
            raise HTTPException(405, "Queries over GET are disabled; use POST.")
        return await self.run(request)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        meta = request_meta(request)
        principal = ANONYMOUS
        if isinstance(request, Request):
            principal = await self.authenticate(_bearer(request.headers.get("authorization")), meta)
            request.scope.setdefault("state", {})["authenticated"] = principal.is_authenticated
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            request_id=meta.request_id,
            principal=principal,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """The token travels in ``connection_init``; none or a bad one closes with 4403."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization") or params.get("token")
        token = _bearer(raw) or raw if isinstance(raw, str) else None
        if not token:
            raise ConnectionRejectionError({"reason": "missing token"})
        try:
            principal = await self.authenticate(token, request_meta(context.request))
        except DomainError:
            raise ConnectionRejectionError({"reason": "invalid token"}) from None
        if not principal.is_authenticated or principal.enrolment_only:
            raise ConnectionRejectionError({"reason": "invalid token"})
        state = context.request.scope.setdefault("state", {})
        key = principal_key(principal.user_id, principal.client_id)
        if not self.sockets.claim(key):
            state[CLOSE_WITH] = (TRY_AGAIN_LATER, PRINCIPAL_REASON)
            raise ConnectionRejectionError({"reason": "too many sockets"})
        state[SOCKET_PRINCIPAL] = key
        context.principal = principal
        ack: UnsetType = UNSET
        return ack

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Parse errors skip the schema extensions' exit hooks; code them here as well."""
        if result.errors:
            state = request.scope.get("state", {})
            authenticated = bool(state.get("authenticated"))
            result.errors = distinct(
                error
                if error.extensions and error.extensions.get("code")
                else classify(
                    error,
                    request_id=state.get("request_id", "-"),
                    anonymous_detail=authenticated or not self.settings.is_production,
                )
                for error in result.errors
            )
        return process_result(result)

    def decode_json(self, data: str | bytes) -> object:
        return decode_json_text(data)

    def parse_json(self, data: str | bytes) -> Any:
        """Bodies (bytes) must be a JSON object (or a batch, refused later); the ``variables``
        and ``extensions`` query parameters (str) an object or null."""
        parsed = super().parse_json(data)
        if isinstance(parsed, dict | list) or (parsed is None and isinstance(data, str)):
            return parsed
        raise HTTPException(400, "The request must be a JSON object.")

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:  # e.g. a lone surrogate quoted by an error message
            return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["cache-control"] = "no-store"
        request_accept = getattr(sub_response, "_accept", "")
        if GRAPHQL_RESPONSE in request_accept:
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if isinstance(response_data, Mapping) and response_data.get("data") is None:
                response.status_code = 400
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response._accept = request.headers.get("accept", "")  # type: ignore[attr-defined]
        return sub_response


__all__ = ["ConnectionRejectionError", "GraphQLEndpoint"]

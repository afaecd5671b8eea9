"""The GraphQL HTTP/WebSocket endpoint: Strawberry's ASGI view with our transport rules.

- errors before execution are JSON GraphQL errors with a code, never plain text;
- ``application/graphql-response+json`` is honoured (GraphQL-over-HTTP: 4xx when no data);
- responses are never cached (they may carry patient data);
- every response names the service's version in ``extensions.version`` (``graph.release``);
- the principal comes from the bearer token (HTTP) or ``connection_init`` (WebSocket);
- WebSocket messages are JSON text frames, as graphql-transport-ws prescribes; subscription
  events are written as frames finished once per group of sockets, only the operation id
  differing per socket, straight to the socket when it can take them (``graph.engine``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UnsetType

from graph.budget_check import BUDGET_ACCOUNT, BUDGET_CHARGE, account_for
from graph.budgets import Budgets, account_of
from graph.context import Context
from graph.engine.ws_handler import (
    CLOSE_WITH,
    CheckedTransportWSHandler,
    LegacyWSHandler,
    TextWebSocketAdapter,
    TransportWSHandler,
)
from graph.errors import INTERNAL_MESSAGE, classify, distinct
from graph.graphiql import graphiql_html
from graph.middleware import BodyTooLarge, error_body
from graph.release import VERSION
from graph.request_limit import REQUEST_CHARGE, RequestCharge, request_limit_headers
from graph.request_meta import request_meta
from graph.settings import Settings
from graph.socket_caps import (
    ADDRESS_REASON,
    PRINCIPAL_REASON,
    TRY_AGAIN_LATER,
    SocketCaps,
    principal_key,
)
from graph.trusted_documents import refusal
from graph.wire import decode_json_text
from services.errors import DomainError
from services.principal import ANONYMOUS, Principal, RequestMeta
from services.trusted_documents import lookup

log = logging.getLogger("aescrm.errors")
GRAPHQL_RESPONSE = "application/graphql-response+json"
SOCKET_PRINCIPAL = "aescrm.socket_principal"  # scope state: the principal this socket counts for
Authenticator = Callable[[str | None, RequestMeta], Awaitable[Principal]]
RESPONSE_EXTENSIONS: Mapping[str, object] = {"version": VERSION}
"""Every HTTP answer's ``extensions`` and the endpoint's own refusals (415, 405, 401, …; the
middleware's 413 and 429 are shared by every route and carry none); a socket's
``connection_ack`` payload."""

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


def _names_operation(params: Mapping[str, str]) -> bool:
    """A GET that asks for an operation: a ``query``, or a trusted document's id."""
    return "query" in params or "documentId" in params or "extensions" in params


class GraphQLEndpoint(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class: type[CheckedTransportWSHandler] = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        *,
        settings: Settings,
        authenticate: Authenticator,
        budgets: Budgets | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.authenticate = authenticate
        self.budgets = budgets
        if not settings.engine_shortcuts:
            self.graphql_transport_ws_handler_class = CheckedTransportWSHandler
        self.sockets = SocketCaps(
            per_principal=settings.max_sockets_per_principal,
            per_address=settings.max_sockets_per_address,
        )
        self._graphiql_html = graphiql_html() if self.graphql_ide else ""

    @property
    def graphql_ide_html(self) -> str:
        return self._graphiql_html

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a GET naming a trusted document (it has no ``query`` parameter either)."""
        return super().should_render_graphql_ide(request) and not _names_operation(
            request.query_params
        )

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
                    error_body(
                        code,
                        error.reason,
                        request_id=request_id,
                        response_extensions=RESPONSE_EXTENSIONS,
                    ),
                    status_code=error.status_code,
                    media_type="application/json",
                    headers={"cache-control": "no-store"},
                )
            except DomainError as error:  # authentication failed before execution
                response = Response(
                    error_body(error.code, error.message, response_extensions=RESPONSE_EXTENSIONS),
                    status_code=401,
                    media_type="application/json",
                    headers={"cache-control": "no-store", "www-authenticate": "Bearer"},
                )
            except (BodyTooLarge, ClientDisconnect):
                raise  # answered by the body limit; nobody left to answer
            except Exception:  # a bug, not the client's fault: JSON, masked, logged once
                log.exception("unhandled error in request")
                response = Response(
                    error_body(
                        "INTERNAL_SERVER_ERROR",
                        INTERNAL_MESSAGE,
                        request_id=request_id,
                        response_extensions=RESPONSE_EXTENSIONS,
                    ),
                    status_code=500,
                    media_type="application/json",
                    headers={"cache-control": "no-store"},
                )
            if self.budgets is not None:
                await self._describe_budget(self.budgets, scope, response)
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _describe_budget(self, budgets: Budgets, scope: Any, response: Response) -> None:
        """The ``RateLimit-Policy``/``RateLimit`` headers of every answer; 429 (with
        ``Retry-After``) when the operation's charge was refused. An answer that ran nothing
        (refused before execution) describes the bucket without charging it: the caller's when
        known, else the client address's (as a bad token counts for the per-request limit)."""
        state = scope.get("state", {})
        charged = state.pop(BUDGET_CHARGE, None)
        request: RequestCharge | None = state.get(REQUEST_CHARGE)
        if request is not None and request.verdict is not None and not request.verdict.allowed:
            # Refused by the per-request limit (paid with the budget): its fields, not the
            # budget's, which was only read.
            response.status_code = 429
            limit = request.limiter.per_minute
            response.raw_headers.extend(request_limit_headers(limit, request.verdict))
            return
        if charged is None:
            account = state.pop(BUDGET_ACCOUNT, None)
            if account is None:
                account = account_of(None, str((scope.get("client") or ("-",))[0]))
            verdict = await budgets.peek(account)
        else:
            account, verdict = charged
            if not verdict.allowed:
                response.status_code = 429
        response.raw_headers.extend(budgets.headers(account, verdict))

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
        elif _names_operation(request.query_params) and not self.settings.get_queries_enabled:
            raise HTTPException(405, "Queries over GET are disabled; use POST.")
        return await self.run(request)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        meta = request_meta(request)
        principal = ANONYMOUS
        if isinstance(request, Request):
            principal = await self.authenticate(_bearer(request.headers.get("authorization")), meta)
            request.scope.setdefault("state", {})["authenticated"] = principal.is_authenticated
        context = Context(
            request=request,
            response=response,
            settings=self.settings,
            request_id=meta.request_id,
            principal=principal,
        )
        if isinstance(request, Request):
            request.scope.setdefault("state", {})[BUDGET_ACCOUNT] = account_for(context)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """The token travels in ``connection_init``; none or a bad one closes with 4403.

        ``connection_ack``'s payload is ``{"version": ...}``."""
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
        # The acknowledgement names the version once per socket (events carry none, to keep the
        # shared per-group frames as they are).
        return dict(RESPONSE_EXTENSIONS)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Parse errors skip the schema extensions' exit hooks; code them here as well.

        Every answer carries the service's version in ``extensions.version``: one small dict
        per response, the version itself read once at import (``graph.release``)."""
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
        result.extensions = (
            {**result.extensions, **RESPONSE_EXTENSIONS}
            if result.extensions
            else dict(RESPONSE_EXTENSIONS)
        )
        return process_result(result)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        """Trusted documents (``services.trusted_documents.lookup``): a request naming a
        ``documentId`` runs the caller's registered document, and a caller held to registered
        documents cannot send an ad-hoc ``query``; a refusal answers before anything runs.

        Strawberry reads ``query``, ``variables``, ``operationName`` and ``extensions`` only; the
        body (already read and kept by Starlette) is looked at again for ``documentId`` only when
        it carried no ``query``, so an ordinary request pays nothing more."""
        if isinstance(request_data, GraphQLRequestData):
            document_id = None
            if request_data.query is None:
                document_id = await self._document_id(request)
            try:
                request_data.query = await lookup.text_to_run(
                    context.principal,
                    query=request_data.query,
                    document_id=document_id,
                    extensions=request_data.extensions,
                    first_party=self.settings.trusted_documents_first_party,
                )
            except DomainError as error:
                return refusal(error)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def _document_id(self, request: Request) -> object:
        if request.method == "GET":
            return request.query_params.get("documentId")
        body = self.parse_json(await request.body())
        return body.get("documentId") if isinstance(body, dict) else None

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

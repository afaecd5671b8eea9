"""ASGI middleware that runs before GraphQL: request ids, body caps, rate limits, headers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.logs import request_id_var
from graph.observability.series import RATE_LIMITED
from graph.rate_limits import Limiter, Verdict
from graph.request_limit import (
    REQUEST_CHARGE,
    KnownRefusals,
    RequestCharge,
    request_limit_headers,
)


def error_body(
    code: str,
    message: str,
    *,
    request_id: str | None = None,
    response_extensions: Mapping[str, object] | None = None,
) -> bytes:
    """A GraphQL-shaped error document (the message made safe for UTF-8: it may quote input);
    ``response_extensions`` become the document's own ``extensions`` (the GraphQL endpoint's
    refusals carry the version like its answers)."""
    extensions = {"code": code} if request_id is None else {"code": code, "requestId": request_id}
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    document: dict[str, object] = {"errors": [{"message": message, "extensions": extensions}]}
    if response_extensions:
        document["extensions"] = response_extensions
    return orjson.dumps(document)


async def send_error(
    send: Send, status: int, code: str, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = error_body(code, message)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestId:
    """Gives every request an id (or keeps a sane client one) for logs, errors and audit rows."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        supplied = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if 8 <= len(supplied) <= 64 and supplied.isalnum() else None
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class BodyLimit:
    """Refuses oversized bodies (413) before anything parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}  # exact paths allowed a bigger body (file uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await send_error(send, 413, "PAYLOAD_TOO_LARGE", "Request body too large.")
            return
        if len(scope.get("query_string", b"")) > self.max_bytes:
            await send_error(send, 414, "URI_TOO_LONG", "Query string too long.")
            return
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, capped_receive, send)
        except BodyTooLarge:
            await send_error(send, 413, "PAYLOAD_TOO_LARGE", "Request body too large.")


class BodyTooLarge(Exception):
    pass


class RateLimit:
    """Limits requests per verified principal, else per client address; 429 with Retry-After.

    A bearer token counts only once its signature and expiry check out (``identify``): a junk or
    expired token is a failed authentication and is charged to the client address, so minting
    random tokens buys no fresh bucket. The address is ``scope["client"]``, which the
    trusted-proxy middleware sets from ``X-Forwarded-For`` only for proxies the settings trust.

    ``graphql_path`` requests pay their unit in the budget check, in the same Redis call as their
    query cost (``graph.request_limit``); any other path pays before it runs. A caller this
    worker has seen with an empty bucket is refused here without a Redis call.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: Limiter,
        identify: Callable[[str], str | None],
        graphql_path: str = "/graphql",
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.identify = identify
        self.graphql_path = graphql_path
        self.refusals = KnownRefusals(limiter.per_minute)

    def _key(self, scope: Scope) -> str:
        header: bytes | None = dict(scope["headers"]).get(b"authorization")
        if header and header[:7].lower() == b"bearer ":
            token = header[7:].strip().decode("latin-1")
            subject = self.identify(token) if token else None
            if subject is not None:
                return "p:" + subject
        client = scope.get("client") or ("-", 0)
        return "a:" + str(client[0])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/healthz", "/readyz"):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        known = self.refusals.refusal(key)
        if known is not None:
            await self._refuse(send, known)
            return
        if scope["path"] == self.graphql_path:
            charge = RequestCharge(key, self.limiter)
            scope.setdefault("state", {})[REQUEST_CHARGE] = charge
            try:
                await self.app(scope, receive, send)
            finally:  # a request that never reached the budget check pays now
                verdict = charge.verdict or await self.limiter.charge(key, 1)
                self.refusals.note(key, verdict)
            return
        verdict = await self.limiter.charge(key, 1)
        self.refusals.note(key, verdict)
        if not verdict.allowed:
            await self._refuse(send, verdict)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send, verdict: Verdict) -> None:
        RATE_LIMITED.inc()
        headers = tuple(request_limit_headers(self.limiter.per_minute, verdict))
        await send_error(send, 429, "RATE_LIMITED", "Too many requests.", headers)

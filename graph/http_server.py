"""How uvicorn serves HTTP while a worker stops: nothing a client already sent goes unanswered.

uvicorn's httptools protocol, on shutdown, closes every connection that is between requests at
once. A keep-alive client streaming writes has often already sent its next request by then (the
bytes sit unread in the socket, or half of them were parsed): closing drops it with no response,
and the client cannot tell whether its booking was made. :class:`HttpProtocol` changes only
that: a connection idle at shutdown stays open for :data:`IDLE_LINGER_SECONDS`; a request that
arrives meanwhile is served and answered with ``Connection: close``, and the connection closes
once it is quiet. Requests in progress finish as in uvicorn (within the server's graceful
shutdown timeout). A WebSocket upgrade on a stopping worker gets 503 so the client reconnects
to another one.

uvicorn internals relied on (verified on uvicorn 0.55, httptools 0.7): ``HttpToolsProtocol``'s
``cycle`` (``RequestResponseCycle.keep_alive`` / ``response_complete``), ``transport``,
``loop``, ``on_message_begin``, ``on_headers_complete``, ``handle_websocket_upgrade`` and
``shutdown``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

IDLE_LINGER_SECONDS = 2.0
"""How long a connection idle at shutdown waits for a request its client may already have sent."""

_GOING_AWAY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 28\r\n"
    b"retry-after: 0\r\n"
    b"connection: close\r\n\r\n"
    b"server stopping; reconnect.\n"
)


class HttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = False
        self.receiving = False  # a request has begun arriving but its headers are not complete
        self.linger: asyncio.TimerHandle | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.receiving = True

    def on_headers_complete(self) -> None:
        self.receiving = False
        super().on_headers_complete()
        if self.stopping and self.cycle is not None:
            self.cycle.keep_alive = False  # answered, then closed: the client goes elsewhere

    def handle_websocket_upgrade(self) -> None:
        if self.stopping:
            self.transport.write(_GOING_AWAY)
            self.transport.close()
            return
        super().handle_websocket_upgrade()

    def shutdown(self) -> None:
        self.stopping = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # closes after its response
            return
        self.linger = self.loop.call_later(IDLE_LINGER_SECONDS, self._close_if_quiet)

    def _close_if_quiet(self) -> None:
        self.linger = None
        if self.transport.is_closing():
            return
        if self.receiving:  # half a request arrived: wait for the rest (the grace period bounds it)
            self.linger = self.loop.call_later(IDLE_LINGER_SECONDS, self._close_if_quiet)
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request came in meanwhile: it closes after its response
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.linger is not None:
            self.linger.cancel()
            self.linger = None
        super().connection_lost(exc)


__all__ = ["IDLE_LINGER_SECONDS", "HttpProtocol"]

"""uvicorn's WebSocket protocol as we serve it (both subclass uvicorn's websockets-sansio one;
per-message deflate only with ``AESCRM_WS_COMPRESSION``, then with the ``websockets`` library's
memory-reduced defaults: 4 KiB windows, memLevel 5).

``WebSocketProtocol`` (always): a server going away closes open sockets with 1001, as the
real-time pipeline does, never uvicorn's 1012.

``LeanWebSocketProtocol`` (the engine shortcut, ``AESCRM_ENGINE_SHORTCUTS``) adds two changes
that matter at thousands of idle board sockets:

- the parsed handshake request and response are dropped once the socket is open (the ASGI scope
  keeps the headers the app reads), and the receive queue and "writable" flag are plain lists
  and futures (asyncio's ``Queue`` and ``Event`` allocate ~3.5 KiB of deques per socket);
- the scope carries :data:`WRITE_TEXT`, a synchronous "write this text frame now if the socket
  can take it" that the subscription fan-out uses to deliver an event without waking a task per
  socket. It refuses (returns False) while the transport is paused or the socket is closing, and
  the caller then queues the frame for the operation's task, which waits for the socket to drain.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request

from realtime.subscriber import SHUTDOWN

GOING_AWAY = SHUTDOWN.close_code or 1001
WRITE_TEXT = "aescrm.websocket.write_text"
"""Key in ``scope["extensions"]`` of the synchronous text-frame writer."""


class _Inbox:
    """What uvicorn needs of ``asyncio.Queue`` for received ASGI events, without its deques."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiters: list[asyncio.Future[None]] = []

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
                return

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                self._waiters.remove(waiter)
                if waiter.cancelled() and self._items and self._waiters:
                    self.put_nowait(self._items.pop())  # hand the wake-up on
        return self._items.pop(0)


class _Flag:
    """What uvicorn needs of ``asyncio.Event`` for "the transport may be written to"."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        while not self._set:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                self._waiters.remove(waiter)
        return True


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's protocol, closing with 1001 when the server goes away."""

    def shutdown(self) -> None:
        """A server going away closes open sockets with 1001, as the pipeline does, not 1012.

        The pipeline ends subscriptions with 1001 on SIGTERM, but when uvicorn's shutdown tick
        runs first this is what the client sees, and it must say the same.
        """
        if self.handshake_complete and not self.close_sent and not self.disconnected:
            self.stop_keepalive()
            self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
            self.conn.send_close(GOING_AWAY, SHUTDOWN.message[:120])
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()
            return
        super().shutdown()


class LeanWebSocketProtocol(WebSocketProtocol):
    """Less state per socket, and a synchronous frame writer for the fan-out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Flag()  # type: ignore[assignment]

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # The scope holds what the app needs; the parsed request (kept alive by the protocol's
        # parser for the socket's life) need not hold its headers too.
        event.headers.clear()
        del self.request
        scope: Any = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][WRITE_TEXT] = self.write_text_now

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            self.response = None  # type: ignore[assignment]  # sent; keep no headers per socket

    def write_text_now(self, text: str) -> bool:
        """Writes one text frame at once; False when the socket cannot take it now."""
        if (
            self.close_sent
            or self.disconnected
            or not self.handshake_complete
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        try:
            self.conn.send_text(text.encode())
        except InvalidState:
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        scope: Any = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"].pop(WRITE_TEXT, None)  # no cycle through the scope


__all__ = ["WRITE_TEXT", "LeanWebSocketProtocol", "WebSocketProtocol"]

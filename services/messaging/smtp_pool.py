"""Open SMTP sessions kept for the next message, a few per process.

A new session per message costs a TCP (and TLS) handshake, EHLO, AUTH and QUIT on both ends:
more than the message itself when reminders go out by the thousand. The pool keeps at most
``size`` sessions; each carries at most ``messages_per_connection`` messages (providers cap
this, and a long-lived session pins one server) and is closed when it has been idle for
``idle_seconds`` (servers drop idle clients after 60-300 s; reusing one they dropped costs a
failed send). A session that failed in any way is closed, never reused.

A pool belongs to one event loop: the first use from another loop (a test's new loop) starts a
fresh pool and closes the old sessions' sockets without awaiting anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiosmtplib

Connect = Callable[[], Awaitable[aiosmtplib.SMTP]]


@dataclass(slots=True)
class Session:
    client: aiosmtplib.SMTP
    sent: int = 0
    idle_since: float = field(default_factory=time.monotonic)


class SmtpPool:
    def __init__(
        self, connect: Connect, size: int, messages_per_connection: int, idle_seconds: float
    ) -> None:
        self.connect = connect
        self.size = size
        self.messages_per_connection = messages_per_connection
        self.idle_seconds = idle_seconds
        self.loop: asyncio.AbstractEventLoop | None = None
        self.idle: list[Session] = []
        self.slots: asyncio.Semaphore | None = None
        self.opened = 0  # sessions opened over the pool's life (tests and benches read it)

    def _bind(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self.loop is not loop or self.slots is None:
            self._drop_all()
            self.loop, self.slots = loop, asyncio.Semaphore(self.size)
        return self.slots

    def _take(self) -> Session | None:
        now = time.monotonic()
        while self.idle:
            session = self.idle.pop()  # the most recently used: the likeliest still open
            if now - session.idle_since < self.idle_seconds and session.client.is_connected:
                return session
            _close_now(session.client)
        return None

    async def _open(self) -> Session:
        self.opened += 1
        return Session(await self.connect())

    async def sendmail(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Send on a pooled session; a reused session the server had dropped is retried once."""
        async with self._bind():
            session = self._take()
            reused = session is not None
            if session is None:
                session = await self._open()
            try:
                await session.client.sendmail(sender, list(recipients), message)
            except aiosmtplib.SMTPServerDisconnected:
                _close_now(session.client)
                if not reused:
                    raise
                session = await self._open()  # the server closed an idle session: once more
                try:
                    await session.client.sendmail(sender, list(recipients), message)
                except BaseException:
                    _close_now(session.client)
                    raise
            except BaseException:
                _close_now(session.client)
                raise
            session.sent += 1
            if session.sent >= self.messages_per_connection:
                await _quit(session.client)
            else:
                session.idle_since = time.monotonic()
                self.idle.append(session)

    def drop(self) -> None:
        """Close the idle sessions' sockets now, without QUIT (a reconfiguration)."""
        self._drop_all()

    def _drop_all(self) -> None:
        for session in self.idle:
            _close_now(session.client)
        self.idle.clear()

    async def close(self) -> None:
        """QUIT every idle session (at shutdown)."""
        idle, self.idle = self.idle, []
        if self.loop is asyncio.get_running_loop():
            for session in idle:
                await _quit(session.client)
        else:
            for session in idle:
                _close_now(session.client)


async def _quit(client: aiosmtplib.SMTP) -> None:
    """QUIT politely; a session that cannot is closed anyway."""
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        pass
    finally:
        _close_now(client)


def _close_now(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        client.close()


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


__all__ = ["SmtpPool", "tls_context"]

"""The real-time pipeline of one server process: outbox relay plus subscription fan-out.

Started and stopped by the app's lifespan. On SIGTERM/SIGINT it ends every subscription with
close code 1001 (going away) *before* uvicorn drops the connections (which would say 1012), so
clients know to reconnect with ``since``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from types import FrameType
from typing import Any

from realtime.bus import Bus
from realtime.fanout import Authoriser, Fanout
from realtime.lease import RELAY_KEY_PREFIX, lease_for
from realtime.relay import Relay

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Pipeline:
    def __init__(
        self,
        bus: Bus,
        *,
        authorise: Authoriser,
        queue_size: int,
        relay_enabled: bool = True,
        poll_seconds: float = 1.0,
        grace_seconds: float = 2.0,
        lease_seconds: float = 3.0,
        bus_down_poll_seconds: float = 3.0,
        relay_key_prefix: str = RELAY_KEY_PREFIX,
    ) -> None:
        self.bus = bus
        self.fanout = Fanout(
            bus,
            authorise=authorise,
            queue_size=queue_size,
            bus_down_poll_seconds=bus_down_poll_seconds,
        )
        self.relay = (
            Relay(
                bus,
                lease=lease_for(bus.url, lease_seconds, key=relay_key_prefix + "lease"),
                lease_seconds=lease_seconds,
                wake_channel=relay_key_prefix + "wake",
                poll_seconds=poll_seconds,
                grace_seconds=grace_seconds,
            )
            if relay_enabled
            else None
        )
        self._previous: dict[int, Any] = {}

    async def start(self) -> None:
        await self.fanout.start()
        if self.relay is not None:
            await self.relay.start()
        self._hook_signals(asyncio.get_running_loop())

    async def stop(self) -> None:
        self._unhook_signals()
        self.fanout.shut_down()
        await asyncio.sleep(0)  # let the 1001 closes go out before the feeds are torn down
        if self.relay is not None:
            await self.relay.stop()
        await self.fanout.stop()

    def _hook_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in _SIGNALS:
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue  # nobody to chain to (not under a server that handles it)

            def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.fanout.shut_down)
                previous(signum, frame)

            self._previous[sig] = previous
            signal.signal(sig, handler)

    def _unhook_signals(self) -> None:
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError):
                signal.signal(sig, previous)
        self._previous.clear()


__all__ = ["Pipeline"]

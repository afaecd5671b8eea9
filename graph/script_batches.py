"""One Lua script called by many concurrent requests, sent to Redis as one pipeline per turn.

Every request makes two bucket checks (``graph.rate_limits``: the request limit, then the
query-cost budget), each one ``EVALSHA``. With redis-py's asyncio client a lone command costs
a worker about 80-100 µs of CPU (connection pool, packing, parsing), most of it per command
rather than per byte; a pipeline of 16 costs about 16 µs a command. So the calls made during
one event-loop turn are queued and flushed together on the next turn, in one pipeline (no
transaction: each script call is atomic on its own). A lone call waits one loop turn more; a
busy worker pays a fraction per check. Calls arriving while a flush is in flight start the next
batch on another pooled connection, so a slow round trip does not hold the next one up.

A script Redis does not know (a restarted Redis, ``SCRIPT FLUSH``) is loaded and those calls
are sent once more. Connection errors reach every caller of the batch, as they would each call.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from redis.exceptions import NoScriptError

Call = tuple[list[str], list[int], "asyncio.Future[Any]"]


class ScriptBatcher:
    def __init__(self, client: Any, script: str) -> None:
        self.client = client
        self.script = script
        self.sha = hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()
        self.pending: list[Call] = []
        self.flushes: set[asyncio.Task[None]] = set()  # referenced until done

    async def __call__(self, keys: list[str], args: list[int]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.pending.append((keys, args, future))
        if len(self.pending) == 1:
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self.flushes.add(task)
        task.add_done_callback(self.flushes.discard)

    async def _send(self, batch: list[Call]) -> None:
        try:
            results = await self._execute(batch)
            missing = [n for n, result in enumerate(results) if isinstance(result, NoScriptError)]
            if missing:
                await self.client.script_load(self.script)
                again = await self._execute([batch[n] for n in missing])
                for n, result in zip(missing, again, strict=True):
                    results[n] = result
        except asyncio.CancelledError:  # the loop is closing: nobody gets an answer
            for _, _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():
                continue  # its caller was cancelled
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, batch: list[Call]) -> list[Any]:
        pipe = self.client.pipeline(transaction=False)
        for keys, args, _ in batch:
            pipe.evalsha(self.sha, len(keys), *keys, *args)
        return list(await pipe.execute(raise_on_error=False))


__all__ = ["ScriptBatcher"]

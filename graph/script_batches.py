"""One Lua script called by many concurrent requests, sent to Redis in batches on one connection.

Every GraphQL request makes one bucket call (``graph.rate_limits``: its request unit and its
query-cost budget in one ``EVALSHA``). Through redis-py's client API a lone command costs a
worker about 80-100 µs of CPU, most of it in the connection pool and the pipeline machinery
rather than on the wire; the same command written on a connection of its own and read back with
redis-py's parser costs about 40 µs, and about 15 µs a command when 16 share one write. So this
keeps one connection of its own (made from the client's settings: address, TLS, password,
database) and sends the calls made during one event-loop turn together, as one write, then reads
their answers in order. One batch is in flight at a time: calls made meanwhile wait for it and
go out together in the next one, so a busy worker's batches grow instead of its round trips.
Each script call is atomic on its own (no transaction across a batch).

A script Redis does not know (a restarted Redis, ``SCRIPT FLUSH``) is loaded and those calls
are sent once more. A connection error or timeout reaches every caller of the batch, as it would
each call; redis-py has closed the connection by then and the next batch opens a new one.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from redis.exceptions import NoScriptError, ResponseError


class Script:
    """A Lua script's text and the SHA-1 Redis knows it by."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


Call = tuple[Script, list[str], Sequence[int | str], "asyncio.Future[Any]"]


class ScriptBatcher:
    """Batches calls of ``script`` (and of any other script a call names) on one connection."""

    def __init__(self, client: Any, script: str, timeout: float = 0.5) -> None:
        self.client = client
        self.timeout = timeout  # for a whole batch, written and read
        self.script = Script(script)
        self.connection: Any = None  # made on first use, in the loop that uses it
        self.pending: list[Call] = []
        self.sending = False  # a batch is on the connection
        self.calls = 0  # calls made, all scripts (what a request costs in Redis calls)
        self.flushes: set[asyncio.Task[None]] = set()  # referenced until done

    async def __call__(
        self, keys: list[str], args: Sequence[int | str], script: Script | None = None
    ) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.calls += 1
        self.pending.append((script or self.script, keys, args, future))
        if len(self.pending) == 1 and not self.sending:
            try:
                await self._send_as_caller()
            except asyncio.CancelledError:
                future.cancel()  # nobody will read its answer
                raise
        return await future

    async def _send_as_caller(self) -> None:
        """The first caller of an idle batcher sends the batch itself, after one loop turn so
        the calls made meanwhile join it: no task to create and schedule (about 10 µs a batch).
        Calls made while it is on the connection go out in a task's batch after it."""
        self.sending = True
        try:
            await asyncio.sleep(0)
            batch, self.pending = self.pending, []
            await self._answer(batch, caller_sends=True)
        finally:
            self.sending = False
            self._flush()

    def _flush(self) -> None:
        if self.sending or not self.pending:
            return
        batch, self.pending = self.pending, []
        self.sending = True
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self.flushes.add(task)
        task.add_done_callback(self.flushes.discard)

    async def _send(self, batch: list[Call]) -> None:
        try:
            await self._answer(batch, caller_sends=False)
        finally:
            self.sending = False
            self._flush()

    async def _answer(self, batch: list[Call], *, caller_sends: bool) -> None:
        try:
            results = await self._execute(batch)
            missing = [n for n, result in enumerate(results) if isinstance(result, NoScriptError)]
            if missing:
                for text in {batch[n][0].text for n in missing}:
                    await self.client.script_load(text)
                again = await self._execute([batch[n] for n in missing])
                for n, result in zip(missing, again, strict=True):
                    results[n] = result
        except asyncio.CancelledError:
            if caller_sends:  # its caller went away: the others' calls go again in a task
                # (the connection was closed mid-batch: some may have run, and count twice)
                self.pending[:0] = [call for call in batch if not call[3].done()]
            else:  # the loop is closing: nobody gets an answer
                for *_, future in batch:
                    future.cancel()
            raise
        except Exception as error:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (*_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue  # its caller was cancelled
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, batch: list[Call]) -> list[Any]:
        connection = self._connection()
        commands = [("EVALSHA", call[0].sha, len(call[1]), *call[1], *call[2]) for call in batch]
        results: list[Any] = []
        try:
            async with asyncio.timeout(self.timeout):
                await connection.send_packed_command(connection.pack_commands(commands), False)
                for _ in batch:
                    try:
                        results.append(await connection.read_response())
                    except ResponseError as error:  # this call's own; the next answer follows
                        results.append(error)
        except TimeoutError:
            await connection.disconnect(nowait=True)  # answers may still arrive: out of step
            raise
        return results

    def _connection(self) -> Any:
        """The client's settings without its per-read timeout: redis-py applies that with
        ``asyncio.wait_for`` on every write, about 20 µs of CPU a batch; one ``asyncio.timeout``
        around the batch bounds it as well."""
        if self.connection is None:
            pool = self.client.connection_pool
            settings = {**pool.connection_kwargs, "socket_timeout": None}
            self.connection = pool.connection_class(**settings)
        return self.connection

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.disconnect()
            self.connection = None


__all__ = ["Script", "ScriptBatcher"]

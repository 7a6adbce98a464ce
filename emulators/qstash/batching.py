"""Group commit for script calls: everything queued in one event-loop turn is one pipeline.

Under load many publishes and acks are ready at once; sending them as one pipeline costs
one socket write and one reply read instead of one each, and Redis (AOF `appendfsync
always`) fsyncs the group once. Each caller still gets its own result or exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

Call = tuple[str, list[str], list[Any], "asyncio.Future[Any]"]


class ScriptBatcher:
    """Queues `EVALSHA` calls and flushes them together at the end of the loop turn."""

    def __init__(
        self,
        redis: aioredis.Redis,
        sha: dict[str, str],
        load_scripts: Callable[[], Awaitable[None]],
        max_batch: int = 256,
    ) -> None:
        self._redis = redis
        self._sha = sha
        self._load_scripts = load_scripts
        self._max_batch = max_batch
        self._pending: list[Call] = []
        self._scheduled = False
        self._flushes: set[asyncio.Task[None]] = set()

    async def call(self, name: str, keys: list[str], args: list[Any]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((name, keys, args, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self._max_batch):
            task = asyncio.create_task(self._flush(pending[start : start + self._max_batch]))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, calls: list[Call]) -> None:
        try:
            if not self._sha:
                await self._load_scripts()
            results = await self._execute(calls)
            missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
            if missing:  # Redis restarted and forgot the scripts: rerun just those calls
                await self._load_scripts()
                again = await self._execute([calls[i] for i in missing])
                for i, result in zip(missing, again, strict=True):
                    results[i] = result
        except Exception as exc:
            for *_, future in calls:
                if not future.done():
                    future.set_exception(exc)
            return
        for (*_, future), result in zip(calls, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, calls: list[Call]) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        for name, keys, args, _ in calls:
            pipe.evalsha(self._sha[name], len(keys), *keys, *args)
        return await pipe.execute(raise_on_error=False)

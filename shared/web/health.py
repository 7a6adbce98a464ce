"""`GET /healthz`: each dependency answers within the dependency timeout, or is named as down."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from shared.web.bootstrap import Clients


async def _probe(check: Callable[[], Awaitable[Any]], timeout_s: float) -> str:
    try:
        async with asyncio.timeout(timeout_s):
            await check()
    except TimeoutError:
        return "down: timed out"
    except Exception as exc:  # any failure of the probe means the dependency is down
        return f"down: {type(exc).__name__}"
    return "ok"


async def dependency_health(found: Clients) -> dict[str, str]:
    timeout = found.settings.dependency_timeout_s
    db = found.mongo[found.settings.mongodb_db]
    names = ("mongo", "redis", "qstash")
    results = await asyncio.gather(
        _probe(lambda: db.command("ping"), timeout),
        _probe(found.redis.ping, timeout),
        _probe(found.qstash.signing_keys, timeout),
    )
    return dict(zip(names, results, strict=True))

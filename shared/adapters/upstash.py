"""Upstash Redis over REST: the client, the idempotency lock, request counters and the
per-merchant rate limit.

The lock is `SET key token NX PX ttl` and is released by a compare-and-delete script, so a
request never deletes a lock another request took over after its own expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections.abc import AsyncIterator

import httpx
from upstash_ratelimit.asyncio import Ratelimit
from upstash_ratelimit.limiter import FixedWindow
from upstash_redis.asyncio import Redis
from upstash_redis.errors import UpstashError

from shared.adapters import http_transport
from shared.domain.errors import DependencyUnavailable

RELEASE_IF_OWNER = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
    "else return 0 end"
)
# One command: INCR, and the key's time to live set by the call that created it.
INCR_WITH_TTL = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
)
REST_RETRY_INTERVAL_S = 0.05


def connect(url: str, token: str) -> Redis:
    redis = Redis(
        url=url,
        token=token,
        rest_retries=1,
        rest_retry_interval=REST_RETRY_INTERVAL_S,
        allow_telemetry=False,
        read_your_writes=False,
    )
    # The SDK builds a default httpx client; swap in the pooled transport (see http_transport).
    http = getattr(redis, "_http", None)
    if http is not None and isinstance(getattr(http, "_client", None), httpx.AsyncClient):
        http._client = http_transport.client(timeout=None)
    return redis


@contextlib.asynccontextmanager
async def redis_call(timeout_s: float) -> AsyncIterator[None]:
    """Bound a REST call in time and translate its failures to DependencyUnavailable('redis')."""
    try:
        async with asyncio.timeout(timeout_s):
            yield
    except TimeoutError as exc:
        raise DependencyUnavailable("redis", "timed out") from exc
    except (httpx.HTTPError, UpstashError, ValueError) as exc:
        raise DependencyUnavailable("redis", type(exc).__name__) from exc


class IdempotencyLock:
    def __init__(self, redis: Redis, timeout_s: float) -> None:
        self.redis = redis
        self.timeout_s = timeout_s

    async def acquire(self, key: str, ttl_ms: int) -> str | None:
        """The owner token if this caller now holds `key`, else None."""
        token = secrets.token_hex(16)
        async with redis_call(self.timeout_s):
            taken = await self.redis.set(key, token, nx=True, px=ttl_ms)
        return token if taken else None

    async def release(self, key: str, token: str) -> bool:
        async with redis_call(self.timeout_s):
            deleted = await self.redis.eval(RELEASE_IF_OWNER, keys=[key], args=[token])
        return bool(deleted)


class ReplayGuard:
    """Remembers signed-request ids (JWT `jti`) so a captured request cannot be replayed."""

    def __init__(self, redis: Redis, timeout_s: float, ttl_s: int = 600) -> None:
        self.redis = redis
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s

    async def first_use(self, token_id: str) -> bool:
        async with redis_call(self.timeout_s):
            fresh = await self.redis.set(f"qstash:jti:{token_id}", "1", nx=True, ex=self.ttl_s)
        return bool(fresh)


class RequestCounter:
    """Counts requests per key (the simulator's n-th request with one idempotency key)."""

    def __init__(self, redis: Redis, timeout_s: float, prefix: str = "paygate:count:") -> None:
        self.redis = redis
        self.timeout_s = timeout_s
        self.prefix = prefix

    async def incr(self, key: str, ttl_s: int) -> int:
        async with redis_call(self.timeout_s):
            count = await self.redis.eval(
                INCR_WITH_TTL, keys=[self.prefix + key], args=[str(ttl_s)]
            )
        return int(count)


class MerchantRateLimit:
    """A fixed one-second window per merchant (upstash-ratelimit), off when the limit is 0."""

    def __init__(self, redis: Redis, per_second: int, timeout_s: float) -> None:
        self.per_second = per_second
        self.timeout_s = timeout_s
        self.limiter = (
            Ratelimit(
                redis=redis,
                limiter=FixedWindow(max_requests=per_second, window=1),
                prefix="paygate:ratelimit",
            )
            if per_second > 0
            else None
        )

    async def check(self, merchant_id: str) -> int | None:
        """None if the request may pass, else the seconds to wait before retrying."""
        if self.limiter is None:
            return None
        async with redis_call(self.timeout_s):
            response = await self.limiter.limit(merchant_id)
        if response.allowed:
            return None
        return max(1, math.ceil(response.reset - time.time()))

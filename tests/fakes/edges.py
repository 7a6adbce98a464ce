"""In-memory lock, queue, webhook sender, replay guard and rate limit."""

from __future__ import annotations

import itertools
import secrets

from shared.domain.errors import DependencyUnavailable
from shared.domain.tasks import Message
from shared.domain.webhooks import SendResult


class FakeLock:
    def __init__(self) -> None:
        self.held: dict[str, str] = {}

    async def acquire(self, key: str, ttl_ms: int) -> str | None:
        if key in self.held:
            return None
        self.held[key] = token = secrets.token_hex(8)
        return token

    async def release(self, key: str, token: str) -> bool:
        if self.held.get(key) != token:
            return False
        del self.held[key]
        return True


class FakeQueue:
    """Keeps what was published (deduplicated by id, as QStash does); `down` makes it fail."""

    def __init__(self) -> None:
        self.published: list[Message] = []
        self.seen: set[str] = set()
        self.down = False
        self._ids = itertools.count(1)

    async def publish(self, message: Message) -> str:
        if self.down:
            raise DependencyUnavailable("qstash", "ConnectError")
        if message.deduplication_id not in self.seen:
            self.seen.add(message.deduplication_id)
            self.published.append(message)
        return f"msg_{next(self._ids)}"

    async def publish_many(self, messages: list[Message]) -> None:
        for message in messages:
            await self.publish(message)

    def take(self, path: str) -> list[Message]:
        """Remove and return the queued messages to `path`, oldest first."""
        taken = [m for m in self.published if m.path == path]
        self.published = [m for m in self.published if m.path != path]
        return taken


class FakeSender:
    """Answers each POST with the next scripted status (the last repeats); None = no answer."""

    def __init__(self, statuses: list[int | None] | None = None) -> None:
        self.statuses = statuses or [200]
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    async def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult:
        status = self.statuses[min(len(self.sent), len(self.statuses) - 1)]
        self.sent.append((url, body, headers))
        if status is None:
            return SendResult(None, 1.0, "ConnectError: refused")
        return SendResult(status, 1.0, None if 200 <= status < 300 else f"HTTP {status}")


class FakeReplayGuard:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def first_use(self, token_id: str) -> bool:
        fresh = token_id not in self.seen
        self.seen.add(token_id)
        return fresh


class FakeCounter:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    async def incr(self, key: str, ttl_s: int) -> int:
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]


class NoRateLimit:
    async def check(self, merchant_id: str) -> int | None:
        return None


class FakeResolver:
    """Names resolve to the addresses it was given; any other name does not resolve."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names

    async def resolve(self, host: str, port: int) -> list[str]:
        return list(self.names.get(host, []))

"""Publishing the next lifecycle step through QStash (at-least-once, deduplicated)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from qstash import AsyncQStash
from qstash.errors import QStashError

from shared.adapters import http_transport
from shared.domain.errors import DependencyUnavailable
from shared.domain.tasks import FlowLimits, Message

PUBLISH_TIMEOUT_S = 5.0


# One quick retry of a transport error; past that the caller's fallback (store the payment
# unpublished, the sweeper publishes it) beats waiting out the SDK's default ~12 s of backoff.
PUBLISH_RETRY = {"retries": 1, "backoff": lambda attempt: 100.0}


def connect(token: str, base_url: str) -> AsyncQStash:
    client = AsyncQStash(token, base_url=base_url.rstrip("/"), retry=PUBLISH_RETRY)  # type: ignore[arg-type]
    # The SDK builds a default httpx client; swap in the pooled transport (see http_transport).
    http = getattr(client, "http", None)
    previous = getattr(http, "_client", None)
    if isinstance(previous, httpx.AsyncClient):
        http._client = http_transport.client(timeout=previous.timeout)  # type: ignore[union-attr]
    return client


class TaskQueue:
    def __init__(
        self,
        client: AsyncQStash,
        public_url: str,
        timeout_s: float = PUBLISH_TIMEOUT_S,
        flow: FlowLimits | None = None,
    ):
        self.client = client
        self.public_url = public_url.rstrip("/")
        self.timeout_s = timeout_s
        self.flow = flow if flow is not None and flow.active else None

    def _request(self, message: Message) -> dict[str, Any]:
        request: dict[str, Any] = {
            "url": self.public_url + message.path,
            "body": message.body,
            "retries": message.retries,
            "deduplication_id": message.deduplication_id,
        }
        if message.failure_path:
            request["failure_callback"] = self.public_url + message.failure_path
        if message.retry_delay:
            request["retry_delay"] = message.retry_delay
        if message.delay_s:
            request["delay"] = f"{message.delay_s}s"
        if message.flow_key and self.flow is not None:
            request["flow_control"] = _flow_control(message.flow_key, self.flow)
        return request

    async def publish(self, message: Message) -> str:
        """The QStash message id (the original one when deduplicated)."""
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.client.message.publish_json(**self._request(message))
        except (QStashError, httpx.HTTPError, TimeoutError) as exc:
            raise DependencyUnavailable("qstash", type(exc).__name__) from exc
        return str(getattr(response, "message_id", ""))

    async def publish_many(self, messages: list[Message]) -> None:
        if not messages:
            return
        if len(messages) == 1:
            await self.publish(messages[0])
            return
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.client.message.batch_json(
                    [self._request(message) for message in messages]  # type: ignore[misc]
                )
        except (QStashError, httpx.HTTPError, TimeoutError) as exc:
            raise DependencyUnavailable("qstash", type(exc).__name__) from exc


def _flow_control(key: str, limits: FlowLimits) -> dict[str, Any]:
    """The SDK's `FlowControl`: only the limits that are on (QStash: period defaults to 1 s)."""
    flow: dict[str, Any] = {"key": key}
    if limits.parallelism:
        flow["parallelism"] = limits.parallelism
    if limits.rate:
        flow["rate"] = limits.rate
        flow["period"] = limits.period_s
    return flow

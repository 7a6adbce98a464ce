"""Publishing the next lifecycle step through QStash (at-least-once, deduplicated).

Publishing is one HTTP request to QStash's REST API (`POST /v2/publish/<url>`, or
`POST /v2/batch` for several messages), made with the process's pooled httpx client
(`http_transport`), with the same headers the `qstash` SDK's `publish_json`/`batch_json`
send. The SDK is not imported on this path: it costs every function's cold start its import
and nothing a function uses (the dev stack's schedules and the contract tests use it).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from shared.adapters import http_transport
from shared.domain.errors import DependencyUnavailable
from shared.domain.tasks import FlowLimits, Message

PUBLISH_TIMEOUT_S = 5.0
# The SDK's own timeouts (it waits up to 600 s for an answer, 5 s to connect); each publish
# is further bounded by the TaskQueue's timeout.
CLIENT_TIMEOUT = httpx.Timeout(timeout=600.0, connect=5.0)
# One quick retry of a transport error; past that the caller's fallback (store the payment
# unpublished, the sweeper publishes it) beats waiting out a long backoff.
TRANSPORT_RETRIES = 1
RETRY_BACKOFF_S = 0.1


class QStashError(Exception):
    """QStash answered with a status other than 2xx."""


class QStashClient:
    """The few QStash REST calls the functions make, as the SDK makes them."""

    def __init__(self, token: str, base_url: str, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.authorization = f"Bearer {token}"
        self.http = http if http is not None else http_transport.client(timeout=CLIENT_TIMEOUT)

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: str = ""
    ) -> Any:
        """The decoded JSON answer; transport errors are retried once after 100 ms."""
        headers = {"Authorization": self.authorization, **(headers or {})}
        url = self.base_url + path
        for attempt in range(TRANSPORT_RETRIES + 1):
            try:
                response = await self.http.request(method, url, headers=headers, content=body)
                break
            except httpx.TransportError:
                if attempt == TRANSPORT_RETRIES:
                    raise
                await asyncio.sleep(RETRY_BACKOFF_S)
        if not response.is_success:
            raise QStashError(
                f"Request failed with status: {response.status_code}, body: {response.text}"
            )
        return response.json()

    async def publish_json(self, request: dict[str, Any]) -> str:
        """Publish one JSON message; the message id (the original one when deduplicated)."""
        answer = await self.request(
            "POST", f"/v2/publish/{request['url']}", _headers(request), json.dumps(request["body"])
        )
        return str(answer.get("messageId", "")) if isinstance(answer, dict) else ""

    async def batch_json(self, requests: list[dict[str, Any]]) -> None:
        """Publish several JSON messages in one request."""
        batch = [
            {"destination": r["url"], "headers": _headers(r), "body": json.dumps(r["body"])}
            for r in requests
        ]
        await self.request(
            "POST", "/v2/batch", {"Content-Type": "application/json"}, json.dumps(batch)
        )

    async def signing_keys(self) -> Any:
        """`GET /v2/keys` (the health probe: QStash answers and the token is accepted)."""
        return await self.request("GET", "/v2/keys")


def _headers(request: dict[str, Any]) -> dict[str, str]:
    """The `Upstash-*` headers of one message, as the SDK's `prepare_headers` writes them."""
    headers = {"Content-Type": "application/json"}
    if "retries" in request:
        headers["Upstash-Retries"] = str(request["retries"])
    if "retry_delay" in request:
        headers["Upstash-Retry-Delay"] = request["retry_delay"]
    if "failure_callback" in request:
        headers["Upstash-Failure-Callback"] = request["failure_callback"]
    if "delay" in request:
        headers["Upstash-Delay"] = request["delay"]
    if "deduplication_id" in request:
        headers["Upstash-Deduplication-Id"] = request["deduplication_id"]
    flow = request.get("flow_control")
    if flow:
        values = [f"{name}={flow[name]}" for name in ("parallelism", "rate") if name in flow]
        if "period" in flow:
            values.append(f"period={flow['period']}s")
        headers["Upstash-Flow-Control-Key"] = flow["key"]
        headers["Upstash-Flow-Control-Value"] = ", ".join(values)
    return headers


def connect(token: str, base_url: str) -> QStashClient:
    return QStashClient(token, base_url)


class TaskQueue:
    def __init__(
        self,
        client: QStashClient,
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
                return await self.client.publish_json(self._request(message))
        except (QStashError, httpx.HTTPError, TimeoutError) as exc:
            raise DependencyUnavailable("qstash", type(exc).__name__) from exc

    async def publish_many(self, messages: list[Message]) -> None:
        if not messages:
            return
        if len(messages) == 1:
            await self.publish(messages[0])
            return
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.client.batch_json([self._request(message) for message in messages])
        except (QStashError, httpx.HTTPError, TimeoutError) as exc:
            raise DependencyUnavailable("qstash", type(exc).__name__) from exc


def _flow_control(key: str, limits: FlowLimits) -> dict[str, Any]:
    """QStash flow control: only the limits that are on (QStash: period defaults to 1 s)."""
    flow: dict[str, Any] = {"key": key}
    if limits.parallelism:
        flow["parallelism"] = limits.parallelism
    if limits.rate:
        flow["rate"] = limits.rate
        flow["period"] = limits.period_s
    return flow

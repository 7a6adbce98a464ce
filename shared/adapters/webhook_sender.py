"""POSTing a signed webhook to a merchant endpoint, with a timeout; never raises."""

from __future__ import annotations

import time

import httpx

from shared.adapters import http_transport
from shared.domain.webhooks import SendResult

MAX_ERROR_LENGTH = 300


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()
        try:
            response = await self.client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
            return SendResult(None, round(elapsed, 2), error)
        elapsed = (time.perf_counter() - started) * 1000
        failure = None if response.is_success else f"HTTP {response.status_code}"
        return SendResult(response.status_code, round(elapsed, 2), failure)


def connect(timeout_s: float) -> httpx.AsyncClient:
    return http_transport.client(
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        follow_redirects=False,
        headers={"User-Agent": "paygate-webhooks/0.1"},
    )

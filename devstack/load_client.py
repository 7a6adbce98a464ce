"""Creating one payment until it is accepted: same key, same body, retried through failures.

A 201 — first answer or replay — accepts the key. Connection errors, timeouts, 409
`idempotency_key_in_use`, 429 and 5xx are retried with the same key and body until a
deadline, so a payment whose response was lost (connection reset after the insert) is
found again by replaying its key. Any other 4xx is final: the body was refused.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from devstack.load_records import SentPayment

RETRYABLE_STATUS = frozenset({409, 425, 429, 500, 502, 503, 504})
TRANSIENT_STATUS = RETRYABLE_STATUS - {409}  # a 409 is transient only while a key is in use
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 1.0


def api_client(
    base_url: str, api_key: str, connections: int, timeout_s: float = 30.0
) -> httpx.AsyncClient:
    """One keep-alive HTTP/1.1 client for the whole run.

    Uses the aiohttp transport when it is installed: httpx's own pool scans every
    connection on each request and costs several times more CPU at 64+ connections,
    CPU the client would take from the stack it measures on a 2-core machine.
    """
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport: httpx.AsyncBaseTransport
    try:
        from httpx_aiohttp import AiohttpTransport

        transport = AiohttpTransport(limits=limits, trust_env=False)
    except ImportError:  # pragma: no cover - the local extra installs it
        transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=httpx.Timeout(timeout_s, connect=5.0),
        transport=transport,
        trust_env=False,
    )


@dataclass
class Timings:
    """Latency (ms) of every answered request, split by kind of answer."""

    created: list[float]
    replayed: list[float]
    retried: list[float]

    @classmethod
    def empty(cls) -> Timings:
        return cls([], [], [])


async def send_until_accepted(
    client: httpx.AsyncClient,
    item: SentPayment,
    deadline: float,
    timings: Timings,
    rng: random.Random,
) -> None:
    """Send `item` until a 201 (recorded on `item`), a refusal, or `deadline` (monotonic)."""
    while True:
        item.tries += 1
        started = time.perf_counter()
        try:
            response = await client.post(
                "/v1/payments", json=item.body, headers={"Idempotency-Key": item.key}
            )
        except httpx.HTTPError as exc:
            item.error = f"{type(exc).__name__}: {exc}"[:200]
            item.status_code = None
        else:
            elapsed = (time.perf_counter() - started) * 1000
            item.status_code = response.status_code
            if item.first_status is None and item.tries == 1:
                item.first_status = response.status_code
            if response.status_code == 201:
                item.accepted = True
                item.error = None
                item.payment_id = response.json()["id"]
                item.replayed = response.headers.get("idempotent-replayed") == "true"
                item.latency_ms = elapsed
                (timings.replayed if item.replayed else timings.created).append(elapsed)
                return
            timings.retried.append(elapsed)
            if response.status_code not in RETRYABLE_STATUS:
                item.error = "rejected"
                return
            item.error = f"HTTP {response.status_code}"
        if time.monotonic() >= deadline:
            return
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** min(item.tries - 1, 5))
        await asyncio.sleep(delay * (0.5 + rng.random()))


@dataclass
class Answer:
    """The last answer to a request retried through transient failures (None: none came)."""

    response: httpx.Response | None
    tries: int
    error: str | None

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def json(self) -> dict[str, Any]:
        try:
            body = self.response.json() if self.response is not None else {}
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @property
    def error_code(self) -> str | None:
        error = self.json().get("error")
        return error.get("code") if isinstance(error, dict) else None


def transient(response: httpx.Response) -> bool:
    """Worth the same request again: an outage, a rate limit, a key another request holds."""
    if response.status_code in TRANSIENT_STATUS:
        return True
    if response.status_code != 409:
        return False
    try:
        code = response.json().get("error", {}).get("code")
    except (ValueError, AttributeError):
        return False
    return bool(code == "idempotency_key_in_use")


async def request_until_answered(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    deadline: float,
    rng: random.Random,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """`method path` again (same body and headers) through connection errors and transient
    answers until another answer or `deadline` (monotonic)."""
    tries, error = 0, None
    while True:
        tries += 1
        try:
            response = await client.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
        else:
            if not transient(response):
                return Answer(response, tries, None)
            error = f"HTTP {response.status_code}"
        if time.monotonic() >= deadline:
            return Answer(None, tries, error)
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** min(tries - 1, 5))
        await asyncio.sleep(delay * (0.5 + rng.random()))

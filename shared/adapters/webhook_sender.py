"""POSTing a signed webhook to a merchant endpoint, with a timeout; never raises.

Before connecting, the destination is checked again (a name's DNS can change after the
endpoint was created): a URL whose host is, or resolves to, a refused address is never
contacted, and the attempt is recorded as failed with `destination_forbidden: …`. A literal
address (the dev stack's 127.0.0.1) costs no lookup.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable

import httpx

from shared.adapters import http_transport
from shared.domain.destinations import Destination
from shared.domain.errors import InvalidRequest
from shared.domain.webhooks import SendResult

# The destination check the composition root hands in (resolve + the domain's rules): the
# Destination it allows, or InvalidRequest saying why not.
DestinationCheck = Callable[[str], Awaitable[Destination]]

MAX_ERROR_LENGTH = 300
FORBIDDEN_ERROR = "destination_forbidden"


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, check: DestinationCheck | None = None) -> None:
        self.client = client
        self.check = check

    async def refusal(self, url: str) -> str | None:
        """Why `url` must not be contacted now, or None."""
        try:
            host = httpx.URL(url).raw_host.decode("ascii")  # what httpx would connect to
        except (httpx.InvalidURL, UnicodeError):
            return f"{FORBIDDEN_ERROR}: not a valid URL"
        if self.check is None:
            return None
        try:
            destination = await self.check(url)
        except InvalidRequest as exc:
            return f"{FORBIDDEN_ERROR}: {exc.message.removeprefix('url: ')}"
        if not _same_host(destination, host):
            return f"{FORBIDDEN_ERROR}: the URL's host is ambiguous ({host!r})"
        return None

    async def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()
        refused = await self.refusal(url)
        if refused is not None:
            elapsed = (time.perf_counter() - started) * 1000
            return SendResult(None, round(elapsed, 2), refused[:MAX_ERROR_LENGTH])
        try:
            response = await self.client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
            return SendResult(None, round(elapsed, 2), error)
        elapsed = (time.perf_counter() - started) * 1000
        failure = None if response.is_success else f"HTTP {response.status_code}"
        return SendResult(response.status_code, round(elapsed, 2), failure)


def _same_host(destination: Destination, wire_host: str) -> bool:
    """Whether httpx's reading of the URL's host is the one that was checked."""
    wire_host = wire_host.strip("[]").rstrip(".").lower()
    if destination.address is not None:
        try:
            return ipaddress.ip_address(wire_host) == destination.address
        except ValueError:
            return False
    try:
        return destination.host.encode("idna").decode("ascii").lower() == wire_host
    except UnicodeError:
        return False


def connect(timeout_s: float) -> httpx.AsyncClient:
    return http_transport.client(
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        follow_redirects=False,
        headers={"User-Agent": "paygate-webhooks/0.1"},
    )

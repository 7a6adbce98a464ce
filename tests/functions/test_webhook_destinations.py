"""Webhook destinations on the real local services: `POST /v1/webhook_endpoints` refuses every
forbidden class of address (in test mode through the app; in production mode through the use
case with production settings and the real resolver), and the sender re-checks at delivery
time, recording a refused destination as a failed attempt without ever connecting."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.adapters.dns_resolver import DnsResolver
from shared.config import Settings
from shared.domain.errors import InvalidRequest
from shared.domain.webhooks import generate_secret
from shared.services.lifecycle_messages import DISPATCH_PATH
from shared.services.webhook_endpoints import create_endpoint
from shared.web.bootstrap import build_clients, checked_sender
from tests.functions.helpers import new_key, payment_body
from tests.harness import QStashRelay, asgi_client

# One URL per refused class; each is refused in every mode (loopback aside, below).
REFUSED = {
    "metadata": "http://169.254.169.254/latest/meta-data/iam/",
    "metadata-https": "https://169.254.169.254/",
    "metadata-v6": "https://[fd00:ec2::254]/",
    "metadata-name": "https://metadata.google.internal/computeMetadata/v1/",
    "private-10": "https://10.0.0.5/hook",
    "private-172": "https://172.16.3.4/hook",
    "private-192": "https://192.168.0.10/hook",
    "private-v6": "https://[fc00::1]/hook",
    "link-local": "https://169.254.10.20/hook",
    "link-local-v6": "https://[fe80::1]/hook",
    "cgnat": "https://100.64.1.1/hook",
    "unspecified": "https://0.0.0.0/hook",
    "multicast": "https://224.0.0.251/hook",
    "reserved": "https://240.1.2.3/hook",
    "mapped-v6": "https://[::ffff:169.254.169.254]/hook",
    "mapped-v6-hex": "https://[::ffff:a9fe:a9fe]/hook",
    "decimal": "https://2852039166/hook",
    "octal": "https://0251.0376.0251.0376/hook",
    "hex": "https://0xa9fea9fe/hook",
    "short": "https://10.1/hook",
    "plain-http": "http://93.184.216.34/hook",
}
PRODUCTION_ONLY = {
    "loopback": "https://127.0.0.1:8443/hook",
    "loopback-v6": "https://[::1]/hook",
    "loopback-name": "https://localhost:8443/hook",  # resolved (the real resolver): loopback
    "loopback-http": "http://127.0.0.1:8090/webhooks",
    "unresolvable": "https://merchant.example/hook",  # .example never resolves
}

WEBHOOK_ATTEMPTS = 5  # PAYGATE_WEBHOOK_MAX_ATTEMPTS default


def assert_url_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "url" and error["code"].startswith("url_"), error
    assert error["message"].startswith("url: ")


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_api_refuses_forbidden_destinations(
    payments_api: httpx.AsyncClient, case: str
) -> None:
    assert_url_refused(
        await payments_api.post("/v1/webhook_endpoints", json={"url": REFUSED[case]})
    )


async def test_api_in_test_mode_accepts_loopback(payments_api: httpx.AsyncClient) -> None:
    """Loopback, and a name that does not resolve (yet; the sender checks it again)."""
    local = ("http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://[::1]:9/hook")
    for url in (*local, "https://merchant.example/hooks/x"):
        created = await payments_api.post("/v1/webhook_endpoints", json={"url": url})
        assert created.status_code == 201, created.text
        await payments_api.delete(f"/v1/webhook_endpoints/{created.json()['id']}")


@pytest.fixture
async def production_gateway(fn_env: dict[str, str]) -> AsyncIterator[Any]:
    """The real adapters built from production-mode settings (real secrets are not needed:
    creating an endpoint touches only Mongo and the resolver)."""
    settings = Settings(
        env="production",
        mongodb_uri=fn_env["MONGODB_URI"],
        mongodb_db="paygate_inproc",
        upstash_redis_rest_token="prod-upstash-token-for-tests",
        qstash_token="prod-qstash-token-for-tests",
        qstash_current_signing_key="sig_prodCurrentForTests",
        qstash_next_signing_key="sig_prodNextForTests",
        card_fingerprint_key="prod-card-fingerprint-key-for-tests-0123",
    )
    clients = build_clients(settings)
    assert not clients.gateway.config.webhook_allow_loopback
    yield clients.gateway
    await clients.mongo.close()


@pytest.mark.parametrize("case", sorted({**REFUSED, **PRODUCTION_ONLY}))
async def test_production_refuses_forbidden_destinations(
    production_gateway: Any, db: Any, case: str
) -> None:
    url = {**REFUSED, **PRODUCTION_ONLY}[case]
    with pytest.raises(InvalidRequest) as caught:
        await create_endpoint(production_gateway, "mer_prod_dest", {"url": url})
    assert caught.value.param == "url" and caught.value.http_status == 400
    assert await db["webhook_endpoints"].count_documents({"url": url}) == 0


async def test_production_accepts_https_to_a_public_address(
    production_gateway: Any, db: Any
) -> None:
    url = f"https://93.184.216.34/hook/{uuid.uuid4().hex}"
    created = await create_endpoint(production_gateway, "mer_prod_dest", {"url": url})
    assert created.url == url
    assert await db["webhook_endpoints"].count_documents({"url": url}) == 1


class ConnectionCounter:
    """A TCP listener that counts the connections it accepts (and closes them)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            self.connected.set()
            conn.close()

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def counter() -> Iterator[ConnectionCounter]:
    with ConnectionCounter() as listening:
        yield listening


async def test_sender_refuses_a_name_that_now_resolves_to_a_forbidden_address(
    counter: ConnectionCounter,
) -> None:
    """`localhost` resolves (through the real resolver) to loopback: outside dev mode the
    sender refuses it at send time and never opens a connection; in dev mode it connects."""
    url = f"https://localhost:{counter.port}/hook"
    production = checked_sender(2.0, DnsResolver(), allow_loopback=False)
    result = await production.send(url, "{}", {"content-type": "application/json"})
    assert result.status_code is None and not result.ok
    assert result.error is not None and result.error.startswith("destination_forbidden: ")
    assert "127.0.0.1" in result.error or "::1" in result.error
    await asyncio.sleep(0.3)
    assert counter.accepted == 0
    dev = checked_sender(2.0, DnsResolver(), allow_loopback=True)
    control = await dev.send(url, "{}", {"content-type": "application/json"})
    assert control.error is not None and not control.error.startswith("destination_forbidden")
    assert await asyncio.to_thread(
        counter.connected.wait, 3
    )  # the control did connect: the refusal was the check's
    await production.client.aclose()
    await dev.client.aclose()


@pytest.fixture
async def dest_api(fn_env: dict[str, str], db: Any) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A merchant of its own (so its endpoints touch no other test) and its client."""
    merchant_id = f"mer_dest_{uuid.uuid4().hex[:8]}"
    api_key = f"sk_test_dest_{uuid.uuid4().hex}"
    await db["merchants"].insert_one(
        {
            "_id": merchant_id,
            "name": merchant_id,
            "api_key_hash": hashlib.sha256(api_key.encode()).hexdigest(),
            "created_at": datetime.now(UTC),
        }
    )
    async with asgi_client("payments_api") as client:
        client.headers["Authorization"] = f"Bearer {api_key}"
        yield client, merchant_id


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://0xa9fea9fe/", "http://10.0.0.5:9/hook"],
)
async def test_delivery_to_a_forbidden_endpoint_is_a_failed_attempt(
    dest_api: tuple[httpx.AsyncClient, str], db: Any, url: str, relay: QStashRelay
) -> None:
    """An endpoint stored with a forbidden URL (created before the check, or written by hand)
    is refused at delivery: the attempt is recorded with destination_forbidden."""
    client, merchant_id = dest_api
    api_key = client.headers["Authorization"].removeprefix("Bearer ")
    await db["webhook_endpoints"].delete_many({"merchant_id": merchant_id})
    await db["webhook_endpoints"].insert_one(
        {
            "_id": f"we_{uuid.uuid4().hex}",
            "merchant_id": merchant_id,
            "url": url,
            "enabled_events": ["payment.succeeded", "payment.failed"],
            "description": None,
            "secret": generate_secret(),
            "status": "enabled",
            "created_at": datetime.now(UTC),
        }
    )
    async with asgi_client("create_payment") as creator:
        creator.headers["Authorization"] = f"Bearer {api_key}"
        created = await creator.post(
            "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
        )
    assert created.status_code == 201, created.text
    payment_id = created.json()["id"]
    # Every attempt of the refused delivery answers QStash 502 (retried, then given up).
    relay.expect_5xx(payment_id, DISPATCH_PATH, WEBHOOK_ATTEMPTS)
    attempts: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while not attempts and time.monotonic() < deadline:
        detail = (await client.get(f"/v1/payments/{payment_id}")).json()
        attempts = [a for d in detail.get("webhook_deliveries", []) for a in d["attempts"]]
        await asyncio.sleep(0.1)
    assert attempts, f"no delivery attempt recorded for {payment_id}"
    first = attempts[0]
    assert first["status_code"] is None
    assert first["error"].startswith("destination_forbidden: "), first


async def test_sender_checks_the_host_httpx_would_connect_to() -> None:
    sender = checked_sender(2.0, DnsResolver(), allow_loopback=False)
    try:
        for allowed in ("https://93.184.216.34/x", "https://[2606:4700:0:0:0:0:0:1111]:8443/x"):
            assert await sender.refusal(allowed) is None, allowed
        for refused in (
            "https://0xa9fea9fe/",
            "https://93.184.216.34\\@169.254.169.254/",
            "https://[::ffff:169.254.169.254]/",
            "https://metadata.google.internal/",
            "https://merchant.example/hook",  # does not resolve: nothing to connect to
        ):
            reason = await sender.refusal(refused)
            assert reason is not None and reason.startswith("destination_forbidden: "), refused
    finally:
        await sender.client.aclose()

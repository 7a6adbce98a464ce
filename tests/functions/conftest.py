"""Functions in-process and through their Lambda handlers, on the real local services.

`fn_env` points this test process's settings at the session's services (database
`paygate_inproc`, so the stack process's data is not shared) and at a `QStashRelay`, which
delivers every message the functions publish back to the functions in this process.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack.processes import ManagedProcess, free_port
from devstack.stack import StackConfig
from shared.config import get_settings
from shared.web import bootstrap
from tests.harness import QStashRelay, asgi_client

DEMO_KEY = "sk_test_demo"
AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
DB_NAME = "paygate_inproc"


def _reset_settings() -> None:
    get_settings.cache_clear()
    bootstrap._clients.clear()
    bootstrap._ready_locks.clear()


@pytest.fixture(scope="package")
def relay() -> Iterator[QStashRelay]:
    server = QStashRelay(free_port(), mode="asgi")
    server.start()
    yield server
    server.stop()
    server.check()


@pytest.fixture(autouse=True)
def no_unexpected_5xx(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that ran the relay: no internal delivery got a 5xx it did not ask for."""
    yield
    if "relay" in request.fixturenames:
        relay: QStashRelay = request.getfixturevalue("relay")
        relay.check()


@pytest.fixture(scope="package")
def fn_env(
    stack_cfg: StackConfig,
    mongo_service: ManagedProcess,
    upstash_service: ManagedProcess,
    qstash_service: ManagedProcess,
    receiver_service: ManagedProcess,
    relay: QStashRelay,
) -> Iterator[dict[str, str]]:
    env = {
        **stack_cfg.app_env(),
        "PAYGATE_ENV": "test",
        "PAYGATE_MONGODB_DB": DB_NAME,
        "PAYGATE_PUBLIC_URL": relay.url,
        "PAYGATE_GATEWAY_LATENCY_MS": "0,0",
        "PAYGATE_RATE_LIMIT_PER_SECOND": "0",
        "PAYGATE_LOG_LEVEL": "WARNING",
        # Disputes open and are decided a second after their cue, so the tests wait little.
        "PAYGATE_DISPUTE_DELAY_S": "1",
        "PAYGATE_DISPUTE_DECISION_DELAY_S": "1",
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    _reset_settings()
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _reset_settings()


@pytest.fixture
async def create_api(fn_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client("create_payment") as client:
        client.headers.update(AUTH)
        yield client


@pytest.fixture
async def payments_api(fn_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client("payments_api") as client:
        client.headers.update(AUTH)
        yield client


@pytest.fixture
async def db(fn_env: dict[str, str]) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        fn_env["MONGODB_URI"], tz_aware=True
    )
    yield client[DB_NAME]
    await client.close()

"""Per-merchant QStash flow control on the lifecycle messages (PAYGATE_FLOW_PARALLELISM).

A burst from one merchant is paced by its own key: never more than the limit of its
process_payment calls in flight (counted from the relay's delivery intervals), while another
merchant's payments go through alongside, not queued behind the burst.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.functions.conftest import _reset_settings
from tests.functions.helpers import new_key, payment_body, wait_settled
from tests.harness import PROCESS_PATH, Delivery, QStashRelay, asgi_client

LIMIT = 2


@pytest.fixture
def flow_env(fn_env: dict[str, str]) -> Iterator[None]:
    """Flow control on (parallelism 2) and a gateway slow enough for calls to overlap."""
    env = {"PAYGATE_FLOW_PARALLELISM": str(LIMIT), "PAYGATE_GATEWAY_LATENCY_MS": "250,250"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    _reset_settings()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _reset_settings()


@pytest.fixture
async def other_merchant(flow_env: None, db: Any) -> AsyncIterator[httpx.AsyncClient]:
    key = f"sk_test_{new_key()}"
    await db["merchants"].insert_one(
        {
            "_id": f"mer_{new_key()[-12:]}",
            "name": "Flow control neighbour",
            "api_key_hash": hashlib.sha256(key.encode()).hexdigest(),
            "created_at": datetime.now(UTC),
        }
    )
    async with asgi_client("create_payment") as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def _peak_in_flight(deliveries: list[Delivery]) -> int:
    """The most intervals open at once (an end at the same instant as a start closes first)."""
    edges = sorted([(d.started, 1) for d in deliveries] + [(d.ended, -1) for d in deliveries])
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


async def _create(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_burst_is_paced_per_merchant(
    flow_env: None,
    relay: QStashRelay,
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    other_merchant: httpx.AsyncClient,
) -> None:
    burst = await asyncio.gather(*(_create(create_api) for _ in range(8)))
    others = await asyncio.gather(*(_create(other_merchant) for _ in range(2)))
    for payment_id in burst:
        assert (await wait_settled(payments_api, payment_id, webhooks=False))["status"] == "SUCCESS"

    def calls(ids: list[str]) -> list[Delivery]:
        wanted = set(ids)
        return [d for d in relay.deliveries if d.path == PROCESS_PATH and d.payment_id in wanted]

    async def all_answered() -> bool:
        return len(calls(burst)) >= len(burst) and len(calls(others)) >= len(others)

    for _ in range(300):
        if await all_answered():
            break
        await asyncio.sleep(0.1)
    mine, theirs = calls(burst), calls(others)
    assert len(mine) == len(burst) and len(theirs) == len(others)
    assert all(d.status == 200 for d in mine + theirs)
    assert _peak_in_flight(mine) == LIMIT  # paced, and the limit is used
    # the neighbour's payments ran while the burst was still being worked through
    assert min(d.started for d in theirs) < max(d.ended for d in mine)

"""Per-merchant rate limiting (upstash-ratelimit over the Upstash REST client) and CORS
restricted to the configured dashboard origin, on the "edge" functions process."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pymongo.database import Database

from devstack.processes import ManagedProcess
from tests.security.conftest import DASHBOARD_ORIGIN, EDGE_RATE_LIMIT, edge_url
from tests.security.helpers import auth, insert_merchant

BURST = EDGE_RATE_LIMIT * 8


@pytest.fixture(scope="module")
def edge_client(edge: ManagedProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=edge_url(edge), timeout=15) as client:
        yield client


def new_merchant(mongo_db: Database[dict[str, object]]) -> str:
    key = f"sk_test_rl_{uuid.uuid4().hex}"
    insert_merchant(mongo_db, f"mer_rl_{uuid.uuid4().hex[:8]}", key)
    return key


def burst(client: httpx.Client, api_key: str, n: int = BURST) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(
            pool.map(
                lambda _: client.get("/v1/payments", params={"limit": 1}, headers=auth(api_key)),
                range(n),
            )
        )


def test_a_burst_over_the_limit_gets_429_with_retry_after(
    edge_client: httpx.Client, mongo_db: Database[dict[str, object]]
) -> None:
    key = new_merchant(mongo_db)
    started = time.monotonic()
    responses = burst(edge_client, key)
    windows = math.ceil(time.monotonic() - started) + 1  # fixed one-second windows touched
    codes = [r.status_code for r in responses]
    assert set(codes) == {200, 429}, codes
    assert codes.count(200) <= windows * EDGE_RATE_LIMIT, codes
    limited = next(r for r in responses if r.status_code == 429)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited.json()["error"]["type"] == "rate_limit_error"
    retry_after = limited.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 2
    time.sleep(int(retry_after))
    again = edge_client.get("/v1/payments", params={"limit": 1}, headers=auth(key))
    assert again.status_code == 200, again.text


def test_the_limit_is_per_merchant(
    edge_client: httpx.Client, mongo_db: Database[dict[str, object]]
) -> None:
    noisy, quiet = new_merchant(mongo_db), new_merchant(mongo_db)
    assert 429 in {r.status_code for r in burst(edge_client, noisy)}
    response = edge_client.get("/v1/payments", params={"limit": 1}, headers=auth(quiet))
    assert response.status_code == 200, response.text


def test_rate_limiting_is_off_when_the_setting_is_zero(
    api: httpx.Client, mongo_db: Database[dict[str, object]]
) -> None:
    """The session stack runs with PAYGATE_RATE_LIMIT_PER_SECOND unset (0), as benchmarks do."""
    key = new_merchant(mongo_db)
    codes = {r.status_code for r in burst(api, key, n=BURST * 2)}
    assert codes == {200}


@pytest.fixture(scope="module")
def cors_key(mongo_db: Database[dict[str, object]]) -> str:
    """A merchant for the CORS checks, so the rate-limit tests do not slow them down."""
    return new_merchant(mongo_db)


def test_cors_allows_the_dashboard_origin(edge_client: httpx.Client, cors_key: str) -> None:
    preflight = edge_client.options(
        "/v1/payments",
        headers={
            "Origin": DASHBOARD_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
    simple = edge_client.get("/v1/payments", headers={"Origin": DASHBOARD_ORIGIN, **auth(cors_key)})
    assert simple.status_code == 200
    assert simple.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://127.0.0.1:8000",
        "https://dashboard.paygate.test.evil.example",
        "null",
    ],
)
def test_cors_refuses_other_origins(edge_client: httpx.Client, cors_key: str, origin: str) -> None:
    preflight = edge_client.options(
        "/v1/payments",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    simple = edge_client.get("/v1/payments", headers={"Origin": origin, **auth(cors_key)})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers

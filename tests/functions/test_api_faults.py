"""The simulator's API faults on the real local services: `api.error_rate` before and after
the commit, `Paygate-Fault` for one request, the seeded per-key draws, `api.latency_ms`, and
the routes a fault never touches (`/v1/simulator`, so a merchant can always reset)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from shared.domain.simulator_settings import chance
from shared.services.api_faults import API_ERROR
from tests.functions.helpers import new_key, payment_body, wait_settled, wait_status
from tests.functions.simulator_helpers import put_simulator, simulator


def assert_outage(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["type"] == "api_error" and error["code"] == "simulated_outage"
    assert response.headers["Retry-After"] == "1"


async def stored_payments(db: Any, key: str) -> list[dict[str, Any]]:
    return await db.payments.find({"idempotency_key": key}).to_list(None)


async def test_forced_before_commit_does_nothing_and_the_retry_creates_it(
    create_api: httpx.AsyncClient, db: Any
) -> None:
    key = new_key()
    lost = await create_api.post(
        "/v1/payments",
        json=payment_body(),
        headers={"Idempotency-Key": key, "Paygate-Fault": "before_commit"},
    )
    assert_outage(lost)
    assert await stored_payments(db, key) == []
    again = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
    )
    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers


async def test_forced_after_commit_creates_it_and_the_retry_replays_it(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    key = new_key()
    lost = await create_api.post(
        "/v1/payments",
        json=payment_body(),
        headers={"Idempotency-Key": key, "Paygate-Fault": "after_commit"},
    )
    assert_outage(lost)
    [stored] = await stored_payments(db, key)
    again = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
    )
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == stored["_id"]
    # The lost request released its idempotency lock as usual: the payment went on.
    await wait_settled(payments_api, stored["_id"])


async def test_a_bad_fault_header_is_refused_and_changes_nothing(
    create_api: httpx.AsyncClient, db: Any
) -> None:
    for value in ("after", "BEFORE_COMMIT", "", "before_commit,after_commit"):
        key = new_key()
        response = await create_api.post(
            "/v1/payments",
            json=payment_body(),
            headers={"Idempotency-Key": key, "Paygate-Fault": value},
        )
        assert response.status_code == 400, (value, response.text)
        error = response.json()["error"]
        assert error["param"] == "Paygate-Fault" and error["type"] == "invalid_request_error"
        assert await stored_payments(db, key) == []


async def test_error_rate_one_after_commit_on_refunds_and_capture(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    created = await create_api.post(
        "/v1/payments", json=payment_body(amount=1000), headers={"Idempotency-Key": new_key()}
    )
    paid = await wait_settled(payments_api, created.json()["id"])
    manual = await create_api.post(
        "/v1/payments",
        json=payment_body(capture_method="manual"),
        headers={"Idempotency-Key": new_key()},
    )
    held = manual.json()["id"]
    await wait_status(payments_api, held, ("REQUIRES_CAPTURE",))
    key = new_key()
    body = {"payment": paid["id"], "amount": 400}
    async with simulator(payments_api, api={"error_rate": 1.0, "error_mode": "after_commit"}):
        lost = await payments_api.post("/v1/refunds", json=body, headers={"Idempotency-Key": key})
        assert_outage(lost)
        captured = await payments_api.post(f"/v1/payments/{held}/capture")
        assert_outage(captured)
        # Reads are never failed.
        assert (await payments_api.get(f"/v1/payments/{held}")).status_code == 200
    [refund] = await db.refunds.find({"idempotency_key": key}).to_list(None)
    again = await payments_api.post("/v1/refunds", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == refund["_id"]
    detail = (await payments_api.get(f"/v1/payments/{held}")).json()
    assert detail["status"] == "SUCCESS"  # the lost capture took effect


async def test_error_rate_one_before_commit_refuses_every_post_but_the_simulator(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    key = new_key()
    async with simulator(payments_api, api={"error_rate": 1.0}):
        assert_outage(
            await create_api.post(
                "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
            )
        )
        # The simulator itself answers: read, replace, reset.
        assert (await payments_api.get("/v1/simulator")).status_code == 200
        await put_simulator(payments_api, api={"error_rate": 1.0, "error_mode": "after_commit"})
        assert (await payments_api.get("/v1/payments")).status_code == 200
    assert await stored_payments(db, key) == []
    after = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
    )
    assert after.status_code == 201, after.text


async def test_seeded_draws_follow_the_per_key_counter(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    """At rate 0.5 with a seed, the n-th request with a key fails exactly when
    chance(0.5, seed, key, n, "api_error") says so: retries on the same key get through."""
    seed = 424242

    def draws(key: str) -> list[bool]:
        return [chance(0.5, seed, key, n, API_ERROR) for n in range(1, 9)]

    # A key whose draws exercise both answers (nearly every key's do).
    key = next(k for k in (new_key() for _ in range(100)) if len(set(draws(k))) == 2)
    expected = draws(key)
    statuses = []
    async with simulator(payments_api, seed=seed, api={"error_rate": 0.5}):
        for _ in expected:
            response = await create_api.post(
                "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
            )
            statuses.append(response.status_code)
    assert statuses.count(201) == expected.count(False)
    assert [status == 503 for status in statuses] == expected


async def test_latency_delays_each_api_request(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    async with simulator(payments_api, api={"latency_ms": {"min": 400, "max": 400}}):
        started = time.monotonic()
        response = await create_api.post(
            "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
        )
        took = time.monotonic() - started
    assert response.status_code == 201, response.text
    assert took >= 0.4  # a lower bound only: the delay happened

"""The whole lifecycle in this process: QStash delivers each published step back to the functions
(over ASGI, and through their Lambda handlers), against the real local services."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.functions.helpers import new_key, payment_body, qstash_delivery, wait_settled
from tests.harness import QStashRelay

CASES = [
    ({"scenario": "success"}, "SUCCESS", 1, None),
    ({"scenario": "hard_failure"}, "FAILED", 1, "card_declined"),
    ({"scenario": "timeout"}, "FAILED", 3, "timeout"),
    ({"scenario": "flaky"}, "SUCCESS", 2, None),
    (
        {"scenario": None, "payment_method": {"type": "card", "card_number": "4000000000009995"}},
        "FAILED",
        1,
        "insufficient_funds",
    ),
    (
        {"scenario": None, "payment_method": {"type": "upi", "vpa": "timeout@paygate"}},
        "FAILED",
        3,
        "timeout",
    ),
]


def _moves(detail: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(e["from"], e["to"], e["attempt"]) for e in detail["events"]]


@pytest.mark.parametrize(("change", "status", "attempts", "code"), CASES)
async def test_payment_reaches_its_documented_final_state(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    relay: QStashRelay,
    change: dict[str, Any],
    status: str,
    attempts: int,
    code: str | None,
) -> None:
    created = await create_api.post(
        "/v1/payments", json=payment_body(**change), headers={"Idempotency-Key": new_key()}
    )
    assert created.status_code == 201
    pid = created.json()["id"]
    # Each attempt but the last times out and answers 503 so QStash retries; the last answers.
    if attempts > 1:
        relay.expect_5xx(pid, count=attempts - 1)
    detail = await wait_settled(payments_api, pid)
    assert await relay.wait_answered(pid) == [503] * (attempts - 1) + [200]
    assert await relay.wait_answered(pid, "/internal/dispatch_webhook") == [200]
    assert detail["status"] == status and detail["attempts"] == attempts
    assert (detail["failure"] or {}).get("code") == code
    moves = _moves(detail)
    assert moves[0] == ("CREATED", "PROCESSING", 1)
    assert moves[-1][1] == status
    assert sum(1 for m in moves if m[1] in ("SUCCESS", "FAILED")) == 1
    assert len(moves) == 2 * attempts
    deliveries = detail["webhook_deliveries"]
    assert [d["event_type"] for d in deliveries] == [
        "payment.succeeded" if status == "SUCCESS" else "payment.failed"
    ]
    assert deliveries[0]["status"] == "SUCCESS" and detail["webhook_status"] == "SUCCESS"
    assert deliveries[0]["payload"]["data"]["id"] == detail["id"]


async def test_always_timeout_payment_answers_503_503_200(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, relay: QStashRelay
) -> None:
    """DESIGN.md's retry arithmetic for max_attempts 3: deliveries 0 and 1 answer 503, 2 answers
    200 with the payment FAILED (timeout), and nothing after that is delivered to it."""
    created = await create_api.post(
        "/v1/payments",
        json=payment_body(scenario="timeout"),
        headers={"Idempotency-Key": new_key()},
    )
    payment = created.json()
    assert created.status_code == 201 and payment["max_attempts"] == 3
    relay.expect_5xx(payment["id"], count=2)
    detail = await wait_settled(payments_api, payment["id"])
    assert await relay.wait_answered(payment["id"]) == [503, 503, 200]
    assert detail["status"] == "FAILED" and detail["failure"]["code"] == "timeout"
    assert relay.statuses(payment["id"], "/internal/process_payment/failure") == []


async def test_manual_retry_starts_a_new_generation(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    created = await create_api.post(
        "/v1/payments",
        json=payment_body(scenario="hard_failure"),
        headers={"Idempotency-Key": new_key()},
    )
    pid = created.json()["id"]
    await wait_settled(payments_api, pid)
    retried = await payments_api.post(f"/v1/payments/{pid}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "RETRYING"
    again = await payments_api.post(f"/v1/payments/{pid}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    detail = await wait_settled(payments_api, pid)
    assert detail["status"] == "FAILED" and detail["attempts"] == 1 and detail["retry_count"] == 1
    assert _moves(detail)[2:] == [
        ("FAILED", "RETRYING", 0),
        ("RETRYING", "PROCESSING", 1),
        ("PROCESSING", "FAILED", 1),
    ]
    assert len(detail["webhook_deliveries"]) == 2  # one payment.failed per generation


async def test_same_message_delivered_twice_changes_nothing(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    fn_env: dict[str, str],
) -> None:
    created = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
    )
    pid = created.json()["id"]
    before = await wait_settled(payments_api, pid)
    body = json.dumps({"payment_id": pid, "generation": 1}).encode()
    for _ in range(2):
        response = await qstash_delivery(fn_env, "/internal/process_payment", body)
        assert response.status_code == 200
        assert response.json()["outcome"] == "already_final"
    after = (await payments_api.get(f"/v1/payments/{pid}")).json()
    assert after["events"] == before["events"] and after["status"] == before["status"]
    assert after["webhook_deliveries"][0]["event_id"] == before["webhook_deliveries"][0]["event_id"]


async def test_lifecycle_through_lambda_handlers(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    relay: QStashRelay,
) -> None:
    relay.mode = "lambda"
    try:
        created = await create_api.post(
            "/v1/payments",
            json=payment_body(scenario="flaky"),
            headers={"Idempotency-Key": new_key()},
        )
        pid = created.json()["id"]
        relay.expect_5xx(pid)  # flaky: the first attempt times out
        detail = await wait_settled(payments_api, pid)
        statuses = await relay.wait_answered(pid)
    finally:
        relay.mode = "asgi"
    assert statuses == [503, 200]
    assert detail["status"] == "SUCCESS" and detail["attempts"] == 2
    paths = [d.path for d in relay.deliveries if pid.encode() in d.body]
    assert paths.count("/internal/process_payment") == 2

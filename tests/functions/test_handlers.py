"""Each function's Lambda handler (Mangum, API Gateway v2 events) answers as its app does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.functions.conftest import AUTH
from tests.functions.helpers import new_key, payment_body, wait_settled
from tests.harness import apigw_v2_event, asgi_client, lambda_invoke_async
from tests.qstash_jwt import qstash_signature


async def _both(
    name: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[httpx.Response, Any]:
    async with asgi_client(name) as client:
        over_asgi = await client.request(method, path, headers=headers, content=body)
    via_lambda = await lambda_invoke_async(
        name, apigw_v2_event(method, path, headers=headers, body=body)
    )
    return over_asgi, via_lambda


async def test_create_payment_handler(fn_env: dict[str, str]) -> None:
    body = json.dumps(payment_body()).encode()
    headers = {**AUTH, "Idempotency-Key": new_key(), "content-type": "application/json"}
    over_asgi, via_lambda = await _both("create_payment", "POST", "/v1/payments", headers, body)
    assert over_asgi.status_code == 201 and via_lambda.status_code == 201
    assert via_lambda.json() == over_asgi.json()  # the second call is the replay
    assert via_lambda.headers["idempotent-replayed"] == "true"


async def test_payments_api_handler(
    fn_env: dict[str, str], create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    created = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
    )
    pid = created.json()["id"]
    await wait_settled(payments_api, pid)
    over_asgi, via_lambda = await _both("payments_api", "GET", f"/v1/payments/{pid}", AUTH)
    assert over_asgi.status_code == via_lambda.status_code == 200
    assert via_lambda.json() == over_asgi.json()
    missing_asgi, missing_lambda = await _both("payments_api", "GET", "/v1/payments/pay_nope", AUTH)
    assert missing_asgi.status_code == missing_lambda.status_code == 404
    assert missing_lambda.json() == missing_asgi.json()
    unauth_asgi, unauth_lambda = await _both("payments_api", "GET", "/v1/metrics", {})
    assert unauth_asgi.status_code == unauth_lambda.status_code == 401


async def test_internal_handlers_verify_signatures(
    fn_env: dict[str, str], create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    created = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
    )
    pid = created.json()["id"]
    detail = await wait_settled(payments_api, pid)
    delivery_id = detail["webhook_deliveries"][0]["id"]
    base = fn_env["PAYGATE_PUBLIC_URL"]
    calls = [
        (
            "process_payment",
            "/internal/process_payment",
            {"payment_id": pid, "generation": 1},
            "already_final",
        ),
        (
            "dispatch_webhook",
            "/internal/dispatch_webhook",
            {"delivery_id": delivery_id, "round": 0},
            "already_success",
        ),
    ]
    for name, path, message, outcome in calls:
        body = json.dumps(message).encode()
        results = []
        for invoke in ("asgi", "lambda"):
            headers = {
                "Upstash-Signature": qstash_signature(base + path, body),
                "content-type": "application/json",
            }
            if invoke == "asgi":
                async with asgi_client(name) as client:
                    response = await client.post(path, content=body, headers=headers)
                results.append((response.status_code, response.json()))
            else:
                result = await lambda_invoke_async(
                    name, apigw_v2_event("POST", path, headers=headers, body=body)
                )
                results.append((result.status_code, result.json()))
        assert results[0] == results[1]
        assert results[0][0] == 200 and results[0][1]["outcome"] == outcome
        unsigned = await lambda_invoke_async(name, apigw_v2_event("POST", path, body=body))
        assert unsigned.status_code == 401
        assert unsigned.json()["error"]["code"] == "invalid_signature"


async def test_sweeper_handler_runs_http_and_scheduled(fn_env: dict[str, str]) -> None:
    from tests.events import load_event
    from tests.harness import load_function
    from tests.lambda_runtime import invoke

    path = "/internal/sweep"
    body = b"{}"
    url = fn_env["PAYGATE_PUBLIC_URL"] + path
    result = await lambda_invoke_async(
        "sweeper",
        apigw_v2_event(
            "POST",
            path,
            body=body,
            headers={
                "Upstash-Signature": qstash_signature(url, body),
                "content-type": "application/json",
            },
        ),
    )
    assert result.status_code == 200 and set(result.json()) == {"republished", "failed"}
    loop = asyncio.get_running_loop()
    handler = load_function("sweeper").handler
    report = await loop.run_in_executor(None, invoke, handler, load_event("eventbridge_scheduled"))
    assert set(report) == {"republished", "failed"}

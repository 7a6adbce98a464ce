"""Every scenario and magic value through the running stack, webhooks checked at the receiver."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from qstash import AsyncQStash

from devstack.stack import StackConfig
from tests.functions.helpers import new_key, payment_body, wait_settled
from tests.qstash_jwt import qstash_signature

CARD = "card"
CASES = [
    ("scenario success", {"scenario": "success"}, "SUCCESS", 1, None),
    ("scenario timeout", {"scenario": "timeout"}, "FAILED", 3, "timeout"),
    ("scenario hard_failure", {"scenario": "hard_failure"}, "FAILED", 1, "card_declined"),
    ("scenario flaky", {"scenario": "flaky"}, "SUCCESS", 2, None),
    (
        "card 4242",
        {"payment_method": {"type": CARD, "card_number": "4242424242424242"}},
        "SUCCESS",
        1,
        None,
    ),
    (
        "card declined",
        {"payment_method": {"type": CARD, "card_number": "4000000000000002"}},
        "FAILED",
        1,
        "card_declined",
    ),
    (
        "card insufficient",
        {"payment_method": {"type": CARD, "card_number": "4000000000009995"}},
        "FAILED",
        1,
        "insufficient_funds",
    ),
    (
        "card processing error",
        {"payment_method": {"type": CARD, "card_number": "4000000000000119"}},
        "FAILED",
        3,
        "processing_error",
    ),
    (
        "upi success",
        {"payment_method": {"type": "upi", "vpa": "success@paygate"}},
        "SUCCESS",
        1,
        None,
    ),
    (
        "upi failure",
        {"payment_method": {"type": "upi", "vpa": "failure@paygate"}},
        "FAILED",
        1,
        "upi_declined",
    ),
    (
        "upi timeout",
        {"payment_method": {"type": "upi", "vpa": "timeout@paygate"}},
        "FAILED",
        3,
        "timeout",
    ),
]


async def test_every_scenario_and_magic_value_settles_as_documented(
    api: httpx.AsyncClient, stack_cfg: StackConfig
) -> None:
    created: dict[str, tuple[str, str, int, str | None]] = {}
    for name, change, status, attempts, code in CASES:
        body = payment_body(**{"scenario": None, **change})
        response = await api.post("/v1/payments", json=body, headers={"Idempotency-Key": new_key()})
        assert response.status_code == 201, (name, response.text)
        created[response.json()["id"]] = (name, status, attempts, code)
    details = await asyncio.gather(*[wait_settled(api, pid, within_s=60) for pid in created])
    async with httpx.AsyncClient(base_url=stack_cfg.receiver_url) as receiver:
        for detail in details:
            name, status, attempts, code = created[detail["id"]]
            assert detail["status"] == status, name
            assert detail["attempts"] == attempts, name
            assert (detail["failure"] or {}).get("code") == code, name
            finals = [e for e in detail["events"] if e["to"] in ("SUCCESS", "FAILED")]
            assert len(finals) == 1, name
            delivery = detail["webhook_deliveries"][0]
            assert delivery["status"] == "SUCCESS" and detail["webhook_status"] == "SUCCESS"
            got = (await receiver.get("/deliveries", params={"payment_id": detail["id"]})).json()[
                "data"
            ]
            assert got, name
            assert all(d["valid_signature"] for d in got)
            assert {d["event_type"] for d in got} == {delivery["event_type"]}
            assert got[0]["body"]["data"]["status"] == status


async def test_hundred_concurrent_requests_with_one_key_make_one_payment(
    api: httpx.AsyncClient, stack_db: Any
) -> None:
    key = new_key()
    responses = await asyncio.gather(
        *[
            api.post("/v1/payments", json=payment_body(), headers={"Idempotency-Key": key})
            for _ in range(100)
        ]
    )
    assert {r.status_code for r in responses} <= {201, 409}
    winners = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(winners) == 1
    assert await stack_db["payments"].count_documents({"idempotency_key": key}) == 1
    replay = await api.post("/v1/payments", json=payment_body(), headers={"Idempotency-Key": key})
    assert replay.json()["id"] in winners and replay.headers["Idempotent-Replayed"] == "true"


async def test_a_redelivered_qstash_message_changes_nothing(
    api: httpx.AsyncClient, stack_cfg: StackConfig
) -> None:
    response = await api.post(
        "/v1/payments", json=payment_body(scenario="flaky"), headers={"Idempotency-Key": new_key()}
    )
    pid = response.json()["id"]
    before = await wait_settled(api, pid)
    qstash = AsyncQStash(stack_cfg.qstash_token, base_url=stack_cfg.qstash_url)
    for copy in range(2):  # the same message body, delivered twice more by QStash itself
        await qstash.message.publish_json(
            url=f"{stack_cfg.functions_url}/internal/process_payment",
            body={"payment_id": pid, "generation": 1},
            deduplication_id=f"again-{pid}-{copy}",
        )
    await asyncio.sleep(1.0)
    after = await wait_settled(api, pid)
    assert after["events"] == before["events"]
    assert after["attempts"] == before["attempts"] == 2
    assert [d["attempt_count"] for d in after["webhook_deliveries"]] == [
        d["attempt_count"] for d in before["webhook_deliveries"]
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/internal/process_payment",
        "/internal/dispatch_webhook",
        "/internal/process_payment/failure",
        "/internal/sweep",
        "/internal/dispatch_webhook/failure",
    ],
)
async def test_unsigned_or_forged_internal_calls_are_401(
    api: httpx.AsyncClient, stack_cfg: StackConfig, path: str
) -> None:
    body = json.dumps({"payment_id": "pay_x", "generation": 1}).encode()
    url = stack_cfg.functions_url + path
    forged = qstash_signature(url, body, key="sig_not_the_real_key")
    for headers in ({}, {"Upstash-Signature": forged}, {"Upstash-Signature": "garbage"}):
        response = await api.post(
            path, content=body, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_signature"


BAD = [
    ({"Idempotency-Key": "k"}, b'{"amount": -1}', "application/json", 400),
    ({"Idempotency-Key": "k2"}, b"not json", "application/json", 400),
    ({"Idempotency-Key": "k3"}, b"{}", "text/plain", 415),
    ({}, json.dumps(payment_body()).encode(), "application/json", 400),
    (
        {"Idempotency-Key": "k4"},
        json.dumps(payment_body(currency="ZZZ")).encode(),
        "application/json",
        400,
    ),
    (
        {"Idempotency-Key": "k5"},
        json.dumps(payment_body(amount=10**15)).encode(),
        "application/json",
        400,
    ),
    (
        {"Idempotency-Key": "k6"},
        b'{"amount": 1, "x": "' + b"y" * 70_000 + b'"}',
        "application/json",
        413,
    ),
]


async def test_bad_inputs_get_the_right_error_and_change_nothing(
    api: httpx.AsyncClient, stack_db: Any
) -> None:
    before = {
        name: await stack_db[name].count_documents({})
        for name in ("payments", "payment_events", "webhook_deliveries")
    }
    for headers, body, content_type, status in BAD:
        response = await api.post(
            "/v1/payments", content=body, headers={**headers, "content-type": content_type}
        )
        assert response.status_code == status, (body[:40], response.text)
        error = response.json()["error"]
        assert set(error) >= {"type", "code", "message"} and "Traceback" not in response.text
    after = {
        name: await stack_db[name].count_documents({})
        for name in ("payments", "payment_events", "webhook_deliveries")
    }
    assert after == before


async def test_health_and_openapi(api: httpx.AsyncClient) -> None:
    health = await api.get("/healthz")
    assert health.status_code == 200
    assert health.json()["dependencies"] == {"mongo": "ok", "redis": "ok", "qstash": "ok"}
    schema = (await api.get("/openapi.json")).json()
    for path in (
        "/v1/payments",
        "/v1/payments/{payment_id}",
        "/v1/payments/{payment_id}/retry",
        "/v1/metrics",
        "/v1/webhook_endpoints",
        "/v1/webhook_deliveries/{delivery_id}/redeliver",
    ):
        assert path in schema["paths"], path
    assert not any(p.startswith("/internal") for p in schema["paths"])
    responses = schema["paths"]["/v1/payments"]["post"]["responses"]
    assert {"201", "400", "401", "409", "413", "415", "422", "429", "503"} <= set(responses)
    assert (await api.get("/docs")).status_code == 200

"""payments_api in-process: lists, detail, retry, metrics, webhook endpoints and redelivery."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.functions.helpers import new_key, payment_body, wait_settled


async def _create(api: httpx.AsyncClient, **change: Any) -> str:
    response = await api.post(
        "/v1/payments", json=payment_body(**change), headers={"Idempotency-Key": new_key()}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_list_is_newest_first_with_cursor_pagination(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    user = f"user_{new_key()[-8:]}"
    created = [await _create(create_api, user_id=user) for _ in range(5)]
    first = (await payments_api.get("/v1/payments", params={"user_id": user, "limit": 2})).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert [p["id"] for p in first["data"]] == created[::-1][:2]
    second = (
        await payments_api.get(
            "/v1/payments",
            params={"user_id": user, "limit": 2, "starting_after": first["data"][-1]["id"]},
        )
    ).json()
    assert [p["id"] for p in second["data"]] == created[::-1][2:4]
    third = (
        await payments_api.get(
            "/v1/payments",
            params={"user_id": user, "limit": 2, "starting_after": second["data"][-1]["id"]},
        )
    ).json()
    assert [p["id"] for p in third["data"]] == created[:1] and third["has_more"] is False
    back = (
        await payments_api.get(
            "/v1/payments",
            params={"user_id": user, "limit": 2, "ending_before": third["data"][0]["id"]},
        )
    ).json()
    assert [p["id"] for p in back["data"]] == created[::-1][2:4]


async def test_list_filters_and_bad_parameters(
    payments_api: httpx.AsyncClient, create_api: httpx.AsyncClient
) -> None:
    pid = await _create(create_api, scenario="hard_failure")
    await wait_settled(payments_api, pid)
    failed = (
        await payments_api.get("/v1/payments", params={"status": "FAILED", "limit": 100})
    ).json()
    assert failed["data"] and all(p["status"] == "FAILED" for p in failed["data"])
    for params, param in [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"status": "DONE"}, "status"),
        ({"starting_after": "whd_1"}, "starting_after"),
    ]:
        response = await payments_api.get("/v1/payments", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["param"] == param


async def test_other_merchants_objects_are_invisible(
    payments_api: httpx.AsyncClient, create_api: httpx.AsyncClient, db: Any
) -> None:
    pid = await _create(create_api, scenario="hard_failure")
    detail = await wait_settled(payments_api, pid)
    other_key = f"sk_test_{new_key()}"
    await db["merchants"].insert_one(
        {
            "_id": f"mer_{new_key()[-10:]}",
            "name": "Other",
            "api_key_hash": hashlib.sha256(other_key.encode()).hexdigest(),
            "created_at": datetime.now(UTC),
        }
    )
    headers = {"Authorization": f"Bearer {other_key}"}
    delivery_id = detail["webhook_deliveries"][0]["id"]
    for method, path in [
        ("GET", f"/v1/payments/{pid}"),
        ("POST", f"/v1/payments/{pid}/retry"),
        ("POST", f"/v1/webhook_deliveries/{delivery_id}/redeliver"),
        ("DELETE", "/v1/webhook_endpoints/we_demo"),
        ("POST", "/v1/webhook_endpoints/we_demo/rotate_secret"),
    ]:
        response = await payments_api.request(method, path, headers=headers)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "resource_missing"
    listed = (await payments_api.get("/v1/payments", headers=headers)).json()
    assert listed["data"] == []
    assert (await payments_api.get("/v1/metrics", headers=headers)).json()["total"] == 0


async def test_retry_only_from_failed(
    payments_api: httpx.AsyncClient, create_api: httpx.AsyncClient
) -> None:
    pid = await _create(create_api)
    await wait_settled(payments_api, pid)
    response = await payments_api.post(f"/v1/payments/{pid}/retry")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state"
    assert (await payments_api.post("/v1/payments/pay_missing/retry")).status_code == 404


async def test_metrics_shape(
    payments_api: httpx.AsyncClient, create_api: httpx.AsyncClient
) -> None:
    pid = await _create(create_api, payment_method={"type": "wallet", "wallet": "paytm"})
    await wait_settled(payments_api, pid)
    metrics = (await payments_api.get("/v1/metrics")).json()
    assert metrics["object"] == "metrics" and metrics["total"] >= 1
    assert set(metrics["status_counts"]) == {
        "CREATED",
        "PROCESSING",
        "RETRYING",
        "SUCCESS",
        "FAILED",
    }
    assert metrics["payment_method_distribution"]["wallet"] >= 1
    assert 0 <= metrics["success_rate"] <= 1 and 0 <= metrics["failure_rate"] <= 1
    assert metrics["latency_ms"]["p50"] is not None
    assert (
        metrics["latency_ms"]["p50"] <= metrics["latency_ms"]["p95"] <= metrics["latency_ms"]["p99"]
    )
    assert len(metrics["payments_per_minute"]) == 30
    assert metrics["payments_per_minute"][-1]["count"] >= 1
    assert metrics["webhooks"]["SUCCESS"] >= 1


async def test_webhook_endpoints_lifecycle(
    payments_api: httpx.AsyncClient, fn_env: dict[str, str]
) -> None:
    url = fn_env["PAYGATE_DEMO_WEBHOOK_URL"]
    created = await payments_api.post(
        "/v1/webhook_endpoints", json={"url": url, "enabled_events": ["payment.failed"]}
    )
    assert created.status_code == 201
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["id"].startswith("we_")
    listed = (await payments_api.get("/v1/webhook_endpoints")).json()["data"]
    assert endpoint["id"] in [e["id"] for e in listed]
    assert all("secret" not in e for e in listed)
    rotation = await payments_api.post(f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret")
    assert rotation.status_code == 200, rotation.text
    rotated = rotation.json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"]
    deleted = await payments_api.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
    assert deleted.json() == {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
    again = await payments_api.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
    assert again.status_code == 404
    bad = await payments_api.post("/v1/webhook_endpoints", json={"url": "ftp://x"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "url"
    bad_event = await payments_api.post(
        "/v1/webhook_endpoints", json={"url": url, "enabled_events": ["payment.exploded"]}
    )
    assert bad_event.status_code == 400


async def test_redeliver_sends_the_same_event_again(
    payments_api: httpx.AsyncClient, create_api: httpx.AsyncClient, fn_env: dict[str, str]
) -> None:
    pid = await _create(create_api)
    detail = await wait_settled(payments_api, pid)
    delivery = detail["webhook_deliveries"][0]
    response = await payments_api.post(f"/v1/webhook_deliveries/{delivery['id']}/redeliver")
    assert response.status_code == 202 and response.json()["status"] == "PENDING"
    detail = await wait_settled(payments_api, pid)
    again = detail["webhook_deliveries"][0]
    assert again["status"] == "SUCCESS" and again["attempt_count"] == 2
    assert [a["round"] for a in again["attempts"]] == [0, 1]
    receiver = fn_env["PAYGATE_DEMO_WEBHOOK_URL"].rsplit("/", 1)[0]
    async with httpx.AsyncClient() as client:
        got = (
            await client.get(f"{receiver}/deliveries", params={"webhook_id": delivery["event_id"]})
        ).json()["data"]
    assert len(got) == 2 and all(d["valid_signature"] for d in got)
    assert len({d["body_sha256"] for d in got}) == 1

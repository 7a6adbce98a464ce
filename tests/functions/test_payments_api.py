"""payments_api in-process: lists, detail, retry, metrics, webhook endpoints and redelivery."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.functions.helpers import new_key, payment_body, wait_settled
from tests.harness import QStashRelay
from tests.security.capture import CaptureServer


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


async def _new_merchant(db: Any) -> dict[str, str]:
    """A merchant of its own (headers with its key), so its metrics count only this test."""
    key = f"sk_test_{new_key()}"
    await db["merchants"].insert_one(
        {
            "_id": f"mer_{new_key()[-12:]}",
            "name": "Metrics",
            "api_key_hash": hashlib.sha256(key.encode()).hexdigest(),
            "created_at": datetime.now(UTC),
        }
    )
    return {"Authorization": f"Bearer {key}"}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


METRICS_MIX: list[dict[str, Any]] = [
    {"scenario": "success"},
    {"scenario": "success", "payment_method": {"type": "wallet", "wallet": "paytm"}},
    {"scenario": None, "payment_method": {"type": "upi", "vpa": "success@paygate"}},
    {"scenario": "hard_failure"},  # retried by hand below: two generations
    {"scenario": "timeout"},  # 3 attempts
    {"scenario": "flaky", "payment_method": {"type": "wallet", "wallet": "phonepe"}},
]


async def test_metrics_match_what_the_payments_say(
    payments_api: httpx.AsyncClient,
    create_api: httpx.AsyncClient,
    relay: QStashRelay,
    db: Any,
) -> None:
    """Every figure of /v1/metrics recomputed here from the merchant's payments, their audit
    trail and their webhook deliveries, read back through the API."""
    with CaptureServer() as site:
        await _metrics_run(payments_api, create_api, relay, db, site)


async def _metrics_run(
    payments_api: httpx.AsyncClient,
    create_api: httpx.AsyncClient,
    relay: QStashRelay,
    db: Any,
    site: CaptureServer,
) -> None:
    headers = await _new_merchant(db)
    for client in (payments_api, create_api):  # this test's clients act as that merchant
        client.headers.update(headers)
    endpoint = await payments_api.post(
        "/v1/webhook_endpoints",
        json={"url": f"{site.url}/hooks"},
    )
    assert endpoint.status_code == 201, endpoint.text
    empty = (await payments_api.get("/v1/metrics")).json()
    assert empty["total"] == 0 and empty["avg_retries"] == 0.0 and empty["success_rate"] is None
    ids = []
    for change in METRICS_MIX:
        created = await create_api.post(
            "/v1/payments",
            json=payment_body(**change),
            headers={"Idempotency-Key": new_key()},
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    relay.expect_5xx(ids[4], count=2)
    relay.expect_5xx(ids[5], count=1)
    for pid in ids:
        await wait_settled(payments_api, pid)
    retried = await payments_api.post(f"/v1/payments/{ids[3]}/retry")
    assert retried.status_code == 200, retried.text
    await wait_settled(payments_api, ids[3])
    listed = (await payments_api.get("/v1/payments", params={"limit": 100})).json()
    assert sorted(p["id"] for p in listed["data"]) == sorted(ids)
    details = [(await payments_api.get(f"/v1/payments/{pid}")).json() for pid in ids]

    metrics = (await payments_api.get("/v1/metrics")).json()

    statuses = Counter(d["status"] for d in details)
    assert metrics["total"] == len(details) == len(METRICS_MIX)
    assert metrics["status_counts"] == {
        s: statuses.get(s, 0)
        for s in (
            "CREATED",
            "PROCESSING",
            "RETRYING",
            "SUCCESS",
            "FAILED",
            "REQUIRES_CAPTURE",
            "CANCELED",
        )
    }
    settled = statuses["SUCCESS"] + statuses["FAILED"]
    assert metrics["success_rate"] == _rate(statuses["SUCCESS"], settled)
    assert metrics["failure_rate"] == _rate(statuses["FAILED"], settled)
    # Retries from the audit trail: every claim (a move to PROCESSING) after the first one.
    retries = [sum(1 for e in d["events"] if e["to"] == "PROCESSING") - 1 for d in details]
    assert retries == [0, 0, 0, 1, 2, 1]
    assert metrics["avg_retries"] == round(sum(retries) / len(retries), 4)
    methods = Counter(d["payment_method"]["type"] for d in details)
    assert metrics["payment_method_distribution"] == {
        m: methods.get(m, 0) for m in ("card", "upi", "wallet")
    }
    deliveries = [w for d in details for w in d["webhook_deliveries"]]
    assert len(deliveries) == len(ids) + 1  # the retried payment failed twice, one each
    by_status = Counter(w["status"] for w in deliveries)
    done = by_status["SUCCESS"] + by_status["FAILED"]
    assert metrics["webhooks"] == {
        "total": len(deliveries),
        "PENDING": by_status["PENDING"],
        "SUCCESS": by_status["SUCCESS"],
        "FAILED": by_status["FAILED"],
        "success_rate": _rate(by_status["SUCCESS"], done),
    }
    assert len({r.headers["webhook-id"] for r in site.requests}) == by_status["SUCCESS"]
    stored = await db["payments"].find({"_id": {"$in": ids}}).to_list(None)
    latencies = sorted(p["latency_ms"] for p in stored)
    assert metrics["latency_ms"]["p99"] == latencies[-1]
    assert metrics["latency_ms"]["p50"] in latencies[2:4]  # a median of six
    assert latencies[0] <= metrics["latency_ms"]["p50"] <= metrics["latency_ms"]["p95"]
    assert len(metrics["payments_per_minute"]) == 30
    assert sum(m["count"] for m in metrics["payments_per_minute"]) == len(ids)


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

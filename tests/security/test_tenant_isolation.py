"""Merchant B cannot see or touch merchant A's objects: every read, retry, redeliver, dispute
and endpoint action on them is a 404, exactly as for an id that does not exist.

A is the demo merchant; B is inserted straight into Mongo. Each refusal is paired with A
doing the same call successfully, so a 404 cannot come from a bad id.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from pymongo.database import Database

from devstack.stack import StackConfig
from tests.qstash_jwt import qstash_signature
from tests.security.helpers import auth, create_payment, insert_merchant, payment_body, wait_final


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "resource_missing"


@pytest.fixture(scope="module")
def a_objects(api: httpx.Client) -> dict[str, Any]:
    """A's succeeded payment (with a delivered webhook), A's failed payment, A's endpoint."""
    paid = create_payment(api, payment_body(scenario="success"))
    failed = create_payment(api, payment_body(scenario="hard_failure"))
    assert paid.status_code == failed.status_code == 201
    paid_detail = wait_final(api, paid.json()["id"])
    failed_detail = wait_final(api, failed.json()["id"])
    assert failed_detail["status"] == "FAILED"
    endpoint = api.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/a-only"}).json()
    return {
        "payment": paid_detail,
        "failed": failed_detail,
        "delivery_id": paid_detail["webhook_deliveries"][0]["id"],
        "endpoint_id": endpoint["id"],
    }


def test_b_cannot_read_a_payment(
    api: httpx.Client, api_b: httpx.Client, a_objects: dict[str, Any]
) -> None:
    pid = a_objects["payment"]["id"]
    assert_not_found(api_b.get(f"/v1/payments/{pid}"))
    assert api.get(f"/v1/payments/{pid}").status_code == 200


def test_b_lists_only_its_own_payments(
    api: httpx.Client, api_b: httpx.Client, a_objects: dict[str, Any]
) -> None:
    own = create_payment(api_b, payment_body(scenario="success"))
    assert own.status_code == 201
    a_ids = {a_objects["payment"]["id"], a_objects["failed"]["id"]}
    listed = api_b.get("/v1/payments", params={"limit": 100}).json()["data"]
    assert own.json()["id"] in {p["id"] for p in listed}
    assert not a_ids & {p["id"] for p in listed}
    for status in ("SUCCESS", "FAILED"):
        page = api_b.get("/v1/payments", params={"status": status, "limit": 100}).json()
        assert not a_ids & {p["id"] for p in page["data"]}
    # A's id as a cursor leaks nothing of A's either.
    after = api_b.get(
        "/v1/payments", params={"starting_after": a_objects["payment"]["id"], "limit": 100}
    ).json()["data"]
    assert all(p["id"] not in a_ids for p in after)
    by_user = api_b.get("/v1/payments", params={"user_id": "user_sec", "limit": 100}).json()
    assert not a_ids & {p["id"] for p in by_user["data"]}


def test_b_cannot_retry_a_failed_payment(
    api: httpx.Client, api_b: httpx.Client, a_objects: dict[str, Any]
) -> None:
    pid = a_objects["failed"]["id"]
    assert_not_found(api_b.post(f"/v1/payments/{pid}/retry"))
    assert api.get(f"/v1/payments/{pid}").json()["status"] == "FAILED", "B changed A's payment"
    retried = api.post(f"/v1/payments/{pid}/retry")
    assert retried.status_code == 200, retried.text


def test_b_cannot_redeliver_a_webhook(
    api: httpx.Client, api_b: httpx.Client, a_objects: dict[str, Any]
) -> None:
    delivery_id = a_objects["delivery_id"]
    assert_not_found(api_b.post(f"/v1/webhook_deliveries/{delivery_id}/redeliver"))
    assert api.post(f"/v1/webhook_deliveries/{delivery_id}/redeliver").status_code == 202


def test_b_cannot_see_rotate_or_delete_a_endpoint(
    api: httpx.Client, api_b: httpx.Client, a_objects: dict[str, Any]
) -> None:
    endpoint_id = a_objects["endpoint_id"]
    listed = api_b.get("/v1/webhook_endpoints").json()["data"]
    assert endpoint_id not in {e["id"] for e in listed}
    assert "we_demo" not in {e["id"] for e in listed}
    assert_not_found(api_b.post(f"/v1/webhook_endpoints/{endpoint_id}/rotate_secret"))
    assert_not_found(api_b.delete(f"/v1/webhook_endpoints/{endpoint_id}"))
    assert endpoint_id in {e["id"] for e in api.get("/v1/webhook_endpoints").json()["data"]}
    assert api.post(f"/v1/webhook_endpoints/{endpoint_id}/rotate_secret").status_code == 200
    assert api.delete(f"/v1/webhook_endpoints/{endpoint_id}").status_code == 200


@pytest.fixture(scope="module")
def a_dispute(api: httpx.Client) -> dict[str, Any]:
    """A's dispute: a 4000000000000259 payment's, once its delayed opening arrived."""
    card = {"type": "card", "card_number": "4000000000000259"}
    paid = create_payment(api, payment_body(scenario=None, payment_method=card))
    assert paid.status_code == 201, paid.text
    pid = paid.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = api.get("/v1/disputes", params={"payment": pid}).json()["data"]
        if found:
            return dict(found[0])
        time.sleep(0.3)
    raise AssertionError(f"no dispute opened for {pid}")


def test_b_cannot_see_answer_or_close_a_dispute(
    api: httpx.Client, api_b: httpx.Client, a_dispute: dict[str, Any]
) -> None:
    dispute_id, pid = a_dispute["id"], a_dispute["payment"]
    assert_not_found(api_b.get(f"/v1/disputes/{dispute_id}"))
    assert_not_found(
        api_b.post(f"/v1/disputes/{dispute_id}/evidence", json={"text": "winning_evidence"})
    )
    assert_not_found(api_b.post(f"/v1/disputes/{dispute_id}/close"))
    for params in ({}, {"payment": pid}, {"status": "NEEDS_RESPONSE"}, {"limit": 100}):
        listed = api_b.get("/v1/disputes", params=params).json()["data"]
        assert dispute_id not in {d["id"] for d in listed}
    after = api_b.get("/v1/disputes", params={"starting_after": dispute_id, "limit": 100})
    assert after.status_code == 200  # A's id as a cursor leaks nothing of A's either
    assert all(d["payment"] != pid for d in after.json()["data"])
    assert api.get(f"/v1/disputes/{dispute_id}").json()["status"] == "NEEDS_RESPONSE"
    closed = api.post(f"/v1/disputes/{dispute_id}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "LOST", closed.text


def test_b_metrics_count_only_b(api_b: httpx.Client, a_objects: dict[str, Any]) -> None:
    mine = api_b.get("/v1/payments", params={"limit": 100}).json()["data"]
    metrics = api_b.get("/v1/metrics").json()
    assert metrics["total"] == len(mine)


def test_idempotency_keys_are_scoped_to_the_merchant(
    api: httpx.Client, api_b: httpx.Client
) -> None:
    """B reusing A's key (with another body) gets its own payment, not A's, and no 422."""
    key = "shared-key-between-tenants"
    first = create_payment(api, payment_body(amount=111), key=key)
    second = create_payment(api_b, payment_body(amount=222), key=key)
    assert first.status_code in (200, 201) and second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["amount"] == 222
    assert "Idempotent-Replayed" not in second.headers


def _write_todays_reports(stack_cfg: StackConfig, day: str) -> dict[str, Any]:
    """Run the settlement job for `day` as QStash would (a signed internal call)."""
    url = f"{stack_cfg.functions_url}/internal/settlement_report"
    body = json.dumps({"date": day}).encode()
    response = httpx.post(
        url,
        content=body,
        headers={
            "Upstash-Signature": qstash_signature(url, body),
            "content-type": "application/json",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


def test_settlement_reports_are_only_the_callers_own(
    api: httpx.Client,
    api_b: httpx.Client,
    a_objects: dict[str, Any],
    mongo_db: Database[Any],
    stack_cfg: StackConfig,
) -> None:
    """A gets a link to A's report; B only to B's own, whose CSV holds none of A's payments;
    a merchant with no report gets exactly 404, before and after A's report exists."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    c_key = f"sk_test_c_{uuid.uuid4().hex}"
    c_id = f"mer_c_{uuid.uuid4().hex[:8]}"
    insert_merchant(mongo_db, c_id, c_key)
    with httpx.Client(base_url=stack_cfg.functions_url, headers=auth(c_key), timeout=15) as api_c:
        assert_not_found(api_c.get(f"/v1/settlements/{today}"))
        b_paid = create_payment(api_b, payment_body(scenario="success"))
        assert b_paid.status_code == 201, b_paid.text
        wait_final(api_b, b_paid.json()["id"])

        summary = _write_todays_reports(stack_cfg, today)
        written = {r["merchant_id"] for r in summary["reports"]}
        assert {"mer_demo", "mer_b"} <= written and c_id not in written, summary

        a_ids = {a_objects["payment"]["id"], a_objects["failed"]["id"]}
        own = api.get(f"/v1/settlements/{today}")
        assert own.status_code == 200, own.text
        assert f"/settlements/mer_demo/{today}.csv" in own.json()["url"]
        a_csv = httpx.get(own.json()["url"], timeout=15)
        assert a_csv.status_code == 200, a_csv.text
        assert a_objects["payment"]["id"] in a_csv.text, a_csv.text

        b_link = api_b.get(f"/v1/settlements/{today}")
        assert b_link.status_code == 200, b_link.text
        assert f"/settlements/mer_b/{today}.csv" in b_link.json()["url"]
        assert "mer_demo" not in b_link.text
        b_csv = httpx.get(b_link.json()["url"], timeout=15)
        assert b_csv.status_code == 200 and b_paid.json()["id"] in b_csv.text
        assert not any(pid in b_csv.text for pid in a_ids), b_csv.text

        assert_not_found(api_c.get(f"/v1/settlements/{today}"))


def test_b_cannot_refund_read_or_list_a_refunds(
    api: httpx.Client, api_b: httpx.Client, a_objects: dict[str, Any]
) -> None:
    pid = a_objects["payment"]["id"]
    b_refund = api_b.post(
        "/v1/refunds",
        json={"payment": pid, "amount": 1},
        headers={"Idempotency-Key": f"iso-{uuid.uuid4().hex}"},
    )
    assert_not_found(b_refund)
    a_refund = api.post(
        "/v1/refunds",
        json={"payment": pid, "amount": 1},
        headers={"Idempotency-Key": f"iso-{uuid.uuid4().hex}"},
    )
    assert a_refund.status_code == 201, a_refund.text
    rid = a_refund.json()["id"]
    assert_not_found(api_b.get(f"/v1/refunds/{rid}"))
    assert api.get(f"/v1/refunds/{rid}").status_code == 200
    b_list = api_b.get("/v1/refunds", params={"payment": pid, "limit": 100}).json()["data"]
    assert b_list == []
    a_list = api.get("/v1/refunds", params={"payment": pid, "limit": 100}).json()["data"]
    assert rid in {r["id"] for r in a_list}

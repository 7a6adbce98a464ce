"""Refunds through the functions on the real local services: the reservation that holds under
a race, processing (and its redeliveries), the failing card, idempotency and the errors."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from shared.domain import ids
from shared.domain.clock import utcnow
from tests.functions.helpers import (
    new_key,
    payment_body,
    qstash_delivery,
    wait_settled,
    wait_status,
)
from tests.qstash_jwt import qstash_signature

FAILING_CARD = {"type": "card", "card_number": "4000000000005126"}


async def paid(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, **change: Any
) -> dict[str, Any]:
    created = await create_api.post(
        "/v1/payments", json=payment_body(**change), headers={"Idempotency-Key": new_key()}
    )
    assert created.status_code == 201, created.text
    return await wait_settled(payments_api, created.json()["id"])


async def refund(
    api: httpx.AsyncClient, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    return await api.post("/v1/refunds", json=body, headers={"Idempotency-Key": key or new_key()})


async def wait_refund(api: httpx.AsyncClient, refund_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = (await api.get(f"/v1/refunds/{refund_id}")).json()
        if body.get("status") in ("SUCCEEDED", "FAILED"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"refund {refund_id} never became final: {body}")


async def wait_deliveries(
    api: httpx.AsyncClient, payment_id: str, event_type: str, count: int
) -> list[dict[str, Any]]:
    """The payment's deliveries of `event_type` once `count` of them are SUCCESS."""
    deadline = time.monotonic() + 30
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        detail = (await api.get(f"/v1/payments/{payment_id}")).json()
        found = [d for d in detail["webhook_deliveries"] if d["event_type"] == event_type]
        if sum(d["status"] == "SUCCESS" for d in found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} {event_type} deliveries never arrived: {found}")


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def test_full_partial_and_multiple_refunds_succeed_and_are_counted(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    payment = await paid(create_api, payments_api, amount=1000)
    first = await refund(payments_api, {"payment": payment["id"], "amount": 300})
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "PENDING" and first.json()["amount"] == 300
    second = await refund(payments_api, {"payment": payment["id"], "amount": 200})
    rest = await refund(payments_api, {"payment": payment["id"], "reason": "duplicate"})
    assert rest.status_code == 201, rest.text
    assert rest.json()["amount"] == 500  # all that was left
    done = [await wait_refund(payments_api, r.json()["id"]) for r in (first, second, rest)]
    assert [r["status"] for r in done] == ["SUCCEEDED"] * 3
    deliveries = await wait_deliveries(payments_api, payment["id"], "refund.succeeded", 3)
    assert sorted(d["payload"]["data"]["id"] for d in deliveries) == sorted(r["id"] for r in done)
    detail = (await payments_api.get(f"/v1/payments/{payment['id']}")).json()
    assert detail["amount_refunded"] == 1000
    assert [r["id"] for r in detail["refunds"]] == [r["id"] for r in done]  # oldest first
    refund_moves = [
        (e["object_id"], e["from"], e["to"])
        for e in detail["events"]
        if e["object_type"] == "refund"
    ]
    assert sorted(refund_moves) == sorted((r["id"], "PENDING", "SUCCEEDED") for r in done)
    more = await refund(payments_api, {"payment": payment["id"], "amount": 1})
    assert more.status_code == 400 and error_code(more) == "amount_too_large"


async def test_refunds_of_the_failing_card_fail_and_release_their_amount(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    payment = await paid(
        create_api, payments_api, amount=800, scenario=None, payment_method=FAILING_CARD
    )
    assert payment["status"] == "SUCCESS"
    created = await refund(payments_api, {"payment": payment["id"]})
    assert created.status_code == 201 and created.json()["amount"] == 800
    done = await wait_refund(payments_api, created.json()["id"])
    assert done["status"] == "FAILED"
    assert done["failure"]["code"] == "expired_or_canceled_card"
    await wait_deliveries(payments_api, payment["id"], "refund.failed", 1)
    stored = await db["payments"].find_one({"_id": payment["id"]})
    assert stored["refund_reserved"] == 0 and stored["amount_refunded"] == 0
    again = await refund(payments_api, {"payment": payment["id"], "amount": 800})
    assert again.status_code == 201  # the whole amount is free again (and fails again)
    assert (await wait_refund(payments_api, again.json()["id"]))["status"] == "FAILED"


async def test_over_refund_is_400_and_changes_nothing(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    payment = await paid(create_api, payments_api, amount=500)
    over = await refund(payments_api, {"payment": payment["id"], "amount": 501})
    assert over.status_code == 400 and error_code(over) == "amount_too_large"
    assert await db["refunds"].count_documents({"payment_id": payment["id"]}) == 0
    stored = await db["payments"].find_one({"_id": payment["id"]})
    assert stored.get("refund_reserved", 0) == 0


async def test_only_success_payments_can_be_refunded(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    failed = await paid(create_api, payments_api, scenario="hard_failure")
    response = await refund(payments_api, {"payment": failed["id"]})
    assert response.status_code == 409 and error_code(response) == "invalid_state"
    created = await create_api.post(
        "/v1/payments",
        json=payment_body(capture_method="manual"),
        headers={"Idempotency-Key": new_key()},
    )
    held = await wait_status(payments_api, created.json()["id"], ("REQUIRES_CAPTURE",))
    response = await refund(payments_api, {"payment": held["id"]})
    assert response.status_code == 409 and error_code(response) == "invalid_state"
    unknown = await refund(payments_api, {"payment": ids.new_id(ids.PAYMENT)})
    assert unknown.status_code == 404 and error_code(unknown) == "resource_missing"


async def test_bad_amounts_and_bodies_are_400(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    payment = await paid(create_api, payments_api)
    pid = payment["id"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"payment": pid, "amount": 0}, "parameter_invalid"),
        ({"payment": pid, "amount": -5}, "parameter_invalid"),
        ({"payment": pid, "amount": "10"}, "parameter_invalid"),
        ({"payment": pid, "amount": 10.5}, "parameter_invalid"),
        ({"payment": pid, "amount": 10**30}, "amount_too_large"),
        ({"payment": pid, "reason": "bored"}, "parameter_invalid"),
        ({"payment": pid, "surprise": 1}, "parameter_unknown"),
        ({"payment": "re_123"}, "parameter_invalid"),
        ({}, "parameter_missing"),
    ]
    for body, code in cases:
        response = await refund(payments_api, body)
        assert response.status_code == 400, (body, response.text)
        assert error_code(response) == code, body
    detail = (await payments_api.get(f"/v1/payments/{pid}")).json()
    assert detail["refunds"] == []


async def test_idempotent_replay_reuse_and_missing_key(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    payment = await paid(create_api, payments_api, amount=1000)
    key = new_key()
    body = {"payment": payment["id"]}  # the whole amount: a replay must not find "no room"
    first = await refund(payments_api, body, key)
    assert first.status_code == 201
    replay = await refund(payments_api, body, key)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    reused = await refund(payments_api, {"payment": payment["id"], "amount": 5}, key)
    assert reused.status_code == 422 and error_code(reused) == "idempotency_key_reused"
    missing = await payments_api.post("/v1/refunds", json=body)
    assert missing.status_code == 400 and error_code(missing) == "idempotency_key_missing"
    listed = (await payments_api.get("/v1/refunds", params={"payment": payment["id"]})).json()
    assert [r["id"] for r in listed["data"]] == [first.json()["id"]]


async def test_fifty_racing_refunds_never_exceed_the_captured_amount(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    payment = await paid(create_api, payments_api, amount=1000)
    responses = await asyncio.gather(
        *(refund(payments_api, {"payment": payment["id"], "amount": 70}) for _ in range(50))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 14 + [400] * 36
    assert all(error_code(r) == "amount_too_large" for r in responses if r.status_code == 400)
    for created in (r for r in responses if r.status_code == 201):
        assert (await wait_refund(payments_api, created.json()["id"]))["status"] == "SUCCEEDED"
    detail = (await payments_api.get(f"/v1/payments/{payment['id']}")).json()
    assert detail["amount_refunded"] == 980 and len(detail["refunds"]) == 14
    stored = await db["payments"].find_one({"_id": payment["id"]})
    assert stored["refund_reserved"] == 980


async def test_a_refund_delivered_twice_changes_nothing(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, fn_env: dict[str, str]
) -> None:
    payment = await paid(create_api, payments_api, amount=1000)
    created = await refund(payments_api, {"payment": payment["id"], "amount": 400})
    done = await wait_refund(payments_api, created.json()["id"])
    await wait_deliveries(payments_api, payment["id"], "refund.succeeded", 1)
    before = (await payments_api.get(f"/v1/payments/{payment['id']}")).json()
    body = json.dumps({"refund_id": done["id"]}).encode()
    for _ in range(2):
        response = await qstash_delivery(fn_env, "/internal/process_refund", body)
        assert response.status_code == 200
        assert response.json()["outcome"] == "already_final"
    after = (await payments_api.get(f"/v1/payments/{payment['id']}")).json()
    assert after["amount_refunded"] == 400 == before["amount_refunded"]
    assert after["events"] == before["events"]
    assert [d["id"] for d in after["webhook_deliveries"]] == [
        d["id"] for d in before["webhook_deliveries"]
    ]


async def _insert_unreserved(db: Any, payment: dict[str, Any], amount: int) -> str:
    """A refund as a crash between the insert and the reservation leaves it."""
    now = utcnow()
    rid = ids.new_id(ids.REFUND)
    await db["refunds"].insert_one(
        {
            "_id": rid,
            "merchant_id": "mer_demo",
            "payment_id": payment["id"],
            "amount": amount,
            "currency": payment["currency"],
            "idempotency_key": new_key(),
            "fingerprint": "crash",
            "created_at": now,
            "updated_at": now,
            "status": "PENDING",
            "version": 0,
            "published": False,
            "response": {"status_code": 201, "body": {}},
        }
    )
    return rid


async def test_a_crash_between_insert_and_reservation_ends_consistently(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    fn_env: dict[str, str],
    db: Any,
) -> None:
    payment = await paid(create_api, payments_api, amount=1000)
    assert (await db["payments"].find_one({"_id": payment["id"]}))["merchant_id"] == "mer_demo"
    fits = await _insert_unreserved(db, payment, 600)
    too_much = await _insert_unreserved(db, payment, 600)
    url = fn_env["PAYGATE_PUBLIC_URL"] + "/internal/sweep"
    async with httpx.AsyncClient() as client:
        response = await client.post(url, headers={"Upstash-Signature": qstash_signature(url, b"")})
        assert response.status_code == 200 and response.json()["republished"] >= 2
    outcomes = {rid: await wait_refund(payments_api, rid) for rid in (fits, too_much)}
    statuses = sorted(r["status"] for r in outcomes.values())
    assert statuses == ["FAILED", "SUCCEEDED"]  # whichever was reserved first got the room
    failed = next(r for r in outcomes.values() if r["status"] == "FAILED")
    assert failed["failure"]["code"] == "amount_too_large"
    stored = await db["payments"].find_one({"_id": payment["id"]})
    assert stored["refund_reserved"] == 600 and stored["amount_refunded"] == 600


async def test_a_delivery_after_a_crash_follows_the_outcome_its_payment_settled(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    fn_env: dict[str, str],
    db: Any,
) -> None:
    """QStash's failure callback settled the refund FAILED on its payment, then its process
    died before the move; a late delivery of the processing message (whose simulator says
    success) must end the refund FAILED too, and leave the payment's money as settled."""
    payment = await paid(create_api, payments_api, amount=1000)
    rid = await _insert_unreserved(db, payment, 300)
    await db["payments"].update_one(
        {"_id": payment["id"]},
        {"$push": {"refund_ids": rid, "settled_refund_ids": rid}, "$set": {"refund_reserved": 0}},
    )
    body = json.dumps({"refund_id": rid}).encode()
    response = await qstash_delivery(fn_env, "/internal/process_refund", body)
    assert response.status_code == 200 and response.json()["outcome"] == "failed"
    done = await wait_refund(payments_api, rid)
    assert done["status"] == "FAILED" and done["failure"]["code"] == "processing_error"
    stored = await db["payments"].find_one({"_id": payment["id"]})
    assert stored["refund_reserved"] == 0 and stored["amount_refunded"] == 0
    assert stored["settled_refund_ids"] == [rid] and not stored.get("refunded_ids")
    more = await refund(payments_api, {"payment": payment["id"], "amount": 1000})
    assert more.status_code == 201  # the failed refund's amount is free again


async def test_list_filters_and_validation(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    payment = await paid(create_api, payments_api, amount=900)
    made = [
        (await refund(payments_api, {"payment": payment["id"], "amount": 100})).json()["id"]
        for _ in range(3)
    ]
    for rid in made:
        await wait_refund(payments_api, rid)
    page = (
        await payments_api.get("/v1/refunds", params={"payment": payment["id"], "limit": 2})
    ).json()
    assert page["object"] == "list" and page["url"] == "/v1/refunds"
    assert [r["id"] for r in page["data"]] == made[::-1][:2] and page["has_more"] is True
    rest = (
        await payments_api.get(
            "/v1/refunds",
            params={
                "payment": payment["id"],
                "status": "SUCCEEDED",
                "starting_after": page["data"][-1]["id"],
            },
        )
    ).json()
    assert [r["id"] for r in rest["data"]] == [made[0]] and rest["has_more"] is False
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"status": "DONE"},
        {"starting_after": payment["id"]},
        {"payment": "re_x"},
    ):
        response = await payments_api.get("/v1/refunds", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["type"] == "invalid_request_error"
    missing = await payments_api.get(f"/v1/refunds/{ids.new_id(ids.REFUND)}")
    assert missing.status_code == 404 and error_code(missing) == "resource_missing"


async def test_metrics_count_refunds(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    before = (await payments_api.get("/v1/metrics")).json()["refunds"]
    payment = await paid(create_api, payments_api, amount=300)
    euros = await paid(create_api, payments_api, amount=900, currency="EUR")
    created = await refund(payments_api, {"payment": payment["id"], "amount": 120})
    in_euros = await refund(payments_api, {"payment": euros["id"], "amount": 450})
    await wait_refund(payments_api, created.json()["id"])
    await wait_refund(payments_api, in_euros.json()["id"])
    after = (await payments_api.get("/v1/metrics")).json()["refunds"]
    assert after["count"] == before["count"] + 2
    assert after["succeeded"] == before["succeeded"] + 2
    assert after["amount_refunded"] == before["amount_refunded"] + 570
    by_currency, was = after["amount_refunded_by_currency"], before["amount_refunded_by_currency"]
    assert by_currency["USD"] == was.get("USD", 0) + 120
    assert by_currency["EUR"] == was.get("EUR", 0) + 450
    assert sum(by_currency.values()) == after["amount_refunded"]

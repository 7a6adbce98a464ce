"""Money movements through the running stack: a manual capture, partial refunds (one of them
on the card whose refunds fail) and a dispute, each event checked at the demo receiver."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from devstack.stack import StackConfig
from tests.functions.helpers import new_key, payment_body, wait_status


async def _create(api: httpx.AsyncClient, **change: Any) -> str:
    response = await api.post(
        "/v1/payments", json=payment_body(**change), headers={"Idempotency-Key": new_key()}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _refund(api: httpx.AsyncClient, payment_id: str, amount: int) -> dict[str, Any]:
    response = await api.post(
        "/v1/refunds",
        json={"payment": payment_id, "amount": amount, "reason": "requested_by_customer"},
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _until(api: httpx.AsyncClient, path: str, done: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = (await api.get(path)).json()
        if body.get("status") in done:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} never reached {done}: {body}")


async def _received(stack_cfg: StackConfig, payment_id: str, count: int) -> list[dict[str, Any]]:
    """The receiver's deliveries for the payment once `count` distinct events arrived."""
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=stack_cfg.receiver_url) as receiver:
        while True:
            got = (await receiver.get("/deliveries", params={"payment_id": payment_id})).json()
            data: list[dict[str, Any]] = got["data"]
            if len({d["webhook_id"] for d in data}) >= count or time.monotonic() > deadline:
                return data
            await asyncio.sleep(0.2)


async def test_capture_then_partial_refunds(api: httpx.AsyncClient, stack_cfg: StackConfig) -> None:
    pid = await _create(api, amount=5000, capture_method="manual")
    await wait_status(api, pid, ("REQUIRES_CAPTURE",), within_s=60)
    captured = await api.post(f"/v1/payments/{pid}/capture", json={"amount": 4000})
    assert captured.status_code == 200 and captured.json()["amount_captured"] == 4000
    first = await _refund(api, pid, 1500)
    second = await _refund(api, pid, 2500)
    over = await api.post(
        "/v1/refunds", json={"payment": pid, "amount": 1}, headers={"Idempotency-Key": new_key()}
    )
    assert over.status_code == 400 and over.json()["error"]["code"] == "amount_too_large"
    for refund in (first, second):
        done = await _until(api, f"/v1/refunds/{refund['id']}", ("SUCCEEDED", "FAILED"))
        assert done["status"] == "SUCCEEDED"
    detail = (await api.get(f"/v1/payments/{pid}")).json()
    assert detail["amount_refunded"] == 4000
    assert {r["id"] for r in detail["refunds"]} == {first["id"], second["id"]}
    got = await _received(stack_cfg, pid, 4)
    assert all(d["valid_signature"] for d in got)
    types = sorted(d["event_type"] for d in got)
    assert types == [
        "payment.requires_capture",
        "payment.succeeded",
        "refund.succeeded",
        "refund.succeeded",
    ]


async def test_refunds_of_the_failing_card_fail(api: httpx.AsyncClient) -> None:
    card = {"type": "card", "card_number": "4000000000005126"}
    pid = await _create(api, payment_method=card, scenario=None)
    await wait_status(api, pid, ("SUCCESS",), within_s=60)
    refund = await _refund(api, pid, 500)
    done = await _until(api, f"/v1/refunds/{refund['id']}", ("SUCCEEDED", "FAILED"))
    assert done["status"] == "FAILED" and done["failure"]["code"]
    detail = (await api.get(f"/v1/payments/{pid}")).json()
    assert detail["amount_refunded"] == 0


async def test_a_dispute_opens_and_is_won_with_evidence(
    api: httpx.AsyncClient, stack_cfg: StackConfig
) -> None:
    card = {"type": "card", "card_number": "4000000000000259"}
    pid = await _create(api, payment_method=card, scenario=None)
    await wait_status(api, pid, ("SUCCESS",), within_s=60)
    deadline = time.monotonic() + 60
    disputes: list[dict[str, Any]] = []
    while not disputes and time.monotonic() < deadline:
        disputes = (await api.get("/v1/disputes", params={"payment": pid})).json()["data"]
        await asyncio.sleep(0.3)
    assert len(disputes) == 1, "no dispute opened"
    dispute = disputes[0]
    assert dispute["status"] == "NEEDS_RESPONSE" and dispute["evidence_due_by"]
    answered = await api.post(
        f"/v1/disputes/{dispute['id']}/evidence", json={"text": "winning_evidence: signed"}
    )
    assert answered.status_code == 200 and answered.json()["status"] == "UNDER_REVIEW"
    closed = await _until(api, f"/v1/disputes/{dispute['id']}", ("WON", "LOST"))
    assert closed["status"] == "WON"
    got = await _received(stack_cfg, pid, 3)
    assert {"dispute.created", "dispute.closed"} <= {d["event_type"] for d in got}

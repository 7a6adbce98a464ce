"""Webhook deliveries a race, a failed publish or a crash left behind, on the real local services.

The crash cases do the first half of a step through the repositories (or make the second half
fail) and then run the sweeper through its signed `/internal/sweep` route.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from devstack.processes import free_port
from shared.adapters import qstash_queue
from shared.config import get_settings
from shared.dev_credentials import DEV_DEMO_WEBHOOK_SECRET
from shared.domain.clock import utcnow
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway
from shared.services.dispatch_webhook import dispatch_webhook
from shared.services.lifecycle_messages import dispatch_message
from shared.services.process_payment import finalise
from shared.services.webhook_fanout import fan_out
from shared.web import bootstrap
from tests.functions.helpers import (
    claimed_payment,
    new_key,
    payment_body,
    qstash_delivery,
    wait_settled,
)

FINAL_EVENTS = ["payment.succeeded", "payment.failed"]


@pytest.fixture
async def gw(fn_env: dict[str, str]) -> Gateway:
    """The Gateway the in-process apps use on this (session) event loop."""
    return await bootstrap.gateway()


class _DeadQueue:
    """Points the Gateway's queue at a port nothing listens on while the block runs."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.saved = gw.queue

    def __enter__(self) -> None:
        settings = get_settings()
        client = qstash_queue.connect(settings.qstash_token, f"http://127.0.0.1:{free_port()}")
        self.gw.queue = qstash_queue.TaskQueue(client, settings.public_url)

    def __exit__(self, *exc: object) -> None:
        self.gw.queue = self.saved


async def _sweep(fn_env: dict[str, str]) -> dict[str, Any]:
    """One sweep through the sweeper's signed route (as the QStash schedule calls it)."""
    response = await qstash_delivery(fn_env, "/internal/sweep", b"{}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _until(probe: Any, within_s: float = 20.0) -> Any:
    deadline = time.monotonic() + within_s
    value = None
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not met within {within_s}s (last: {value})")


@pytest.fixture
async def merchant(
    fn_env: dict[str, str], db: Any
) -> AsyncIterator[tuple[str, httpx.AsyncClient, httpx.AsyncClient]]:
    """A merchant of its own with three endpoints at the demo receiver (its secret, so each
    delivery verifies): (merchant id, create client, payments_api client)."""
    from tests.harness import asgi_client

    merchant_id = f"mer_{new_key()[-12:]}"
    api_key = f"sk_test_{new_key()}"
    await db["merchants"].insert_one(
        {
            "_id": merchant_id,
            "name": "Three endpoints",
            "api_key_hash": hashlib.sha256(api_key.encode()).hexdigest(),
            "created_at": datetime.now(UTC),
        }
    )
    for index in range(3):
        await db["webhook_endpoints"].insert_one(
            {
                "_id": f"we_{merchant_id[4:]}_{index}",
                "merchant_id": merchant_id,
                "url": f"{fn_env['PAYGATE_DEMO_WEBHOOK_URL']}?endpoint={index}",
                "enabled_events": [*FINAL_EVENTS, "payment.retrying"],
                "secret": DEV_DEMO_WEBHOOK_SECRET,
                "status": "enabled",
                "created_at": datetime.now(UTC),
            }
        )
    headers = {"Authorization": f"Bearer {api_key}"}
    async with asgi_client("create_payment") as create, asgi_client("payments_api") as api:
        create.headers.update(headers)
        api.headers.update(headers)
        yield merchant_id, create, api


async def _settled_payment(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, **change: Any
) -> dict[str, Any]:
    created = await create_api.post(
        "/v1/payments", json=payment_body(**change), headers={"Idempotency-Key": new_key()}
    )
    assert created.status_code == 201, created.text
    return await wait_settled(payments_api, created.json()["id"])


# --- 2: webhook_status with several endpoints -----------------------------------------


async def test_a_late_summary_writer_does_not_put_pending_back(
    merchant: tuple[str, httpx.AsyncClient, httpx.AsyncClient], gw: Gateway, db: Any
) -> None:
    """Three endpoints settle at once; the first to settle reads the others still PENDING and
    writes its summary last. The payment must still end SUCCESS."""
    _, create, api = merchant
    detail = await _settled_payment(create, api)
    finals = [d["id"] for d in detail["webhook_deliveries"] if d["event_type"] in FINAL_EVENTS]
    assert len(finals) == 3
    await db["webhook_deliveries"].update_many(
        {"_id": {"$in": finals}}, {"$set": {"status": "PENDING"}}
    )
    await db["payments"].update_one({"_id": detail["id"]}, {"$set": {"webhook_status": "PENDING"}})
    read = gw.webhooks.final_delivery_statuses
    calls = 0
    first_read = asyncio.Event()

    async def slow_first_reader(payment_id: str, generation: int) -> list[str]:
        nonlocal calls
        calls += 1
        statuses = await read(payment_id, generation)
        if calls == 1:
            first_read.set()
            await asyncio.sleep(1.0)  # the others settle and summarise meanwhile
        return statuses

    gw.webhooks.final_delivery_statuses = slow_first_reader  # type: ignore[method-assign]
    try:
        first = asyncio.create_task(
            dispatch_webhook(gw, finals[0], 0, retried=0, max_retries=4, message_id="msg_a")
        )
        await asyncio.wait_for(first_read.wait(), 10)
        for delivery_id in finals[1:]:
            await dispatch_webhook(gw, delivery_id, 0, retried=0, max_retries=4, message_id="m")
        await first
    finally:
        del gw.webhooks.final_delivery_statuses
    payment = await db["payments"].find_one({"_id": detail["id"]})
    statuses = await db["webhook_deliveries"].find({"_id": {"$in": finals}}).to_list(None)
    assert {d["status"] for d in statuses} == {"SUCCESS"}
    assert payment["webhook_status"] == "SUCCESS"


# --- 3: a redeliver whose publish fails --------------------------------------------------


async def test_redeliver_whose_publish_fails_answers_503_and_a_later_one_succeeds(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, gw: Gateway
) -> None:
    detail = await _settled_payment(create_api, payments_api)
    delivery_id = detail["webhook_deliveries"][0]["id"]
    with _DeadQueue(gw):
        failed = await payments_api.post(f"/v1/webhook_deliveries/{delivery_id}/redeliver")
    assert failed.status_code == 503, failed.text
    assert failed.json()["error"]["code"] == "service_unavailable"
    after = (await payments_api.get(f"/v1/payments/{detail['id']}")).json()
    assert after["webhook_deliveries"][0]["status"] == "SUCCESS"  # not locked in PENDING
    again = await payments_api.post(f"/v1/webhook_deliveries/{delivery_id}/redeliver")
    assert again.status_code == 202, again.text
    settled = await wait_settled(payments_api, detail["id"])
    delivery = settled["webhook_deliveries"][0]
    assert delivery["status"] == "SUCCESS" and delivery["attempt_count"] == 2
    assert settled["webhook_status"] == "SUCCESS"


async def test_a_redeliver_that_died_after_its_publish_does_not_lock_the_delivery(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, gw: Gateway, db: Any
) -> None:
    detail = await _settled_payment(create_api, payments_api)
    delivery_id = detail["webhook_deliveries"][0]["id"]
    stored = await db["webhook_deliveries"].find_one({"_id": delivery_id})
    # The first half of a redeliver: the next round's message is queued, then the process died.
    await gw.queue.publish(dispatch_message({**stored, "round": 1}, 5))

    async def taken() -> dict[str, Any] | None:
        now = await db["webhook_deliveries"].find_one({"_id": delivery_id})
        return now if now["round"] == 1 and now["status"] == "SUCCESS" else None

    delivery = await _until(taken)
    assert delivery["attempt_count"] == 2
    again = await payments_api.post(f"/v1/webhook_deliveries/{delivery_id}/redeliver")
    assert again.status_code == 202, again.text
    settled = await wait_settled(payments_api, detail["id"])
    assert settled["webhook_deliveries"][0]["attempt_count"] == 3
    assert settled["webhook_status"] == "SUCCESS"


# --- 4: the sweeper re-drives deliveries and fan-outs ------------------------------------


async def test_sweep_redrives_a_delivery_pending_past_its_retry_budget(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    db: Any,
    fn_env: dict[str, str],
) -> None:
    detail = await _settled_payment(create_api, payments_api)
    delivery_id = detail["webhook_deliveries"][0]["id"]
    # Its QStash message (and the failure callback) lost: still PENDING a day later.
    long_ago = utcnow() - timedelta(days=2)
    await db["webhook_deliveries"].update_one(
        {"_id": delivery_id}, {"$set": {"status": "PENDING", "updated_at": long_ago}}
    )
    await db["payments"].update_one({"_id": detail["id"]}, {"$set": {"webhook_status": "PENDING"}})
    await _sweep(fn_env)
    await _sweep(fn_env)  # a second sweep right after must not send it again
    settled = await wait_settled(payments_api, detail["id"])
    assert settled["webhook_status"] == "SUCCESS"
    await asyncio.sleep(1.0)
    delivery = (await payments_api.get(f"/v1/payments/{detail['id']}")).json()[
        "webhook_deliveries"
    ][0]
    assert delivery["status"] == "SUCCESS" and delivery["attempt_count"] == 2


async def test_sweep_publishes_a_retrying_delivery_whose_publish_failed(
    merchant: tuple[str, httpx.AsyncClient, httpx.AsyncClient],
    gw: Gateway,
    db: Any,
    fn_env: dict[str, str],
) -> None:
    _, create, api = merchant
    detail = await _settled_payment(create, api)
    payment = await gw.payments.get(detail["id"])
    assert payment is not None
    with _DeadQueue(gw), pytest.raises(Exception, match="qstash"):
        await fan_out(gw, replace(payment, attempts=7), "payment.retrying")
    pending = (
        await db["webhook_deliveries"]
        .find({"payment_id": detail["id"], "event_type": "payment.retrying"})
        .to_list(None)
    )
    assert len(pending) == 3 and {d["status"] for d in pending} == {"PENDING"}
    await _sweep(fn_env)

    async def all_sent() -> bool:
        docs = (
            await db["webhook_deliveries"]
            .find({"payment_id": detail["id"], "event_type": "payment.retrying"})
            .to_list(None)
        )
        return {d["status"] for d in docs} == {"SUCCESS"}

    await _until(all_sent)


async def test_sweep_fans_out_a_final_payment_whose_fanout_never_ran(
    merchant: tuple[str, httpx.AsyncClient, httpx.AsyncClient],
    gw: Gateway,
    db: Any,
    fn_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    merchant_id, _, api = merchant
    payment = claimed = await claimed_payment(gw, merchant_id)

    class Crash(Exception):
        pass

    async def crash(deliveries: list[dict[str, Any]]) -> None:
        raise Crash("the function died between the final move and the fan-out")

    monkeypatch.setattr(gw.webhooks, "insert_deliveries", crash)
    with pytest.raises(Crash):
        await finalise(gw, claimed, PaymentStatus.SUCCESS, None, None)
    monkeypatch.undo()
    # Long enough ago that no live function could still be fanning it out.
    await db["payments"].update_one(
        {"_id": payment.id}, {"$set": {"finalized_at": utcnow() - timedelta(minutes=10)}}
    )
    assert await db["webhook_deliveries"].count_documents({"payment_id": payment.id}) == 0
    await _sweep(fn_env)
    settled = await wait_settled(api, payment.id)
    finals = [d for d in settled["webhook_deliveries"] if d["event_type"] in FINAL_EVENTS]
    assert len(finals) == 3 and {d["status"] for d in finals} == {"SUCCESS"}
    assert settled["webhook_status"] == "SUCCESS"


# --- 5: concurrent dispatches of one delivery --------------------------------------------


async def test_concurrent_dispatches_of_one_delivery_record_every_attempt(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, gw: Gateway, db: Any
) -> None:
    detail = await _settled_payment(create_api, payments_api)
    delivery_id = detail["webhook_deliveries"][0]["id"]
    await db["webhook_deliveries"].update_one({"_id": delivery_id}, {"$set": {"status": "PENDING"}})
    send = gw.sender.send
    all_sending = asyncio.Barrier(3)

    async def send_together(*args: Any) -> Any:
        await asyncio.wait_for(all_sending.wait(), 10)  # all three read it PENDING
        return await send(*args)

    gw.sender.send = send_together  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(
            *(
                dispatch_webhook(
                    gw, delivery_id, 0, retried=0, max_retries=4, message_id=f"msg_test{i}"
                )
                for i in range(3)
            )
        )
    finally:
        del gw.sender.send
    assert all(r.http_status == 200 for r in results)
    attempts = await db["webhook_attempts"].find({"delivery_id": delivery_id}).to_list(None)
    assert len(attempts) == 4, [a["_id"] for a in attempts]  # the first send + three
    assert sorted(a["attempt"] for a in attempts) == [1, 2, 3, 4]


# --- 9: a manual retry whose publish failed ----------------------------------------------


async def test_manual_retry_whose_publish_failed_is_redriven_by_the_next_sweep(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    gw: Gateway,
    fn_env: dict[str, str],
) -> None:
    detail = await _settled_payment(create_api, payments_api, scenario="hard_failure")
    with _DeadQueue(gw):
        retried = await payments_api.post(f"/v1/payments/{detail['id']}/retry")
    assert retried.status_code == 503, retried.text
    assert (await payments_api.get(f"/v1/payments/{detail['id']}")).json()["status"] == "RETRYING"
    await _sweep(fn_env)

    async def second_generation_final() -> dict[str, Any] | None:
        now = (await payments_api.get(f"/v1/payments/{detail['id']}")).json()
        done = now["status"] == "FAILED" and now["retry_count"] == 1
        return now if done else None

    final = await _until(second_generation_final)
    assert json.dumps(final["events"][-1]).count("PROCESSING") == 1

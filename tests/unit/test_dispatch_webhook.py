"""dispatch_webhook against fakes: signatures, retries, give-up, webhook_status."""

from __future__ import annotations

import json

from standardwebhooks import Webhook

from shared.services.dispatch_webhook import give_up_delivery
from tests.fakes import FakeSender, fake_gateway
from tests.fakes.gateway import ENDPOINT_SECRET
from tests.unit.conftest import create, process_until_final, run_dispatch


async def test_a_delivery_is_signed_per_standard_webhooks_and_settles_success() -> None:
    sender = FakeSender([200])
    gw = fake_gateway(sender=sender)
    payment_id = (await create(gw, scenario="success")).payment_id
    await process_until_final(gw, payment_id)
    results = await run_dispatch(gw)
    assert [r.http_status for r in results] == [200]
    _url, body, headers = sender.sent[0]
    event = Webhook(ENDPOINT_SECRET).verify(body, headers)
    assert event["type"] == "payment.succeeded" and event["data"]["id"] == payment_id
    assert headers["webhook-id"] == event["id"]
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.webhook_status == "SUCCESS"


async def test_a_failing_endpoint_is_retried_with_the_same_id_and_body() -> None:
    sender = FakeSender([500, None, 200])
    gw = fake_gateway(sender=sender)
    payment_id = (await create(gw, scenario="success")).payment_id
    await process_until_final(gw, payment_id)
    results = await run_dispatch(gw)
    assert [r.http_status for r in results] == [502, 502, 200]
    assert len({body for _, body, _ in sender.sent}) == 1
    assert len({h["webhook-id"] for _, _, h in sender.sent}) == 1
    deliveries = await gw.webhooks.deliveries_of(payment_id)
    attempts = await gw.webhooks.attempts_of([deliveries[0]["_id"]])
    assert [a["status_code"] for a in attempts] == [500, None, 200]


async def test_an_endpoint_that_never_answers_ends_failed() -> None:
    gw = fake_gateway(sender=FakeSender([503]))
    payment_id = (await create(gw, scenario="success")).payment_id
    await process_until_final(gw, payment_id)
    results = await run_dispatch(gw)
    assert [r.http_status for r in results] == [502] * 5  # the last answer ends the message too
    [delivery] = await gw.webhooks.deliveries_of(payment_id)
    assert delivery["status"] == "FAILED" and delivery["attempt_count"] == 5
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.webhook_status == "FAILED"


async def test_give_up_marks_a_pending_delivery_failed_once() -> None:
    gw = fake_gateway(sender=FakeSender([500]))
    payment_id = (await create(gw, scenario="success")).payment_id
    await process_until_final(gw, payment_id)
    [delivery] = await gw.webhooks.deliveries_of(payment_id)
    assert (await give_up_delivery(gw, delivery["_id"], 0)).outcome == "failed"
    assert (await give_up_delivery(gw, delivery["_id"], 0)).outcome == "already_failed"


async def test_three_endpoints_each_get_the_final_event() -> None:
    sender = FakeSender([200])
    gw = fake_gateway(endpoints=3, sender=sender)
    payment_id = (await create(gw, scenario="success")).payment_id
    await process_until_final(gw, payment_id)
    await run_dispatch(gw)
    assert sorted(url for url, _, _ in sender.sent) == [
        f"https://merchant.example/hooks/{n}" for n in range(3)
    ]
    assert {json.loads(body)["type"] for _, body, _ in sender.sent} == {"payment.succeeded"}
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.webhook_status == "SUCCESS"

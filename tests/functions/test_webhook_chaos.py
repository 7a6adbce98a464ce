"""The simulator's webhook chaos on the real local services, seen by the demo receiver (which
verifies signatures): a dropped first attempt, a badly signed first attempt, a duplicate
delivery, and an extra delay before delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from shared.domain.simulator_settings import chance
from shared.services.lifecycle_messages import DISPATCH_PATH
from shared.services.webhook_chaos import DROP, DROPPED
from tests.functions.helpers import new_key, payment_body, wait_settled
from tests.functions.simulator_helpers import simulator
from tests.harness import QStashRelay


async def settled_delivery(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> dict[str, Any]:
    """A successful payment's payment.succeeded delivery, once its webhooks settled."""
    created = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
    )
    assert created.status_code == 201, created.text
    detail = await wait_settled(payments_api, created.json()["id"])
    assert detail["webhook_status"] == "SUCCESS", detail
    [delivery] = [d for d in detail["webhook_deliveries"] if d["event_type"] == "payment.succeeded"]
    return delivery


async def received(fn_env: dict[str, str], webhook_id: str) -> list[dict[str, Any]]:
    """What the demo receiver got with this webhook-id, oldest first."""
    receiver = fn_env["PAYGATE_DEMO_WEBHOOK_URL"].rsplit("/", 1)[0]
    async with httpx.AsyncClient() as client:
        got = await client.get(f"{receiver}/deliveries", params={"webhook_id": webhook_id})
    data: list[dict[str, Any]] = got.json()["data"]
    return sorted(data, key=lambda d: d["received_at"])


async def test_drop_one_skips_the_first_attempt_and_the_retry_delivers(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    fn_env: dict[str, str],
    relay: QStashRelay,
) -> None:
    async with simulator(payments_api, webhooks={"drop_rate": 1.0}):
        delivery = await _chaos_delivery(create_api, payments_api, relay)
    assert delivery["status"] == "SUCCESS" and delivery["attempt_count"] == 2
    first, second = delivery["attempts"]
    assert first["error"] == DROPPED and first["status_code"] is None
    assert second["status_code"] == 200 and second["error"] is None
    got = await received(fn_env, delivery["event_id"])
    assert len(got) == 1 and got[0]["valid_signature"]  # the dropped attempt was never sent


async def test_bad_signature_one_is_rejected_then_the_retry_is_accepted(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    fn_env: dict[str, str],
    relay: QStashRelay,
) -> None:
    async with simulator(payments_api, webhooks={"bad_signature_rate": 1.0}):
        delivery = await _chaos_delivery(create_api, payments_api, relay)
    assert [a["status_code"] for a in delivery["attempts"]] == [400, 200]
    got = await received(fn_env, delivery["event_id"])
    assert [(d["valid_signature"], d["status_code"]) for d in got] == [(False, 400), (True, 200)]
    assert len({d["body_sha256"] for d in got}) == 1


async def test_duplicate_one_sends_the_same_webhook_twice(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, fn_env: dict[str, str]
) -> None:
    async with simulator(payments_api, webhooks={"duplicate_rate": 1.0}):
        delivery = await settled_delivery(create_api, payments_api)
    assert delivery["status"] == "SUCCESS"
    assert [a["status_code"] for a in delivery["attempts"]] == [200, 200]
    got = await received(fn_env, delivery["event_id"])
    assert len(got) == 2 and all(d["valid_signature"] for d in got)
    assert len({d["body_sha256"] for d in got}) == 1


async def test_delay_holds_each_delivery_back(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    async with simulator(payments_api, webhooks={"delay_ms": {"min": 2000, "max": 2000}}):
        delivery = await settled_delivery(create_api, payments_api)
    created = datetime.fromisoformat(delivery["created_at"])
    first_attempt = datetime.fromisoformat(delivery["attempts"][0]["at"])
    assert (first_attempt - created).total_seconds() >= 1.9  # not before the delay


async def _chaos_delivery(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, relay: QStashRelay
) -> dict[str, Any]:
    """A payment.succeeded delivery whose first dispatch answers 5xx (asked for here)."""
    created = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
    )
    assert created.status_code == 201, created.text
    relay.expect_5xx(created.json()["id"], DISPATCH_PATH, 1)
    detail = await wait_settled(payments_api, created.json()["id"])
    [delivery] = [d for d in detail["webhook_deliveries"] if d["event_type"] == "payment.succeeded"]
    return delivery


async def test_drop_and_bad_signature_together_each_hit_one_attempt(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    fn_env: dict[str, str],
    relay: QStashRelay,
) -> None:
    """The drop takes the first attempt, the bad signature the first one sent, then it goes."""
    dials = {"drop_rate": 1.0, "bad_signature_rate": 1.0}
    async with simulator(payments_api, webhooks=dials):
        created = await create_api.post(
            "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
        )
        relay.expect_5xx(created.json()["id"], DISPATCH_PATH, 2)
        detail = await wait_settled(payments_api, created.json()["id"])
    [delivery] = detail["webhook_deliveries"]
    answers = [(a["status_code"], a["error"]) for a in delivery["attempts"]]
    assert answers[0] == (None, DROPPED)
    assert [status for status, _ in answers[1:]] == [400, 200]
    got = await received(fn_env, delivery["event_id"])
    assert [d["valid_signature"] for d in got] == [False, True]


async def test_seeded_chaos_hits_the_share_the_draws_say(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    relay: QStashRelay,
) -> None:
    """At rate 0.5 with a seed, a delivery is dropped exactly when the draw for its payment's
    idempotency key says so (not for ids the stack made up)."""
    seed = 77
    keys = [new_key() for _ in range(6)]
    dropped = {key: chance(0.5, seed, f"{key}:payment.succeeded:g1:0", 0, DROP) for key in keys}
    async with simulator(payments_api, seed=seed, webhooks={"drop_rate": 0.5}):
        ids = {}
        for key in keys:
            created = await create_api.post(
                "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
            )
            ids[key] = created.json()["id"]
            if dropped[key]:
                relay.expect_5xx(ids[key], DISPATCH_PATH, 1)
        details = {key: await wait_settled(payments_api, pid) for key, pid in ids.items()}
    seen = {
        key: d["webhook_deliveries"][0]["attempts"][0]["error"] == DROPPED
        for key, d in details.items()
    }
    assert seen == dropped

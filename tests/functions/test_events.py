"""Events as objects, endpoint updates, recover and auto-disable, on the real local services.

Each test has a merchant of its own (so its events and endpoints are only its own) and, where it
needs one, a `WebhookSink`: a real HTTP endpoint that answers the status it is told to.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.config import get_settings
from shared.domain.clock import iso, utcnow
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway
from shared.services.lifecycle_messages import DISPATCH_PATH
from shared.services.process_payment import finalise
from shared.services.webhook_fanout import fan_out
from shared.web import bootstrap
from tests.functions.helpers import claimed_payment, new_key, payment_body, wait_settled
from tests.functions.test_webhook_redrive import _DeadQueue as DeadQueue
from tests.functions.test_webhook_redrive import _sweep as sweep
from tests.harness import QStashRelay, asgi_client
from tests.sink import WebhookSink

DECLINED = "4000000000000002"


class Merchant:
    """A merchant of its own: its id and API clients of both public apps."""

    def __init__(self, merchant_id: str, create: httpx.AsyncClient, api: httpx.AsyncClient):
        self.id = merchant_id
        self.create = create
        self.api = api

    async def pay(self, **change: Any) -> str:
        body = payment_body(**change)
        if "card" in change:
            body.pop("scenario")
            body.pop("card")
            body["payment_method"] = {"type": "card", "card_number": change["card"]}
        created = await self.create.post(
            "/v1/payments", json=body, headers={"Idempotency-Key": new_key()}
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    async def endpoint(self, url: str, events: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url}
        if events is not None:
            body["enabled_events"] = events
        created = await self.api.post("/v1/webhook_endpoints", json=body)
        assert created.status_code == 201, created.text
        return dict(created.json())

    async def events(self, **params: Any) -> list[dict[str, Any]]:
        """Every event through the cursor, newest first."""
        found: list[dict[str, Any]] = []
        while True:
            page = await self.api.get("/v1/events", params=params)
            assert page.status_code == 200, page.text
            found += page.json()["data"]
            if not page.json()["has_more"]:
                return found
            params = {**params, "starting_after": found[-1]["id"]}


@pytest.fixture
async def merchant_factory(fn_env: dict[str, str], db: Any) -> AsyncIterator[Callable[[], Any]]:
    opened: list[httpx.AsyncClient] = []

    async def make() -> Merchant:
        merchant_id = f"mer_{new_key()[-12:]}"
        key = f"sk_test_{new_key()}"
        await db["merchants"].insert_one(
            {
                "_id": merchant_id,
                "name": "Events",
                "api_key_hash": hashlib.sha256(key.encode()).hexdigest(),
                "created_at": datetime.now(UTC),
            }
        )
        clients = []
        for name in ("create_payment", "payments_api"):
            client = await asgi_client(name).__aenter__()
            client.headers["Authorization"] = f"Bearer {key}"
            opened.append(client)
            clients.append(client)
        return Merchant(merchant_id, *clients)

    yield make
    for client in opened:
        await client.__aexit__(None, None, None)


@contextmanager
def lifecycle_config(**changes: Any) -> Iterator[None]:
    """Every Gateway of this process (the test loop's, the relay's) and any made meanwhile run
    with `changes` (e.g. a low disable threshold, one webhook attempt) for the block."""
    env = {f"PAYGATE_{name.upper()}": str(value) for name, value in changes.items()}
    saved_env = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    saved = []
    for clients in list(bootstrap._clients.values()):
        saved.append((clients.gateway, clients.gateway.config))
        clients.gateway.config = replace(clients.gateway.config, **changes)
    try:
        yield
    finally:
        for gateway, config in saved:
            gateway.config = config
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


async def _until(probe: Any, within_s: float = 30.0) -> Any:
    deadline = time.monotonic() + within_s
    value = None
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not met within {within_s}s (last: {value})")


async def test_every_event_is_stored_even_with_no_endpoint_newest_first_paginated(
    merchant_factory: Callable[[], Any],
) -> None:
    m: Merchant = await merchant_factory()
    paid = [await m.pay() for _ in range(3)]
    declined = await m.pay(card=DECLINED)
    for pid in [*paid, declined]:
        assert (await wait_settled(m.api, pid))["webhook_status"] == "SKIPPED"
    events = await _until(lambda: _when_count(m, 4))
    assert [e["type"] for e in events].count("payment.succeeded") == 3
    times = [e["created_at"] for e in events]
    assert times == sorted(times, reverse=True)
    assert all(
        e["id"].startswith("evt_") and set(e) == {"id", "type", "created_at", "data"}
        for e in events
    )
    # Pages of one walk the same list: nothing twice, nothing missing.
    paged = await m.events(limit=1)
    assert [e["id"] for e in paged] == [e["id"] for e in events]
    first = (await m.api.get("/v1/events", params={"limit": 2})).json()
    assert first["object"] == "list" and first["has_more"] is True and len(first["data"]) == 2
    failed = await m.events(type="payment.failed")
    assert [e["data"]["id"] for e in failed] == [declined]
    assert failed[0]["data"]["failure"]["code"] == "card_declined"
    mine = await m.events(payment=paid[0])
    assert [(e["type"], e["data"]["id"]) for e in mine] == [("payment.succeeded", paid[0])]
    one = await m.api.get(f"/v1/events/{mine[0]['id']}")
    assert one.status_code == 200 and one.json() == mine[0]
    since = await m.events(**{"created[gte]": events[1]["created_at"]})
    assert [e["id"] for e in since][:2] == [e["id"] for e in events[:2]]
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    assert await m.events(**{"created[gte]": later}) == []


async def _when_count(m: Merchant, count: int) -> list[dict[str, Any]] | None:
    events = await m.events()
    return events if len(events) >= count else None


async def test_events_are_tenant_isolated_and_bad_filters_are_refused(
    merchant_factory: Callable[[], Any],
) -> None:
    m: Merchant = await merchant_factory()
    other: Merchant = await merchant_factory()
    pid = await m.pay()
    await wait_settled(m.api, pid)
    [event] = await _until(lambda: _when_count(m, 1))
    assert await other.events() == []
    assert await other.events(payment=pid) == []
    missing = await other.api.get(f"/v1/events/{event['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    assert (await other.api.get(f"/v1/events/{event['id']}/deliveries")).status_code == 404
    cursor = await other.api.get("/v1/events", params={"starting_after": event["id"]})
    assert cursor.status_code == 400 and cursor.json()["error"]["param"] == "starting_after"
    for params, param in (
        ({"type": "payment.exploded"}, "type"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"payment": "re_123"}, "payment"),
        ({"starting_after": "pay_123"}, "starting_after"),
        ({"created[gte]": "yesterday"}, "created[gte]"),
    ):
        bad = await m.api.get("/v1/events", params=params)
        assert bad.status_code == 400, (params, bad.text)
        error = bad.json()["error"]
        assert error["type"] == "invalid_request_error" and set(error) >= {"code", "message"}
        assert error.get("param") in (param, f"query.{param}"), (params, error)
    assert (await m.api.get("/v1/events/evt_missing")).status_code == 404
    assert await m.events() == [event]  # nothing changed


async def test_one_event_per_occurrence_same_id_and_bytes_at_every_endpoint(
    merchant_factory: Callable[[], Any],
) -> None:
    m: Merchant = await merchant_factory()
    with WebhookSink() as first, WebhookSink() as second:
        for sink in (first, second):
            sink.secret = (await m.endpoint(sink.url))["secret"]
        pid = await m.pay()
        detail = await wait_settled(m.api, pid)
        assert detail["webhook_status"] == "SUCCESS"
        [event] = await m.events()
        deliveries = detail["webhook_deliveries"]
        assert len(deliveries) == 2 and {d["event_id"] for d in deliveries} == {event["id"]}
        for sink in (first, second):
            [arrival] = sink.arrivals
            assert arrival.webhook_id == event["id"] and arrival.valid_signature
            assert json.loads(arrival.body) == event  # what GET /v1/events/{id} shows
        assert first.arrivals[0].body == second.arrivals[0].body
    listed = (await m.api.get(f"/v1/events/{event['id']}/deliveries")).json()
    assert sorted(d["id"] for d in listed["data"]) == sorted(d["id"] for d in deliveries)
    assert all(len(d["attempts"]) == 1 for d in listed["data"])


async def test_a_fan_out_run_again_creates_nothing_new(
    merchant_factory: Callable[[], Any], fn_env: dict[str, str], db: Any
) -> None:
    m: Merchant = await merchant_factory()
    gw: Gateway = await bootstrap.gateway()
    pid = await m.pay()
    await wait_settled(m.api, pid)
    [before] = await m.events()
    stored = await db["events"].find_one({"_id": before["id"]})
    payment = await gw.payments.get(pid)
    assert payment is not None
    await asyncio.sleep(0.01)  # a later clock: a new event would have another created_at
    await fan_out(gw, payment, "payment.succeeded")  # as a crashed step's redelivery does
    assert await db["events"].count_documents({"merchant_id": m.id}) == 1
    assert await db["events"].find_one({"_id": before["id"]}) == stored
    assert await m.events() == [before]


async def test_enabled_events_are_validated_and_editable(
    merchant_factory: Callable[[], Any], fn_env: dict[str, str]
) -> None:
    m: Merchant = await merchant_factory()
    other: Merchant = await merchant_factory()
    url = fn_env["PAYGATE_DEMO_WEBHOOK_URL"]
    bad = await m.api.post(
        "/v1/webhook_endpoints",
        json={"url": url, "enabled_events": ["payment.succeeded", "payment.exploded"]},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "enabled_events[1]"
    assert "'payment.exploded'" in bad.json()["error"]["message"]
    endpoint = await m.endpoint(url, ["payment.succeeded"])
    path = f"/v1/webhook_endpoints/{endpoint['id']}"
    updated = await m.api.post(
        path, json={"enabled_events": ["refund.failed", "dispute.created"], "description": "x"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["enabled_events"] == ["refund.failed", "dispute.created"]
    assert updated.json()["description"] == "x" and "secret" not in updated.json()
    for body, param in (
        ({"enabled_events": ["refund.exploded"]}, "enabled_events[0]"),
        ({"enabled_events": []}, "enabled_events"),
        ({"enabled_events": None}, "enabled_events"),
        ({"url": "https://example.com/x"}, "url"),
        ({}, None),
    ):
        refused = await m.api.post(path, json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"].get("param") == param, (body, refused.json())
    assert (
        await m.api.post(path, content=b"[1", headers={"content-type": "application/json"})
    ).status_code == 400
    assert (await other.api.post(path, json={"description": "mine"})).status_code == 404
    assert (
        await m.api.post("/v1/webhook_endpoints/we_missing", json={"description": "y"})
    ).status_code == 404
    [listed] = (await m.api.get("/v1/webhook_endpoints")).json()["data"]
    assert listed["enabled_events"] == ["refund.failed", "dispute.created"]
    assert listed["description"] == "x" and listed["status"] == "enabled"
    cleared = await m.api.post(path, json={"description": None})
    assert cleared.json()["description"] is None


async def test_an_endpoint_failing_every_delivery_is_disabled_then_enabled_again(
    merchant_factory: Callable[[], Any], relay: QStashRelay
) -> None:
    m: Merchant = await merchant_factory()
    with (
        lifecycle_config(webhook_disable_after=3, webhook_max_attempts=2),
        WebhookSink(status=500) as sink,
    ):
        endpoint = await m.endpoint(sink.url)
        path = f"/v1/webhook_endpoints/{endpoint['id']}"
        for _ in range(3):
            pid = await m.pay()
            relay.expect_5xx(pid, DISPATCH_PATH, 2)
            assert (await wait_settled(m.api, pid))["webhook_status"] == "FAILED"
        [listed] = (await m.api.get("/v1/webhook_endpoints")).json()["data"]
        assert listed["status"] == "disabled" and listed["consecutive_failures"] == 3
        assert "3 deliveries" in listed["disabled_reason"] and listed["disabled_at"]
        assert len(sink.arrivals) == 6
        refused = await m.api.post(
            f"{path}/recover", json={"since": iso(datetime.now(UTC) - timedelta(hours=1))}
        )
        assert refused.status_code == 409
        # Disabled: the next event is stored, but nothing is sent to it.
        quiet = await m.pay()
        assert (await wait_settled(m.api, quiet))["webhook_deliveries"] == []
        assert len(await m.events(payment=quiet)) == 1 and len(sink.arrivals) == 6
        sink.status = 200
        enabled = await m.api.post(f"{path}/enable")
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["status"] == "enabled" and enabled.json()["consecutive_failures"] == 0
        assert enabled.json()["disabled_reason"] is None
        # Each process caches a merchant's endpoints briefly (as for a new endpoint): let the
        # relay's copy, which still says disabled, expire.
        await asyncio.sleep((await bootstrap.gateway()).endpoint_cache.ttl_s + 0.5)
        again = await m.pay()
        detail = await wait_settled(m.api, again)
        assert detail["webhook_status"] == "SUCCESS"
        assert sink.ids(200) == [detail["webhook_deliveries"][0]["event_id"]]
    assert (await m.api.post("/v1/webhook_endpoints/we_missing/enable")).status_code == 404


async def test_a_success_resets_the_run_of_failures(
    merchant_factory: Callable[[], Any], relay: QStashRelay
) -> None:
    m: Merchant = await merchant_factory()
    with (
        lifecycle_config(webhook_disable_after=2, webhook_max_attempts=1),
        WebhookSink(status=500) as sink,
    ):
        await m.endpoint(sink.url)
        for status in (500, 200, 500):
            sink.status = status
            pid = await m.pay()
            relay.expect_5xx(pid, DISPATCH_PATH, 1 if status == 500 else 0)
            await wait_settled(m.api, pid)
        [listed] = (await m.api.get("/v1/webhook_endpoints")).json()["data"]
        assert listed["status"] == "enabled" and listed["consecutive_failures"] == 1


async def test_recover_resends_exactly_the_failed_deliveries_once_even_when_called_twice(
    merchant_factory: Callable[[], Any], relay: QStashRelay
) -> None:
    m: Merchant = await merchant_factory()
    start = datetime.now(UTC) - timedelta(seconds=1)
    with lifecycle_config(webhook_max_attempts=1), WebhookSink(status=500) as sink:
        endpoint = await m.endpoint(sink.url)
        path = f"/v1/webhook_endpoints/{endpoint['id']}/recover"
        failed = []
        for _ in range(3):
            pid = await m.pay()
            relay.expect_5xx(pid, DISPATCH_PATH, 1)
            failed.append(await wait_settled(m.api, pid))
        sink.status = 200
        ok = await wait_settled(m.api, await m.pay())
        assert [d["webhook_status"] for d in failed] == ["FAILED"] * 3
        failed_ids = sorted(d["webhook_deliveries"][0]["event_id"] for d in failed)
        before = {"since": iso(start)}
        first, second = await asyncio.gather(
            m.api.post(path, json=before), m.api.post(path, json=before)
        )
        assert first.status_code == second.status_code == 202, (first.text, second.text)
        assert first.json()["count"] + second.json()["count"] == 3
        assert first.json()["object"] == "recovery" and first.json()["endpoint"] == endpoint["id"]
        for detail in failed:
            settled = await wait_settled(m.api, detail["id"])
            assert settled["webhook_status"] == "SUCCESS"
            [delivery] = settled["webhook_deliveries"]
            assert [a["round"] for a in delivery["attempts"]] == [0, 1]
        resent = sorted(sink.ids(200))
        ok_id = ok["webhook_deliveries"][0]["event_id"]
        assert resent == sorted([*failed_ids, ok_id])  # each failed one once, the good one not
        bodies = {a.webhook_id: a.body for a in sink.arrivals if a.status == 500}
        assert all(
            a.body == bodies[a.webhook_id]
            for a in sink.arrivals
            if a.status == 200 and a.webhook_id != ok_id
        )
        nothing = await m.api.post(path, json=before)
        assert nothing.status_code == 202 and nothing.json()["count"] == 0


async def test_recover_refuses_bad_input(
    merchant_factory: Callable[[], Any], fn_env: dict[str, str]
) -> None:
    m: Merchant = await merchant_factory()
    endpoint = await m.endpoint(fn_env["PAYGATE_DEMO_WEBHOOK_URL"])
    path = f"/v1/webhook_endpoints/{endpoint['id']}/recover"
    future = iso(datetime.now(UTC) + timedelta(hours=1))
    for body, param in (
        ({}, "since"),
        ({"since": "last tuesday"}, "since"),
        ({"since": 12}, "since"),
        ({"since": future}, "since"),
        ({"since": "2026-01-01T00:00:00Z", "extra": 1}, "extra"),
    ):
        refused = await m.api.post(path, json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"]["param"] == param
    missing = await m.api.post(
        "/v1/webhook_endpoints/we_missing/recover", json={"since": "2026-01-01T00:00:00Z"}
    )
    assert missing.status_code == 404


async def test_an_event_a_crash_kept_from_being_stored_is_stored_by_the_sweep(
    merchant_factory: Callable[[], Any],
    db: Any,
    fn_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No endpoint subscribes: the settled payment still owes its event (`fanout_pending`)."""
    m: Merchant = await merchant_factory()
    gw: Gateway = await bootstrap.gateway()
    payment = claimed = await claimed_payment(gw, m.id)

    class Crash(Exception):
        pass

    async def crash(event: dict[str, Any]) -> dict[str, Any]:
        raise Crash("the function died between the final move and storing its event")

    monkeypatch.setattr(gw.webhooks, "insert_event", crash)
    with pytest.raises(Crash):
        await finalise(gw, claimed, PaymentStatus.SUCCESS, None, None)
    monkeypatch.undo()
    stored = await db["payments"].find_one({"_id": payment.id})
    assert stored["webhook_status"] == "SKIPPED" and stored["fanout_pending"]
    assert await m.events() == []
    # An endpoint added after the payment settled SKIPPED is not sent its event by the re-run.
    await m.endpoint(fn_env["PAYGATE_DEMO_WEBHOOK_URL"])
    # Long enough ago that no live function could still be storing it.
    await db["payments"].update_one(
        {"_id": payment.id}, {"$set": {"finalized_at": utcnow() - timedelta(minutes=10)}}
    )
    await sweep(fn_env)
    [event] = await m.events()
    assert event["type"] == "payment.succeeded" and event["data"]["id"] == payment.id
    after = await db["payments"].find_one({"_id": payment.id})
    assert not after["fanout_pending"] and after["webhook_status"] == "SKIPPED"
    assert await db["webhook_deliveries"].count_documents({"payment_id": payment.id}) == 0


async def test_a_recover_whose_publish_fails_changes_nothing(
    merchant_factory: Callable[[], Any], relay: QStashRelay
) -> None:
    m: Merchant = await merchant_factory()
    gw: Gateway = await bootstrap.gateway()
    since = {"since": iso(datetime.now(UTC) - timedelta(seconds=1))}
    with lifecycle_config(webhook_max_attempts=1), WebhookSink(status=500) as sink:
        endpoint = await m.endpoint(sink.url)
        path = f"/v1/webhook_endpoints/{endpoint['id']}/recover"
        pid = await m.pay()
        relay.expect_5xx(pid, DISPATCH_PATH, 1)
        assert (await wait_settled(m.api, pid))["webhook_status"] == "FAILED"
        sink.status = 200
        with DeadQueue(gw):
            failed = await m.api.post(path, json=since)
        assert failed.status_code == 503, failed.text
        [delivery] = (await wait_settled(m.api, pid))["webhook_deliveries"]
        assert delivery["status"] == "FAILED" and len(delivery["attempts"]) == 1
        again = await m.api.post(path, json=since)
        assert again.status_code == 202 and again.json()["count"] == 1
        assert (await wait_settled(m.api, pid))["webhook_status"] == "SUCCESS"
        assert sink.ids(200) == [delivery["event_id"]]

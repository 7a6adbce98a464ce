"""Disputes in-process on the real services: a 4000000000000259 payment succeeds, its delayed
message opens a dispute, the merchant answers or accepts it, a delayed message decides it, and
each event reaches the demo receiver. Delays are 1 s here (`fn_env`)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.domain import ids
from shared.domain.clock import utcnow
from shared.domain.payment import Payment, StoredResponse
from shared.domain.requests import PaymentCreate
from shared.domain.states import PaymentStatus, WebhookStatus
from shared.domain.tasks import Message
from shared.services.context import Gateway
from shared.services.lifecycle_messages import OPEN_DISPUTE_PATH
from shared.services.views import PaymentOut
from shared.web import bootstrap
from tests.functions.helpers import new_key, payment_body, qstash_delivery, wait_status
from tests.harness import QStashRelay, asgi_client

DISPUTE_CARD = {"type": "card", "card_number": "4000000000000259"}


@pytest.fixture
async def gw(fn_env: dict[str, str]) -> Gateway:
    return await bootstrap.gateway()


@pytest.fixture
async def own_merchant(
    fn_env: dict[str, str], db: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A merchant of its own, without endpoints, so its lists hold only this test's disputes:
    (create client, payments_api client)."""
    merchant_id = f"mer_{new_key()[-12:]}"
    api_key = f"sk_test_{new_key()}"
    await db["merchants"].insert_one(
        {
            "_id": merchant_id,
            "name": "Disputes",
            "api_key_hash": hashlib.sha256(api_key.encode()).hexdigest(),
            "created_at": datetime.now(UTC),
        }
    )
    headers = {"Authorization": f"Bearer {api_key}"}
    async with asgi_client("create_payment") as create, asgi_client("payments_api") as api:
        create.headers.update(headers)
        api.headers.update(headers)
        yield create, api


async def _until[T](probe: Callable[[], Awaitable[T]], within_s: float = 20.0) -> T:
    deadline = time.monotonic() + within_s
    value = await probe()
    while not value and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        value = await probe()
    assert value, f"condition not met within {within_s}s (last: {value})"
    return value


async def _disputed(create: httpx.AsyncClient, api: httpx.AsyncClient) -> dict[str, Any]:
    """A dispute-card payment, once its dispute opened: the dispute."""
    response = await create.post(
        "/v1/payments",
        json=payment_body(payment_method=DISPUTE_CARD, scenario=None, amount=4321),
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 201, response.text
    pid = response.json()["id"]
    await wait_status(api, pid, ("SUCCESS",), webhooks=False)

    async def listed() -> list[dict[str, Any]]:
        page = (await api.get("/v1/disputes", params={"payment": pid})).json()
        return list(page["data"])

    [dispute] = await _until(listed)
    return dispute


async def _status(api: httpx.AsyncClient, dispute_id: str, statuses: tuple[str, ...]) -> Any:
    async def probe() -> dict[str, Any] | None:
        found = (await api.get(f"/v1/disputes/{dispute_id}")).json()
        return found if found["status"] in statuses else None

    return await _until(probe)


async def _delivered(api: httpx.AsyncClient, payment_id: str, event_type: str) -> dict[str, Any]:
    """The payment's delivery of `event_type` once the demo receiver took it."""

    async def probe() -> dict[str, Any] | None:
        detail = (await api.get(f"/v1/payments/{payment_id}")).json()
        for delivery in detail["webhook_deliveries"]:
            if delivery["event_type"] == event_type and delivery["status"] == "SUCCESS":
                return dict(delivery)
        return None

    return await _until(probe)


async def test_a_dispute_opens_after_the_payment_succeeds_and_its_event_is_delivered(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    dispute = await _disputed(create_api, payments_api)
    assert dispute["id"].startswith("dp_") and dispute["object"] == "dispute"
    assert (dispute["status"], dispute["reason"]) == ("NEEDS_RESPONSE", "fraudulent")
    assert (dispute["amount"], dispute["currency"], dispute["evidence"]) == (4321, "USD", None)
    due = datetime.fromisoformat(dispute["evidence_due_by"])
    assert abs(due - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    assert (await payments_api.get(f"/v1/disputes/{dispute['id']}")).json() == dispute
    created = await _delivered(payments_api, dispute["payment"], "dispute.created")
    assert created["payload"]["data"]["id"] == dispute["id"]
    assert created["payload"]["data"]["status"] == "NEEDS_RESPONSE"


@pytest.mark.parametrize(
    ("text", "verdict"),
    [("Receipt signed by the cardholder. winning_evidence", "WON"), ("We think so.", "LOST")],
)
async def test_evidence_puts_it_under_review_and_it_is_decided_later(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, text: str, verdict: str
) -> None:
    dispute = await _disputed(create_api, payments_api)
    answered = await payments_api.post(
        f"/v1/disputes/{dispute['id']}/evidence", json={"text": text}
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["evidence"]) == ("UNDER_REVIEW", text)
    closed = await _status(payments_api, dispute["id"], ("WON", "LOST"))
    assert closed["status"] == verdict and closed["closed_at"]
    delivered = await _delivered(payments_api, dispute["payment"], "dispute.closed")
    assert delivered["payload"]["data"]["status"] == verdict
    again = await payments_api.post(f"/v1/disputes/{dispute['id']}/evidence", json={"text": "more"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


async def test_close_accepts_the_loss_once_and_the_timeline_shows_every_move(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    dispute = await _disputed(create_api, payments_api)
    closed = await payments_api.post(f"/v1/disputes/{dispute['id']}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "LOST"
    await _delivered(payments_api, dispute["payment"], "dispute.closed")
    for path, body in (("close", None), ("evidence", {"text": "winning_evidence"})):
        refused = await payments_api.post(f"/v1/disputes/{dispute['id']}/{path}", json=body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "invalid_state"
    detail = (await payments_api.get(f"/v1/payments/{dispute['payment']}")).json()
    assert detail["dispute"]["id"] == dispute["id"] and detail["dispute"]["status"] == "LOST"
    moves = [(e["from"], e["to"]) for e in detail["events"] if e["object_type"] == "dispute"]
    assert moves == [(None, "NEEDS_RESPONSE"), ("NEEDS_RESPONSE", "LOST")]
    assert detail["events"][-1]["object_id"] == dispute["id"]
    assert [e["object_type"] for e in detail["events"][:-2]] == ["payment"] * (
        len(detail["events"]) - 2
    )


async def test_a_close_retried_after_its_event_was_lost_mends_the_trail(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    """A crash between the move and its audit event: the merchant's retry (409, the move
    happened) writes the missing event; so does the decision timer for a lost evidence move."""
    dispute = await _disputed(create_api, payments_api)
    assert (await payments_api.post(f"/v1/disputes/{dispute['id']}/close")).status_code == 200
    lost = {"object_id": dispute["id"], "to": "LOST"}
    assert (await db["payment_events"].delete_many(lost)).deleted_count == 1
    retried = await payments_api.post(f"/v1/disputes/{dispute['id']}/close")
    assert retried.status_code == 409 and retried.json()["error"]["code"] == "invalid_state"
    assert await db["payment_events"].count_documents(lost) == 1


async def test_the_decision_writes_an_evidence_event_a_crash_lost(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, db: Any
) -> None:
    dispute = await _disputed(create_api, payments_api)
    dispute_id = dispute["id"]
    answered = await payments_api.post(
        f"/v1/disputes/{dispute_id}/evidence", json={"text": "winning_evidence"}
    )
    assert answered.status_code == 200, answered.text
    await db["payment_events"].delete_many({"object_id": dispute_id, "to": "UNDER_REVIEW"})
    await _status(payments_api, dispute_id, ("WON",))
    detail = (await payments_api.get(f"/v1/payments/{dispute['payment']}")).json()
    moves = [(e["from"], e["to"]) for e in detail["events"] if e["object_type"] == "dispute"]
    assert moves == [
        (None, "NEEDS_RESPONSE"),
        ("NEEDS_RESPONSE", "UNDER_REVIEW"),
        ("UNDER_REVIEW", "WON"),
    ]


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({}, "parameter_missing", "text"),
        ({"text": ""}, "parameter_invalid", "text"),
        ({"text": 42}, "parameter_invalid", "text"),
        ({"text": "x" * 10_001}, "parameter_invalid", "text"),
        ({"text": "ok", "attachment": "x"}, "parameter_unknown", "attachment"),
        ({"text": "bell\x07"}, "parameter_invalid", "text"),
    ],
)
async def test_bad_evidence_is_400_and_changes_nothing(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    body: dict[str, Any],
    code: str,
    param: str,
) -> None:
    dispute = await _disputed(create_api, payments_api)
    response = await payments_api.post(f"/v1/disputes/{dispute['id']}/evidence", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert (await payments_api.get(f"/v1/disputes/{dispute['id']}")).json() == dispute


async def test_unknown_disputes_and_bad_bodies_without_a_dispute(
    payments_api: httpx.AsyncClient,
) -> None:
    missing = "dp_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX"
    for response in (
        await payments_api.get(f"/v1/disputes/{missing}"),
        await payments_api.post(f"/v1/disputes/{missing}/evidence", json={"text": "x"}),
        await payments_api.post(f"/v1/disputes/{missing}/close"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "resource_missing"
    raw = await payments_api.post(
        f"/v1/disputes/{missing}/evidence",
        content=b"text=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert raw.status_code == 415 and "error" in raw.json()
    empty = await payments_api.post(f"/v1/disputes/{missing}/evidence")
    assert empty.status_code == 400 and "error" in empty.json()


async def test_the_open_message_delivered_again_and_at_once_opens_one_dispute(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    gw: Gateway,
    db: Any,
    relay: QStashRelay,
) -> None:
    response = await create_api.post(
        "/v1/payments",
        json=payment_body(payment_method=DISPUTE_CARD),
        headers={"Idempotency-Key": new_key()},
    )
    pid = response.json()["id"]
    await wait_status(payments_api, pid, ("SUCCESS",), webhooks=False)
    # Two more deliveries of the opening (distinct ids, so QStash does not fold them), racing
    # the delayed one.
    for n in range(2):
        await gw.queue.publish(
            Message(OPEN_DISPUTE_PATH, {"payment_id": pid}, f"dup-open-{pid}-{n}", retries=0)
        )

    async def three_answers() -> bool:
        return len(relay.statuses(pid, OPEN_DISPUTE_PATH)) >= 3

    await _until(three_answers)
    assert relay.statuses(pid, OPEN_DISPUTE_PATH) == [200, 200, 200]
    assert await db["disputes"].count_documents({"payment_id": pid}) == 1
    dispute = await db["disputes"].find_one({"payment_id": pid})
    opened = {"object_id": dispute["_id"], "to": "NEEDS_RESPONSE"}
    assert await db["payment_events"].count_documents(opened) == 1
    payment = await db["payments"].find_one({"_id": pid})
    assert payment["dispute_id"] == dispute["_id"]
    created = await _delivered(payments_api, pid, "dispute.created")
    detail = (await payments_api.get(f"/v1/payments/{pid}")).json()
    kinds = [d["event_type"] for d in detail["webhook_deliveries"]]
    assert kinds.count("dispute.created") == 1 and created["status"] == "SUCCESS"


async def test_list_filters_and_paginates_newest_first(
    own_merchant: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    create, api = own_merchant
    opened = [await _disputed(create, api) for _ in range(3)]
    closed = await api.post(f"/v1/disputes/{opened[1]['id']}/close")
    assert closed.status_code == 200
    first = (await api.get("/v1/disputes", params={"limit": 2})).json()
    assert (first["object"], first["url"], first["has_more"]) == ("list", "/v1/disputes", True)
    assert [d["id"] for d in first["data"]] == [opened[2]["id"], opened[1]["id"]]
    rest = (
        await api.get("/v1/disputes", params={"limit": 2, "starting_after": opened[1]["id"]})
    ).json()
    assert [d["id"] for d in rest["data"]] == [opened[0]["id"]] and rest["has_more"] is False
    lost = (await api.get("/v1/disputes", params={"status": "LOST"})).json()["data"]
    assert [d["id"] for d in lost] == [opened[1]["id"]]
    waiting = (await api.get("/v1/disputes", params={"status": "NEEDS_RESPONSE"})).json()
    assert [d["id"] for d in waiting["data"]] == [opened[2]["id"], opened[0]["id"]]
    for params, param in (
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "OPEN"}, "status"),
        ({"starting_after": opened[0]["payment"]}, "starting_after"),
        ({"payment": opened[0]["id"]}, "payment"),
    ):
        response = await api.get("/v1/disputes", params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["error"]["param"] == param


async def _sweep(fn_env: dict[str, str]) -> dict[str, Any]:
    response = await qstash_delivery(fn_env, "/internal/sweep", b"{}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_sweeper_opens_a_dispute_whose_message_was_lost(
    payments_api: httpx.AsyncClient, gw: Gateway, db: Any, fn_env: dict[str, str]
) -> None:
    """A dispute-card payment that succeeded without its opening message (the function died
    after the move): the sweep opens its dispute once it is overdue, not before."""
    request = PaymentCreate.model_validate(payment_body(payment_method=DISPUTE_CARD))
    payment = Payment.create(
        payment_id=ids.new_id(ids.PAYMENT),
        merchant_id="mer_demo",
        idempotency_key=new_key(),
        fingerprint="f" * 64,
        request=request,
        max_attempts=3,
        now=utcnow(),
    )
    await gw.payments.insert(
        payment, StoredResponse(201, PaymentOut.from_domain(payment).as_json())
    )
    claimed = await gw.payments.save(
        payment, payment.claimed(now=utcnow(), lease_s=30, owner="test", qstash_message_id=None)
    )
    assert claimed is not None
    succeeded = claimed.finalised(
        PaymentStatus.SUCCESS,
        None,
        now=utcnow(),
        actor="test",
        webhook_status=WebhookStatus.SKIPPED,
        qstash_message_id=None,
    )
    assert await gw.payments.save(claimed, succeeded) is not None  # no timer was published
    await _sweep(fn_env)
    assert await db["disputes"].count_documents({"payment_id": payment.id}) == 0  # not late yet
    late = utcnow() - timedelta(seconds=gw.config.stale_after_s + 5)
    await db["payments"].update_one({"_id": payment.id}, {"$set": {"finalized_at": late}})
    await _sweep(fn_env)
    detail = (await payments_api.get(f"/v1/payments/{payment.id}")).json()
    assert detail["dispute"] is not None and detail["dispute"]["status"] == "NEEDS_RESPONSE"
    assert detail["dispute"]["amount"] == payment.amount
    await _delivered(payments_api, payment.id, "dispute.created")
    await _sweep(fn_env)  # the next sweep leaves it alone
    assert await db["disputes"].count_documents({"payment_id": payment.id}) == 1

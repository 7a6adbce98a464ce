"""Manual capture, cancel and authorization expiry through the functions, on the real local
services (QStash emulator, Mongo-wire server, Upstash REST, the demo webhook receiver)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.functions.conftest import _reset_settings
from tests.functions.helpers import new_key, payment_body, wait_status

HELD = ("REQUIRES_CAPTURE",)


async def authorised(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, amount: int = 1000
) -> dict[str, Any]:
    created = await create_api.post(
        "/v1/payments",
        json=payment_body(amount=amount, capture_method="manual"),
        headers={"Idempotency-Key": new_key()},
    )
    assert created.status_code == 201, created.text
    assert created.json()["capture_method"] == "manual"
    return await wait_status(payments_api, created.json()["id"], HELD)


def delivered_types(detail: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["event_type"], d["status"]) for d in detail["webhook_deliveries"]]


def moves(detail: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["from"], e["to"]) for e in detail["events"]]


async def test_authorise_then_capture_part_of_it(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    held = await authorised(create_api, payments_api)
    assert held["amount_captured"] == 0 and held["authorization_expires_at"] is not None
    assert delivered_types(held) == [("payment.requires_capture", "SUCCESS")]
    captured = await payments_api.post(f"/v1/payments/{held['id']}/capture", json={"amount": 600})
    assert captured.status_code == 200, captured.text
    body = captured.json()
    assert body["status"] == "SUCCESS" and body["amount_captured"] == 600
    assert body["authorization_expires_at"] is None
    detail = await wait_status(payments_api, held["id"], ("SUCCESS",))
    assert sorted(delivered_types(detail)) == [
        ("payment.requires_capture", "SUCCESS"),
        ("payment.succeeded", "SUCCESS"),
    ]
    succeeded = next(
        d for d in detail["webhook_deliveries"] if d["event_type"] == "payment.succeeded"
    )
    assert succeeded["payload"]["data"]["amount_captured"] == 600
    assert moves(detail)[-2:] == [
        ("PROCESSING", "REQUIRES_CAPTURE"),
        ("REQUIRES_CAPTURE", "SUCCESS"),
    ]
    again = await payments_api.post(f"/v1/payments/{held['id']}/capture")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


async def test_cancel_an_authorization(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    held = await authorised(create_api, payments_api)
    canceled = await payments_api.post(
        f"/v1/payments/{held['id']}/cancel", json={"reason": "fraudulent"}
    )
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "CANCELED"
    assert canceled.json()["cancellation_reason"] == "fraudulent"
    detail = await wait_status(payments_api, held["id"], ("CANCELED",))
    assert ("payment.canceled", "SUCCESS") in delivered_types(detail)
    capture = await payments_api.post(f"/v1/payments/{held['id']}/capture")
    assert capture.status_code == 409


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "code"),
    [
        ("capture", {"amount": 1001}, {}, 400, "amount_too_large"),
        ("capture", {"amount": 0}, {}, 400, "parameter_invalid"),
        ("capture", {"amount": -1}, {}, 400, "parameter_invalid"),
        ("capture", {"amount": 10**5000}, {}, 400, "parameter_invalid"),
        ("capture", {"amount": 5, "currency": "EUR"}, {}, 400, "parameter_unknown"),
        ("capture", "not json", {"content-type": "application/json"}, 400, None),
        ("capture", "amount=5", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
        ("cancel", {"reason": "bored"}, {}, 400, "parameter_invalid"),
        ("cancel", ["reason"], {}, 400, "parameter_invalid"),
    ],
)
async def test_bad_input_is_refused_in_the_envelope_and_changes_nothing(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    held = await authorised(create_api, payments_api)
    url = f"/v1/payments/{held['id']}/{path}"
    if isinstance(body, str):
        response = await payments_api.post(url, content=body.encode(), headers=headers)
    elif isinstance(body, dict) and any(isinstance(v, int) and v > 10**100 for v in body.values()):
        response = await payments_api.post(
            url,
            content=b'{"amount": ' + b"9" * 5000 + b"}",
            headers={"content-type": "application/json"},
        )
    else:
        response = await payments_api.post(url, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"type", "code", "message"}
    if code is not None:
        assert error["code"] == code
    after = (await payments_api.get(f"/v1/payments/{held['id']}")).json()
    assert after["status"] == "REQUIRES_CAPTURE" and after["events"] == held["events"]


async def test_unknown_or_automatic_payments(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    for path in ("capture", "cancel"):
        missing = await payments_api.post(f"/v1/payments/pay_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX/{path}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    created = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
    )
    done = await wait_status(payments_api, created.json()["id"], ("SUCCESS",))
    assert done["amount_captured"] == done["amount"] and done["capture_method"] == "automatic"
    for path in ("capture", "cancel"):
        refused = await payments_api.post(f"/v1/payments/{done['id']}/{path}")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "invalid_state"


async def test_racing_captures_and_cancels_one_wins(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    held = await authorised(create_api, payments_api)
    url = f"/v1/payments/{held['id']}"
    calls = [payments_api.post(f"{url}/capture") for _ in range(6)]
    calls += [payments_api.post(f"{url}/cancel") for _ in range(6)]
    answers = await asyncio.gather(*calls)
    winners = [r for r in answers if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in answers]
    assert all(r.status_code == 409 for r in answers if r is not winners[0])
    final = winners[0].json()["status"]
    detail = await wait_status(payments_api, held["id"], (final,))
    out_of_hold = [m for m in moves(detail) if m[0] == "REQUIRES_CAPTURE"]
    assert out_of_hold == [("REQUIRES_CAPTURE", final)]


async def test_a_cancel_racing_the_gateway_either_wins_or_changes_nothing(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient
) -> None:
    outcomes: dict[int, int] = {}
    for _ in range(8):
        created = await create_api.post(
            "/v1/payments", json=payment_body(), headers={"Idempotency-Key": new_key()}
        )
        pid = created.json()["id"]
        canceled = await payments_api.post(f"/v1/payments/{pid}/cancel")
        outcomes[canceled.status_code] = outcomes.get(canceled.status_code, 0) + 1
        expected = ("CANCELED",) if canceled.status_code == 200 else ("SUCCESS",)
        assert canceled.status_code in (200, 409), canceled.text
        detail = await wait_status(payments_api, pid, expected)
        finals = [m for m in moves(detail) if m[1] in ("SUCCESS", "FAILED", "CANCELED")]
        assert len(finals) == 1 and finals[0][1] == expected[0]
        if canceled.status_code == 200:
            assert moves(detail) == [("CREATED", "CANCELED")]
    assert sum(outcomes.values()) == 8


@pytest.fixture
def short_authorizations() -> Iterator[None]:
    """Authorizations that expire after 2 s (the in-process functions re-read settings)."""
    os.environ["PAYGATE_AUTHORIZATION_TTL_S"] = "2"
    _reset_settings()
    yield
    os.environ.pop("PAYGATE_AUTHORIZATION_TTL_S", None)
    _reset_settings()


async def test_an_uncaptured_authorization_expires_by_its_timer(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, short_authorizations: None
) -> None:
    held = await authorised(create_api, payments_api)
    detail = await wait_status(payments_api, held["id"], ("CANCELED",), within_s=20)
    assert detail["cancellation_reason"] == "expired"
    last = detail["events"][-1]
    assert (last["from"], last["to"], last["actor"]) == (
        "REQUIRES_CAPTURE",
        "CANCELED",
        "expire_authorization",
    )
    assert ("payment.canceled", "SUCCESS") in delivered_types(detail)


@pytest.mark.parametrize(("action", "settled"), [("cancel", "CANCELED"), ("capture", "SUCCESS")])
async def test_a_retried_request_mends_the_event_a_crash_lost(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    db: Any,
    action: str,
    settled: str,
) -> None:
    """A move and its audit event are two writes: a request that died between them (Mongo
    killed) is retried, finds the move made and answers 409, writing the lost event first."""
    held = await authorised(create_api, payments_api)
    done = await payments_api.post(f"/v1/payments/{held['id']}/{action}")
    assert done.status_code == 200, done.text
    lost = await db["payment_events"].delete_many({"payment_id": held["id"], "to": settled})
    assert lost.deleted_count == 1
    again = await payments_api.post(f"/v1/payments/{held['id']}/{action}")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    detail = (await payments_api.get(f"/v1/payments/{held['id']}")).json()
    assert moves(detail)[-1] == ("REQUIRES_CAPTURE", settled)


ENDPOINT_CACHE_S = 2.2  # the functions cache a merchant's endpoints for 2 s


@pytest.mark.parametrize(("action", "settled"), [("cancel", "CANCELED"), ("capture", "SUCCESS")])
async def test_an_authorization_whose_fan_out_a_crash_cut_short_is_still_sent(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    db: Any,
    action: str,
    settled: str,
) -> None:
    """The authorising move was saved but its process died before queueing its webhooks
    (`fanout_pending` set, nothing queued): a capture or cancel coming before the sweeper sends
    `payment.requires_capture` first, then its own event."""
    endpoints = db["webhook_endpoints"]
    demo = await endpoints.find_one({"_id": "we_demo"})
    subscribed = list(demo["enabled_events"])
    held_back = [e for e in subscribed if e != "payment.requires_capture"]
    await endpoints.update_one({"_id": "we_demo"}, {"$set": {"enabled_events": held_back}})
    try:
        await asyncio.sleep(ENDPOINT_CACHE_S)
        held = await authorised(create_api, payments_api)
        assert delivered_types(held) == []
        await endpoints.update_one({"_id": "we_demo"}, {"$set": {"enabled_events": subscribed}})
        cut_short = {"fanout_pending": True, "webhook_status": "PENDING"}
        await db["payments"].update_one({"_id": held["id"]}, {"$set": cut_short})
        await asyncio.sleep(ENDPOINT_CACHE_S)
        done = await payments_api.post(f"/v1/payments/{held['id']}/{action}")
        assert done.status_code == 200, done.text
        detail = await wait_status(payments_api, held["id"], (settled,))
    finally:
        await endpoints.update_one({"_id": "we_demo"}, {"$set": {"enabled_events": subscribed}})
    event = "payment.canceled" if settled == "CANCELED" else "payment.succeeded"
    assert sorted(delivered_types(detail)) == sorted(
        [("payment.requires_capture", "SUCCESS"), (event, "SUCCESS")]
    )
    assert detail["webhook_status"] == "SUCCESS"

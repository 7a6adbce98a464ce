"""The decline catalog and scripted attempts over the real local services: each magic card and
UPI address of DESIGN.md's table, each `simulate` script, and bad `simulate` inputs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.functions.helpers import new_key, payment_body, wait_settled
from tests.harness import QStashRelay

MAX_ATTEMPTS = 3
DISPUTE_CARD = "4000000000000259"

# card or vpa → (status, failure.code, advice_code, attempts): DESIGN.md's table.
CATALOG: list[tuple[dict[str, str], str, str | None, str | None, int]] = [
    ({"type": "card", "card_number": "4242424242424242"}, "SUCCESS", None, None, 1),
    (
        {"type": "card", "card_number": "4000000000000002"},
        "FAILED",
        "card_declined",
        "do_not_try_again",
        1,
    ),
    (
        {"type": "card", "card_number": "4000000000009995"},
        "FAILED",
        "insufficient_funds",
        "try_again_later",
        1,
    ),
    (
        {"type": "card", "card_number": "4000000000009987"},
        "FAILED",
        "lost_card",
        "do_not_try_again",
        1,
    ),
    (
        {"type": "card", "card_number": "4000000000009979"},
        "FAILED",
        "stolen_card",
        "do_not_try_again",
        1,
    ),
    (
        {"type": "card", "card_number": "4000000000000069"},
        "FAILED",
        "expired_card",
        "confirm_card_data",
        1,
    ),
    (
        {"type": "card", "card_number": "4000000000000127"},
        "FAILED",
        "incorrect_cvc",
        "confirm_card_data",
        1,
    ),
    (
        {"type": "card", "card_number": "4100000000000019"},
        "FAILED",
        "fraudulent",
        "do_not_try_again",
        1,
    ),
    (
        {"type": "card", "card_number": "4000000000006975"},
        "FAILED",
        "card_velocity_exceeded",
        "try_again_later",
        1,
    ),
    (
        {"type": "card", "card_number": "4000000000000119"},
        "FAILED",
        "processing_error",
        "try_again_later",
        MAX_ATTEMPTS,
    ),
    ({"type": "card", "card_number": "4000000000000259"}, "SUCCESS", None, None, 1),
    ({"type": "card", "card_number": "4000000000005126"}, "SUCCESS", None, None, 1),
    ({"type": "upi", "vpa": "success@paygate"}, "SUCCESS", None, None, 1),
    ({"type": "upi", "vpa": "failure@paygate"}, "FAILED", "upi_declined", "do_not_try_again", 1),
    (
        {"type": "upi", "vpa": "timeout@paygate"},
        "FAILED",
        "timeout",
        "try_again_later",
        MAX_ATTEMPTS,
    ),
]


async def _create(api: httpx.AsyncClient, body: dict[str, Any], key: str | None = None) -> Any:
    return await api.post("/v1/payments", json=body, headers={"Idempotency-Key": key or new_key()})


async def _settled(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    relay: QStashRelay,
    body: dict[str, Any],
    attempts: int,
) -> dict[str, Any]:
    created = await _create(create_api, body)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    if attempts > 1:
        relay.expect_5xx(pid, count=attempts - 1)
    return await wait_settled(payments_api, pid)


@pytest.mark.parametrize(
    ("method", "status", "code", "advice", "attempts"),
    CATALOG,
    ids=[m.get("card_number") or m["vpa"] for m, *_ in CATALOG],
)
async def test_each_catalog_entry_ends_as_the_table_says(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    relay: QStashRelay,
    db: Any,
    method: dict[str, str],
    status: str,
    code: str | None,
    advice: str | None,
    attempts: int,
) -> None:
    body = payment_body(scenario=None, payment_method=dict(method))
    detail = await _settled(create_api, payments_api, relay, body, attempts)
    assert detail["status"] == status and detail["attempts"] == attempts
    failure = detail["failure"]
    if code is None:
        assert failure is None
    else:
        assert failure["code"] == code and failure["advice_code"] == advice and failure["message"]
    # The stored magic marker names the outcome, never the card number or the address.
    stored = await db["payments"].find_one({"_id": detail["id"]})
    secret = method.get("card_number") or method["vpa"]
    assert stored["magic"] is not None and secret not in str(stored)
    if secret == DISPUTE_CARD:  # nothing left in flight when the test ends
        await _dispute_delivered(payments_api, detail["id"])


async def _dispute_delivered(api: httpx.AsyncClient, payment_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        detail = (await api.get(f"/v1/payments/{payment_id}")).json()
        if any(
            d["event_type"] == "dispute.created" and d["status"] == "SUCCESS"
            for d in detail["webhook_deliveries"]
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the dispute of {payment_id} was never delivered")


SCRIPTS = [
    (
        ["timeout", "processing_error", "success"],
        "SUCCESS",
        3,
        None,
        ["timeout", "processing_error"],
    ),
    (["processing_error"], "FAILED", 3, "processing_error", ["processing_error"] * 2),
    (["processing_error", "timeout"], "FAILED", 3, "timeout", ["processing_error", "timeout"]),
    (
        ["timeout", "processing_error"],
        "FAILED",
        3,
        "processing_error",
        ["timeout", "processing_error"],
    ),
    (["timeout", "decline:lost_card"], "FAILED", 2, "lost_card", ["timeout"]),
    (["decline"], "FAILED", 1, "card_declined", []),
    (["success"], "SUCCESS", 1, None, []),
]


@pytest.mark.parametrize(("script", "status", "attempts", "code", "retried_for"), SCRIPTS)
async def test_scripted_attempts_play_in_order_and_the_last_repeats(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    relay: QStashRelay,
    script: list[str],
    status: str,
    attempts: int,
    code: str | None,
    retried_for: list[str],
) -> None:
    # The script beats the scenario and the magic card (DESIGN.md's precedence).
    body = payment_body(
        scenario="success",
        payment_method={"type": "card", "card_number": "4000000000000002"},
        simulate={"attempts": script},
    )
    detail = await _settled(create_api, payments_api, relay, body, attempts)
    assert detail["status"] == status and detail["attempts"] == attempts
    assert (detail["failure"] or {}).get("code") == code
    assert detail["simulate"] == {"attempts": script, "gateway_latency_ms": None}
    reasons = [e["reason"] for e in detail["events"] if e["to"] == "RETRYING"]
    assert reasons == retried_for


async def test_a_scripted_upi_decline_is_a_upi_decline(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, relay: QStashRelay
) -> None:
    body = payment_body(
        payment_method={"type": "upi", "vpa": "success@paygate"}, simulate={"attempts": ["decline"]}
    )
    detail = await _settled(create_api, payments_api, relay, body, 1)
    assert detail["failure"]["code"] == "upi_declined"


async def test_simulate_is_shown_stored_and_null_when_absent(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, relay: QStashRelay, db: Any
) -> None:
    simulate = {"attempts": ["success"], "gateway_latency_ms": 20}
    created = await _create(create_api, payment_body(simulate=simulate))
    assert created.status_code == 201 and created.json()["simulate"] == simulate
    detail = await wait_settled(payments_api, created.json()["id"])
    assert detail["simulate"] == simulate and detail["status"] == "SUCCESS"
    stored = await db["payments"].find_one({"_id": detail["id"]})
    assert stored["simulate"] == simulate
    plain = await _create(create_api, payment_body())
    assert plain.json()["simulate"] is None
    latency_only = await _create(create_api, payment_body(simulate={"gateway_latency_ms": 0}))
    assert latency_only.json()["simulate"] == {"attempts": None, "gateway_latency_ms": 0}
    for done in (plain, latency_only):  # nothing left in flight when the test ends
        assert (await wait_settled(payments_api, done.json()["id"]))["status"] == "SUCCESS"


async def test_simulate_is_part_of_the_idempotency_fingerprint(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, relay: QStashRelay
) -> None:
    key = new_key()
    first = await _create(create_api, payment_body(simulate={"attempts": ["success"]}), key)
    assert first.status_code == 201
    same = await _create(create_api, payment_body(simulate={"attempts": ["success"]}), key)
    assert same.status_code == 201 and same.headers.get("Idempotent-Replayed") == "true"
    assert same.json()["id"] == first.json()["id"]
    other = await _create(create_api, payment_body(simulate={"attempts": ["timeout"]}), key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    without = await _create(create_api, payment_body(), key)
    assert without.status_code == 422
    assert (await wait_settled(payments_api, first.json()["id"]))["status"] == "SUCCESS"


BAD_SIMULATE: list[tuple[str, Any, str]] = [
    ("unknown entry", {"attempts": ["success", "timeout", "explode"]}, "simulate.attempts[2]"),
    ("unknown decline code", {"attempts": ["decline:nope"]}, "simulate.attempts[0]"),
    (
        "processing_error is not a decline",
        {"attempts": ["decline:processing_error"]},
        "simulate.attempts[0]",
    ),
    ("entry not a string", {"attempts": ["success", 3]}, "simulate.attempts[1]"),
    ("attempts not a list", {"attempts": "success"}, "simulate.attempts"),
    ("empty script", {"attempts": []}, "simulate.attempts"),
    ("script too long", {"attempts": ["timeout"] * 11}, "simulate.attempts"),
    ("huge entry", {"attempts": ["x" * 10_000]}, "simulate.attempts[0]"),
    ("negative latency", {"gateway_latency_ms": -1}, "simulate.gateway_latency_ms"),
    ("latency past the deadline", {"gateway_latency_ms": 24_001}, "simulate.gateway_latency_ms"),
    ("huge latency", {"gateway_latency_ms": 10**40}, "simulate.gateway_latency_ms"),
    ("latency as a string", {"gateway_latency_ms": "5"}, "simulate.gateway_latency_ms"),
    ("latency as a float", {"gateway_latency_ms": 5.5}, "simulate.gateway_latency_ms"),
    ("unknown field", {"attempts": ["success"], "seed": 7}, "simulate.seed"),
    ("empty object", {}, "simulate"),
    ("not an object", ["success"], "simulate"),
]


@pytest.mark.parametrize(
    ("case", "simulate", "param"), BAD_SIMULATE, ids=[c[0] for c in BAD_SIMULATE]
)
async def test_a_bad_simulate_is_refused_and_creates_nothing(
    create_api: httpx.AsyncClient,
    payments_api: httpx.AsyncClient,
    relay: QStashRelay,
    db: Any,
    case: str,
    simulate: Any,
    param: str,
) -> None:
    key = new_key()
    refused = await _create(create_api, payment_body(simulate=simulate), key)
    assert refused.status_code == 400, (case, refused.text)
    error = refused.json()["error"]
    assert error["param"] == param and param in error["message"], error
    assert await db["payments"].count_documents({"idempotency_key": key}) == 0
    # The key is still free: the same key with a good body creates the payment.
    created = await _create(create_api, payment_body(), key)
    assert created.status_code == 201
    assert (await wait_settled(payments_api, created.json()["id"]))["status"] == "SUCCESS"


async def test_a_script_counts_attempts_across_a_manual_retry(
    create_api: httpx.AsyncClient, payments_api: httpx.AsyncClient, relay: QStashRelay
) -> None:
    body = payment_body(simulate={"attempts": ["decline", "success"]})
    failed = await _settled(create_api, payments_api, relay, body, 1)
    assert failed["status"] == "FAILED" and failed["failure"]["code"] == "card_declined"
    retried = await payments_api.post(f"/v1/payments/{failed['id']}/retry")
    assert retried.status_code == 200, retried.text
    detail = await wait_settled(payments_api, failed["id"])
    assert detail["status"] == "SUCCESS" and detail["retry_count"] == 1

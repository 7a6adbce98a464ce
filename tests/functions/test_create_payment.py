"""create_payment in-process: idempotency, validation and errors, against the real services."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from shared.adapters.upstash import IdempotencyLock, connect
from tests.functions.helpers import new_key, payment_body


async def _count(db: Any) -> int:
    return int(await db["payments"].count_documents({}))


async def test_create_returns_the_payment_object(create_api: httpx.AsyncClient) -> None:
    key = new_key()
    response = await create_api.post(
        "/v1/payments",
        json=payment_body(metadata={"order": "42"}),
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("pay_") and body["object"] == "payment"
    assert body["status"] == "CREATED" and body["attempts"] == 0 and body["max_attempts"] == 3
    assert body["payment_method"] == {"type": "card", "brand": "visa", "last4": "4242"}
    assert body["idempotency_key"] == key and body["metadata"] == {"order": "42"}
    assert body["created_at"].endswith("Z") and body["failure"] is None
    assert "Idempotent-Replayed" not in response.headers


async def test_replay_returns_the_original_response(create_api: httpx.AsyncClient) -> None:
    key = new_key()
    first = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
    )
    # Same JSON value, other key order: same fingerprint.
    reordered = dict(reversed(list(payment_body().items())))
    again = await create_api.post("/v1/payments", json=reordered, headers={"Idempotency-Key": key})
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_reused_key_with_another_body_is_422(create_api: httpx.AsyncClient, db: Any) -> None:
    key = new_key()
    await create_api.post("/v1/payments", json=payment_body(), headers={"Idempotency-Key": key})
    before = await _count(db)
    response = await create_api.post(
        "/v1/payments", json=payment_body(amount=1), headers={"Idempotency-Key": key}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert await _count(db) == before


async def test_key_held_by_another_request_is_409(
    create_api: httpx.AsyncClient, fn_env: dict[str, str]
) -> None:
    key = new_key()
    lock = IdempotencyLock(
        connect(fn_env["UPSTASH_REDIS_REST_URL"], fn_env["UPSTASH_REDIS_REST_TOKEN"]), 3.0
    )
    token = await lock.acquire(f"idem:mer_demo:{key}", 5_000)
    assert token is not None
    try:
        response = await create_api.post(
            "/v1/payments", json=payment_body(), headers={"Idempotency-Key": key}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_key_in_use"
    finally:
        assert await lock.release(f"idem:mer_demo:{key}", token)
    assert (
        await create_api.post("/v1/payments", json=payment_body(), headers={"Idempotency-Key": key})
    ).status_code == 201


async def test_lock_release_never_deletes_another_owners_lock(fn_env: dict[str, str]) -> None:
    lock = IdempotencyLock(
        connect(fn_env["UPSTASH_REDIS_REST_URL"], fn_env["UPSTASH_REDIS_REST_TOKEN"]), 3.0
    )
    key = f"idem:test:{new_key()}"
    mine = await lock.acquire(key, 5_000)
    assert mine is not None
    assert await lock.acquire(key, 5_000) is None
    assert not await lock.release(key, "someone-else")
    assert await lock.acquire(key, 5_000) is None  # still held
    assert await lock.release(key, mine)


async def test_concurrent_requests_with_one_key_make_one_payment(
    create_api: httpx.AsyncClient, db: Any
) -> None:
    key = new_key()
    responses = await asyncio.gather(
        *[
            create_api.post("/v1/payments", json=payment_body(), headers={"Idempotency-Key": key})
            for _ in range(25)
        ]
    )
    statuses = {r.status_code for r in responses}
    assert statuses <= {201, 409}
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    assert await db["payments"].count_documents({"idempotency_key": key}) == 1


BAD_INPUTS = [
    ({"amount": -5}, 400, "amount_too_small", "amount"),
    ({"amount": 0}, 400, "amount_too_small", "amount"),
    ({"amount": 10**12}, 400, "amount_too_large", "amount"),
    ({"amount": "12"}, 400, "parameter_invalid", "amount"),
    ({"amount": 12.5}, 400, "parameter_invalid", "amount"),
    ({"currency": "XYZ"}, 400, "currency_unsupported", "currency"),
    ({"payment_method": {"type": "cash"}}, 400, "parameter_invalid", "payment_method.type"),
    (
        {"payment_method": {"type": "card", "card_number": "1234"}},
        400,
        "invalid_card_number",
        "payment_method.card_number",
    ),
    ({"metadata": {f"k{i}": "v" for i in range(21)}}, 400, "parameter_invalid", "metadata"),
    ({"user_id": None}, 400, "parameter_invalid", "user_id"),
    ({"scenario": "boom"}, 400, "parameter_invalid", "scenario"),
    ({"surprise": True}, 400, "parameter_unknown", "surprise"),
]


@pytest.mark.parametrize(("change", "status", "code", "param"), BAD_INPUTS)
async def test_bad_input_is_refused_and_creates_nothing(
    create_api: httpx.AsyncClient,
    db: Any,
    change: dict[str, Any],
    status: int,
    code: str,
    param: str,
) -> None:
    before = await _count(db)
    response = await create_api.post(
        "/v1/payments", json=payment_body(**change), headers={"Idempotency-Key": new_key()}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["param"] == param
    assert error["type"] == "invalid_request_error" and error["message"]
    assert await _count(db) == before


async def test_missing_and_malformed_keys(create_api: httpx.AsyncClient, db: Any) -> None:
    before = await _count(db)
    missing = await create_api.post("/v1/payments", json=payment_body())
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_missing"
    spaced = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": "has space"}
    )
    assert spaced.json()["error"]["code"] == "idempotency_key_invalid"
    long = await create_api.post(
        "/v1/payments", json=payment_body(), headers={"Idempotency-Key": "k" * 256}
    )
    assert long.status_code == 400
    assert await _count(db) == before


async def test_body_errors(create_api: httpx.AsyncClient, db: Any) -> None:
    before = await _count(db)
    key = {"Idempotency-Key": new_key()}
    not_json = await create_api.post(
        "/v1/payments", content=b"{nope", headers={**key, "content-type": "application/json"}
    )
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]["message"]
    form = await create_api.post(
        "/v1/payments",
        content=b"a=1",
        headers={**key, "content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    assert form.json()["error"]["code"] == "unsupported_media_type"
    array = await create_api.post("/v1/payments", json=[1, 2], headers=key)
    assert array.status_code == 400
    huge = await create_api.post(
        "/v1/payments", json=payment_body(description="x" * 40_000), headers=key
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "body_too_large"
    assert await _count(db) == before


async def test_authentication(fn_env: dict[str, str]) -> None:
    from tests.harness import asgi_client

    async with asgi_client("create_payment") as client:
        none = await client.post("/v1/payments", json=payment_body())
        assert none.status_code == 401
        assert none.json()["error"]["code"] == "missing_api_key"
        wrong = await client.post(
            "/v1/payments", json=payment_body(), headers={"Authorization": "Bearer sk_test_wrong"}
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"] == {
            "type": "authentication_error",
            "code": "invalid_api_key",
            "message": "invalid API key",
        }

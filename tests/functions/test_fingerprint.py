"""The idempotency fingerprint of a payment, in-process on the real services: a replay matches,
another card under the same key is 422, and the stored fingerprint is not an unkeyed hash."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from shared.domain.fingerprint import canonical_json
from tests.functions.helpers import new_key, payment_body


async def test_same_card_spelled_otherwise_is_a_replay(
    create_api: httpx.AsyncClient,
) -> None:
    key = new_key()
    plain = payment_body(payment_method={"type": "card", "card_number": "4242424242424242"})
    spaced = payment_body(payment_method={"type": "card", "card_number": "4242 4242 4242 4242"})
    first = await create_api.post("/v1/payments", json=plain, headers={"Idempotency-Key": key})
    again = await create_api.post("/v1/payments", json=spaced, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


async def test_another_card_under_the_same_key_is_422(
    create_api: httpx.AsyncClient, db: Any
) -> None:
    key = new_key()
    body = payment_body(payment_method={"type": "card", "card_number": "4242424242424242"})
    other = payment_body(payment_method={"type": "card", "card_number": "4000000000000002"})
    assert (
        await create_api.post("/v1/payments", json=body, headers={"Idempotency-Key": key})
    ).status_code == 201
    reused = await create_api.post("/v1/payments", json=other, headers={"Idempotency-Key": key})
    assert reused.status_code == 422, reused.text
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    stored = await db["payments"].find_one({"idempotency_key": key})
    unkeyed = {
        hashlib.sha256(text.encode()).hexdigest()
        for text in (canonical_json(body), canonical_json(body["payment_method"]))
    }
    assert stored["fingerprint"] not in unkeyed

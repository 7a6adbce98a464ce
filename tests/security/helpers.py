"""Small helpers shared by the security tests: payments, waiting, merchants, card numbers."""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from pymongo.database import Database

from tests.functions.helpers import payment_body as shared_payment_body

FINAL = {"SUCCESS", "FAILED"}


def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def payment_body(**overrides: Any) -> dict[str, Any]:
    return shared_payment_body(**{"user_id": "user_sec", **overrides})


def create_payment(
    client: httpx.Client, body: dict[str, Any] | None = None, key: str | None = None, **kw: Any
) -> httpx.Response:
    headers = {"Idempotency-Key": key or f"sec-{uuid.uuid4().hex}", **kw.pop("headers", {})}
    return client.post("/v1/payments", json=body or payment_body(), headers=headers, **kw)


def wait_final(client: httpx.Client, payment_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """The payment once it is final and its webhooks settled (SUCCESS/FAILED/SKIPPED)."""
    deadline = time.monotonic() + timeout_s
    payment: dict[str, Any] = {}
    while time.monotonic() < deadline:
        payment = client.get(f"/v1/payments/{payment_id}").json()
        if payment.get("status") in FINAL and payment.get("webhook_status") != "PENDING":
            return payment
        time.sleep(0.2)
    raise AssertionError(f"{payment_id} not settled after {timeout_s}s: {payment}")


def insert_merchant(db: Database[dict[str, Any]], merchant_id: str, api_key: str) -> None:
    """A merchant written straight to Mongo, as an operator would: only the key's hash."""
    db["merchants"].update_one(
        {"_id": merchant_id},
        {
            "$set": {
                "name": merchant_id,
                "api_key_hash": hashlib.sha256(api_key.encode()).hexdigest(),
                "created_at": datetime.now(UTC),
            }
        },
        upsert=True,
    )


def luhn_number(prefix: str, length: int, rng: random.Random) -> str:
    """A Luhn-valid card number starting with `prefix` (random middle digits)."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        candidate = body + check
        total = 0
        for index, char in enumerate(reversed(candidate)):
            digit = int(char)
            if index % 2 == 1:
                digit = digit * 2 - 9 if digit > 4 else digit * 2
            total += digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")

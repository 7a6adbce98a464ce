"""Small helpers shared by the function tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from shared.domain import ids
from shared.domain.clock import utcnow
from shared.domain.payment import Payment, StoredResponse
from shared.domain.requests import PaymentCreate
from shared.services.context import Gateway
from shared.services.views import PaymentOut
from tests.qstash_jwt import qstash_signature

FINAL = ("SUCCESS", "FAILED")


async def qstash_delivery(fn_env: dict[str, str], path: str, body: bytes) -> httpx.Response:
    """POST `body` to an internal route as QStash delivers it: signed for that URL."""
    url = fn_env["PAYGATE_PUBLIC_URL"] + path
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            url,
            content=body,
            headers={
                "Upstash-Signature": qstash_signature(url, body),
                "content-type": "application/json",
            },
        )


def payment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 1999,
        "currency": "USD",
        "payment_method": {"type": "card", "card_number": "4242424242424242"},
        "user_id": "user_fn",
        "scenario": "success",
    }
    body.update(overrides)
    return body


def new_key() -> str:
    return f"test-{uuid.uuid4().hex}"


async def wait_settled(
    api: httpx.AsyncClient, payment_id: str, within_s: float = 30.0, webhooks: bool = True
) -> dict[str, Any]:
    """Poll until the payment is final (and its webhooks settled), then return its detail."""
    deadline = time.monotonic() + within_s
    detail: dict[str, Any] = {}
    while time.monotonic() < deadline:
        detail = (await api.get(f"/v1/payments/{payment_id}")).json()
        if detail.get("status") in FINAL and (
            not webhooks or detail.get("webhook_status") in ("SUCCESS", "FAILED", "SKIPPED")
        ):
            return detail
        await asyncio.sleep(0.1)
    raise AssertionError(f"payment {payment_id} did not settle: {detail}")


async def wait_status(
    api: httpx.AsyncClient,
    payment_id: str,
    statuses: tuple[str, ...],
    within_s: float = 30.0,
    webhooks: bool = True,
) -> dict[str, Any]:
    """Poll until the payment is in one of `statuses` (and its webhooks settled)."""
    deadline = time.monotonic() + within_s
    detail: dict[str, Any] = {}
    while time.monotonic() < deadline:
        detail = (await api.get(f"/v1/payments/{payment_id}")).json()
        if detail.get("status") in statuses and (
            not webhooks or detail.get("webhook_status") in ("SUCCESS", "FAILED", "SKIPPED")
        ):
            return detail
        await asyncio.sleep(0.1)
    raise AssertionError(f"payment {payment_id} never reached {statuses}: {detail}")


async def claimed_payment(gw: Gateway, merchant_id: str) -> Payment:
    """A payment stored and claimed (PROCESSING) by a test, as a worker would leave it just
    before its final move: for tests that crash that move's aftermath."""
    payment = Payment.create(
        payment_id=ids.new_id(ids.PAYMENT),
        merchant_id=merchant_id,
        idempotency_key=new_key(),
        fingerprint="f" * 64,
        request=PaymentCreate.model_validate(payment_body()),
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
    return claimed

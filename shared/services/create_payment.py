"""Use case: accept a payment once per idempotency key and hand it to process_payment."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from shared.domain import ids
from shared.domain.clock import utcnow
from shared.domain.errors import (
    DependencyUnavailable,
    DuplicatePayment,
    IdempotencyKeyInUse,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
)
from shared.domain.fingerprint import payment_fingerprint
from shared.domain.money import validate_amount, validate_currency
from shared.domain.payment import Payment, StoredResponse
from shared.domain.requests import PaymentCreate, valid_idempotency_key
from shared.domain.simulator_requests import check_simulate_latency
from shared.services.context import Gateway
from shared.services.lifecycle_messages import process_message
from shared.services.validation import parse_model
from shared.services.views import PaymentOut

log = logging.getLogger("paygate.create_payment")


@dataclass(frozen=True)
class CreateResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool
    payment_id: str


def check_idempotency_key(key: str | None) -> str:
    if key is None or key == "":
        raise IdempotencyKeyMissing(
            "an Idempotency-Key header is required", param="Idempotency-Key"
        )
    if not valid_idempotency_key(key):
        raise IdempotencyKeyMissing(
            "Idempotency-Key must be 1-255 printable ASCII characters without spaces",
            code="idempotency_key_invalid",
            param="Idempotency-Key",
        )
    return key


def parse_payment(raw_body: Any, gw: Gateway) -> PaymentCreate:
    request = parse_model(PaymentCreate, raw_body)
    validate_amount(request.amount, gw.config.max_amount)
    request.currency = validate_currency(request.currency, gw.config.currencies)
    check_simulate_latency(request.simulate, gw.config.function_timeout_s)
    return request


def _replay(existing: Payment, response: StoredResponse, fingerprint: str) -> CreateResult:
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body",
            param="Idempotency-Key",
        )
    return CreateResult(response.status_code, response.body, True, existing.id)


async def create_payment(
    gw: Gateway, merchant_id: str, idempotency_key: str | None, raw_body: Any
) -> CreateResult:
    key = check_idempotency_key(idempotency_key)
    request = parse_payment(raw_body, gw)
    fingerprint = payment_fingerprint(request, gw.config.card_fingerprint_key)
    lock_key = f"idem:{merchant_id}:{key}"
    token = await gw.lock.acquire(lock_key, gw.config.idempotency_lock_ms)
    if token is None:
        raise IdempotencyKeyInUse(
            "another request with this Idempotency-Key is in progress; retry shortly",
            param="Idempotency-Key",
        )
    try:
        # Insert first: the unique (merchant_id, idempotency_key) index answers "seen before?"
        # for free on the common first request; a replay pays one failed insert and a read.
        return await _insert_and_publish(gw, merchant_id, key, fingerprint, request)
    finally:
        with contextlib.suppress(DependencyUnavailable):  # the lock's TTL frees it anyway
            await gw.lock.release(lock_key, token)


async def _insert_and_publish(
    gw: Gateway, merchant_id: str, key: str, fingerprint: str, request: PaymentCreate
) -> CreateResult:
    payment = Payment.create(
        payment_id=ids.new_id(ids.PAYMENT),
        merchant_id=merchant_id,
        idempotency_key=key,
        fingerprint=fingerprint,
        request=request,
        max_attempts=gw.config.max_attempts,
        now=utcnow(),
    )
    body = PaymentOut.from_domain(payment).as_json()
    try:
        await gw.payments.insert(payment, StoredResponse(201, body))
    except DuplicatePayment:
        # A replay, or the lock expired mid-request and another request won.
        found = await gw.payments.find_by_key(merchant_id, key)
        assert found is not None
        return _replay(*found, fingerprint)
    try:
        await gw.queue.publish(process_message(payment))
    except DependencyUnavailable:
        log.warning(
            "publish failed; left for the sweeper",
            extra={"payment_id": payment.id, "merchant_id": merchant_id},
        )
        await gw.payments.mark_published(payment.id, False)
    return CreateResult(201, body, False, payment.id)

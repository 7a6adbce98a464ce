"""Use case: accept a refund once per idempotency key, reserve its amount, queue it.

A key seen before is replayed before the payment is checked (the replay of a full refund
would otherwise find nothing left to refund). A new one is inserted first: the unique
(merchant_id, idempotency_key) index on `refunds` is the durable guard if the lock expired
and another request with the key won. Only then is the amount reserved on the payment, by
one conditional update that cannot overshoot `amount_captured` however many requests race.
A refund that finds no room is deleted again and answered 400, so nothing changed. A crash
between the insert and the reservation leaves a PENDING unreserved refund: process_refund
(driven by the sweeper if the message was never published) reserves it or fails it.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from shared.domain import ids
from shared.domain.clock import utcnow
from shared.domain.errors import (
    DependencyUnavailable,
    DuplicateRefund,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidRequest,
    InvalidState,
    NotFound,
)
from shared.domain.fingerprint import request_fingerprint
from shared.domain.payment import Payment, StoredResponse
from shared.domain.refund import Refund
from shared.domain.requests import RefundCreate
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway
from shared.services.create_payment import CreateResult, check_idempotency_key
from shared.services.lifecycle_messages import refund_message
from shared.services.validation import parse_model
from shared.services.views import RefundOut

log = logging.getLogger("paygate.create_refund")


def too_large(amount: int, left: int) -> InvalidRequest:
    return InvalidRequest(
        f"amount {amount} is more than the {left} left to refund on this payment",
        code="amount_too_large",
        param="amount",
    )


def parse_refund(raw_body: Any) -> RefundCreate:
    request = parse_model(RefundCreate, raw_body)
    if not ids.has_prefix(request.payment, ids.PAYMENT):
        raise InvalidRequest("payment must be a payment id (pay_…)", param="payment")
    if request.amount is not None and request.amount <= 0:
        raise InvalidRequest("amount must be a positive integer (minor units)", param="amount")
    return request


async def refund_amount(gw: Gateway, payment: Payment, requested: int | None) -> int:
    """The amount to refund (default: all that is left), checked early against what is
    reserved now; the reservation itself is the guard that holds under races."""
    if payment.status != PaymentStatus.SUCCESS:
        raise InvalidState(
            f"only SUCCESS payments can be refunded; this one is {payment.status}",
            param="payment",
        )
    left = payment.amount_captured - await gw.refunds.reserved_of(payment.id)
    amount = left if requested is None else requested
    if amount <= 0 or amount > left:
        raise too_large(amount, max(left, 0))
    return amount


async def create_refund(
    gw: Gateway, merchant_id: str, idempotency_key: str | None, raw_body: Any
) -> CreateResult:
    key = check_idempotency_key(idempotency_key)
    request = parse_refund(raw_body)
    fingerprint = request_fingerprint(request.model_dump(mode="json"))
    lock_key = f"idem:{merchant_id}:refund:{key}"
    token = await gw.lock.acquire(lock_key, gw.config.idempotency_lock_ms)
    if token is None:
        raise IdempotencyKeyInUse(
            "another request with this Idempotency-Key is in progress; retry shortly",
            param="Idempotency-Key",
        )
    try:
        replay = await _replay(gw, merchant_id, key, fingerprint)
        if replay is not None:
            return replay
        return await _insert_reserve_publish(gw, merchant_id, key, fingerprint, request)
    finally:
        with contextlib.suppress(DependencyUnavailable):
            await gw.lock.release(lock_key, token)


async def _replay(gw: Gateway, merchant_id: str, key: str, fingerprint: str) -> CreateResult | None:
    """The stored answer of this key's first request (None if there was none)."""
    found = await gw.refunds.find_by_key(merchant_id, key)
    if found is None:
        return None
    existing, response = found
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body",
            param="Idempotency-Key",
        )
    return CreateResult(response.status_code, response.body, True, existing.id)


async def _insert_reserve_publish(
    gw: Gateway, merchant_id: str, key: str, fingerprint: str, request: RefundCreate
) -> CreateResult:
    payment = await gw.payments.get(request.payment, merchant_id)
    if payment is None:
        raise NotFound(f"no payment {request.payment}", param="payment")
    amount = await refund_amount(gw, payment, request.amount)
    now = utcnow()
    refund = Refund(
        id=ids.new_id(ids.REFUND),
        merchant_id=merchant_id,
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        idempotency_key=key,
        fingerprint=fingerprint,
        reason=request.reason,
        metadata=dict(request.metadata),
        created_at=now,
        updated_at=now,
    )
    body = RefundOut.from_domain(refund).as_json()
    try:
        await gw.refunds.insert(refund, StoredResponse(201, body))
    except DuplicateRefund:
        # The lock expired mid-request and another request with this key won.
        replay = await _replay(gw, merchant_id, key, fingerprint)
        assert replay is not None
        return replay
    if not await gw.refunds.reserve(refund):
        await gw.refunds.discard(refund)
        raise too_large(amount, payment.amount_captured - await gw.refunds.reserved_of(payment.id))
    try:
        await gw.queue.publish(refund_message(refund, gw.config.max_attempts))
    except DependencyUnavailable:
        log.warning("publish failed; left for the sweeper", extra={"refund_id": refund.id})
        await gw.refunds.mark_published(refund.id, False)
    return CreateResult(201, body, False, refund.id)

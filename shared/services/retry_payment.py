"""Use case: a merchant retries a FAILED payment — a new generation, attempts counted afresh."""

from __future__ import annotations

from shared.domain.clock import utcnow
from shared.domain.errors import DependencyUnavailable, InvalidState, NotFound
from shared.domain.payment import Payment
from shared.services.context import Gateway
from shared.services.lifecycle_messages import process_message


async def retry_payment(gw: Gateway, merchant_id: str, payment_id: str) -> Payment:
    payment = await gw.payments.get(payment_id, merchant_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}", param="id")
    if not payment.can_retry:
        raise InvalidState(f"only FAILED payments can be retried; this one is {payment.status}")
    moved = await gw.payments.save(payment, payment.manually_retried(now=utcnow()))
    if moved is None:
        raise InvalidState("the payment changed while retrying it; fetch it and try again")
    try:
        await gw.queue.publish(process_message(moved))
    except DependencyUnavailable:
        # Marked on failure only: the next sweep publishes it (no wait for the age rule).
        await gw.payments.mark_published(moved.id, False, version=moved.version)
        raise
    return moved

"""Use case: a merchant retries a FAILED payment — a new generation, attempts counted afresh."""

from __future__ import annotations

from typing import Any

from shared.domain.errors import DependencyUnavailable, InvalidState, NotFound
from shared.domain.payment import public_payment
from shared.domain.states import PaymentStatus, WebhookStatus
from shared.services.context import Gateway
from shared.services.lifecycle_messages import process_message


async def retry_payment(gw: Gateway, merchant_id: str, payment_id: str) -> dict[str, Any]:
    payment = await gw.payments.get(payment_id, merchant_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}", param="id")
    if payment["status"] != PaymentStatus.FAILED.value:
        raise InvalidState(f"only FAILED payments can be retried; this one is {payment['status']}")
    await gw.payments.ensure_event(payment)
    moved = await gw.payments.move(
        payment,
        PaymentStatus.RETRYING,
        actor="retry_payment",
        reason="manual_retry",
        fields={
            "generation": payment.get("generation", 1) + 1,
            "attempts": 0,
            "failure": None,
            "finalized_at": None,
            "latency_ms": None,
            "webhook_status": WebhookStatus.PENDING.value,
            "webhook_epoch": 0,
            "fanout_pending": False,
            "published": True,
        },
    )
    if moved is None:
        raise InvalidState("the payment changed while retrying it; fetch it and try again")
    try:
        await gw.queue.publish(process_message(moved))
    except DependencyUnavailable:
        # Marked on failure only: the next sweep publishes it (no wait for the age rule).
        await gw.payments.set_fields(
            moved["_id"], {"published": False}, guard={"version": moved["version"]}
        )
        raise
    return public_payment(moved)

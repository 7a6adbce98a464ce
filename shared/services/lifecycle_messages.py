"""The QStash messages that drive the lifecycle, built in one place."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from typing import Any

from shared.domain.dispute import Dispute
from shared.domain.payment import Payment
from shared.domain.refund import Refund
from shared.domain.tasks import Message

PROCESS_PATH = "/internal/process_payment"
PROCESS_FAILURE_PATH = "/internal/process_payment/failure"
EXPIRE_PATH = "/internal/expire_authorization"
REFUND_PATH = "/internal/process_refund"
REFUND_FAILURE_PATH = "/internal/process_refund/failure"
OPEN_DISPUTE_PATH = "/internal/open_dispute"
DECIDE_DISPUTE_PATH = "/internal/decide_dispute"
DISPATCH_PATH = "/internal/dispatch_webhook"
DISPATCH_FAILURE_PATH = "/internal/dispatch_webhook/failure"
# Deliveries beyond max_attempts - 1 retries: a delivery that never reached the function
# (host down, a dependency down → 503) uses up a QStash retry but not a payment attempt. The
# payment's own `attempts` still decides its last attempt (which answers 200, ending the
# message), so the slack only absorbs outages instead of letting the failure callback fail a
# payment that has attempts left.
DELIVERY_RETRY_SLACK = 2


def work_flow_key(merchant_id: str) -> str:
    """One flow-control key per merchant for the gateway work (payments and refunds), so a
    burst from one merchant is paced without holding back the others."""
    return f"work-{merchant_id}"


def webhook_flow_key(merchant_id: str) -> str:
    """A separate key for the merchant's webhook dispatches: a slow merchant endpoint then
    holds back its own webhooks only, never the payments."""
    return f"hooks-{merchant_id}"


def process_message(payment: Payment, suffix: str = "") -> Message:
    """Dedup id = payment + generation: a manual retry is a new message, a repeat is not."""
    generation = payment.generation
    return Message(
        path=PROCESS_PATH,
        body={"payment_id": payment.id, "generation": generation},
        deduplication_id=f"process-{payment.id}-g{generation}{suffix}",
        retries=max(payment.max_attempts - 1, 0) + DELIVERY_RETRY_SLACK,
        failure_path=PROCESS_FAILURE_PATH,
        flow_key=work_flow_key(payment.merchant_id),
    )


def watchdog_message(payment: Payment, now: datetime, lease_s: int) -> Message:
    """A process message delivered just after the lease another delivery holds runs out.

    Published when a delivery finds the payment held (PROCESSING under a live lease, or
    claimed a moment ago by a concurrent delivery) and answers 200: if that holder died, no
    other message would come back for the payment before the sweeper (every 15 minutes).
    The deduplication id names the lease, so every delivery that sees the same lease queues
    one watchdog. When it fires it is an ordinary process delivery: nothing to do if the
    payment moved on, a take-over if the lease expired, another watchdog if it is held again.
    """
    if payment.lease_until is not None and payment.lease_until > now:
        wait_s, lease = (payment.lease_until - now).total_seconds(), payment.lease_until
        named = f"l{int(lease.timestamp() * 1000)}"
    else:  # claimed by a concurrent delivery just now: a fresh lease is at most lease_s long
        wait_s, named = float(lease_s), f"v{payment.version}"
    message = process_message(payment, suffix=f"-w{named}")
    return replace(message, delay_s=math.ceil(wait_s) + 1)


def refund_message(refund: Refund, max_attempts: int, suffix: str = "") -> Message:
    """One per refund (the sweeper adds a suffix when it re-publishes a lost one); retried
    like processing, and finalised by the failure callback if QStash gives up."""
    return Message(
        path=REFUND_PATH,
        body={"refund_id": refund.id},
        deduplication_id=f"refund-{refund.id}{suffix}",
        retries=max(max_attempts - 1, 0) + DELIVERY_RETRY_SLACK,
        failure_path=REFUND_FAILURE_PATH,
        flow_key=work_flow_key(refund.merchant_id),
    )


def expiry_message(payment: Payment, now: datetime) -> Message:
    """Delivered when the payment's authorization expires; one per authorization."""
    expires = payment.authorization_expires_at or now
    return Message(
        path=EXPIRE_PATH,
        body={"payment_id": payment.id, "generation": payment.generation},
        deduplication_id=f"expire-{payment.id}-g{payment.generation}",
        retries=3,
        delay_s=max(1, math.ceil((expires - now).total_seconds())),
    )


def open_dispute_message(payment: Payment, delay_s: int) -> Message:
    """Delivered `delay_s` after a dispute-card payment succeeded; one per payment."""
    return Message(
        path=OPEN_DISPUTE_PATH,
        body={"payment_id": payment.id},
        deduplication_id=f"dispute-open-{payment.id}",
        retries=3,
        delay_s=delay_s,
    )


def decide_dispute_message(dispute: Dispute, delay_s: int) -> Message:
    """Delivered `delay_s` after the evidence arrived; one per dispute (evidence is once)."""
    return Message(
        path=DECIDE_DISPUTE_PATH,
        body={"dispute_id": dispute.id},
        deduplication_id=f"dispute-decide-{dispute.id}",
        retries=3,
        delay_s=delay_s,
    )


def dispatch_message(
    delivery: dict[str, Any],
    webhook_max_attempts: int,
    suffix: str = "",
    delay_s: int | None = None,
) -> Message:
    """Dedup id = delivery + round: a redelivery (next round) is a new message, a repeat is
    not; the sweeper adds a suffix when it re-publishes a round whose message is gone.
    `delay_s`: the simulator's `webhooks.delay_ms` for a new delivery."""
    round_ = delivery.get("round", 0)
    return Message(
        path=DISPATCH_PATH,
        # payment_id is carried only so the dispatch's log lines can name the payment.
        body={
            "delivery_id": delivery["_id"],
            "round": round_,
            "payment_id": delivery["payment_id"],
        },
        deduplication_id=f"dispatch-{delivery['_id']}-r{round_}{suffix}",
        retries=max(webhook_max_attempts - 1, 0),
        failure_path=DISPATCH_FAILURE_PATH,
        delay_s=delay_s,
        flow_key=webhook_flow_key(delivery["merchant_id"]),
    )

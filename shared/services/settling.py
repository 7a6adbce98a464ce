"""Committing a settling move of a payment (the gateway answered, a capture, a cancel, an
expiry) and what follows it: the event's webhooks, an authorization's expiry timer, and the
opening of a dispute-card payment's dispute.

The move is one guarded save; its webhook status starts PENDING when an endpoint subscribes to
its event (SKIPPED otherwise) and `fanout_pending` stays set until the event is stored and its
deliveries are queued (with no endpoint too: every event is stored),
so a step that dies after the save leaves the sweeper (or the message's redelivery) a cue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from shared.domain.clock import utcnow
from shared.domain.errors import DependencyUnavailable
from shared.domain.payment import SETTLED_EVENT_TYPES, Payment
from shared.domain.states import PaymentStatus, WebhookStatus
from shared.services.context import Gateway
from shared.services.disputes import schedule_dispute
from shared.services.lifecycle_messages import expiry_message
from shared.services.webhook_fanout import complete_fan_out, fan_out, subscribed_endpoints

log = logging.getLogger("paygate.settling")


async def commit_settling_move(
    gw: Gateway,
    before: Payment,
    to: PaymentStatus,
    after_for: Callable[[WebhookStatus], Payment],
    *,
    tolerate_outage: bool = False,
) -> Payment | None:
    """Save `after_for(webhook_status)` over `before`, then queue its event's webhooks.

    None when another writer moved the payment first (nothing changed). With
    `tolerate_outage`, a queue or store outage after the save is logged and left to the
    sweeper: the move happened, and a merchant's request must say so.

    A previous settling event whose fan-out a crash cut short (`payment.requires_capture`,
    when the capture or cancel comes before the sweeper) is sent first: this move starts the
    next event's fan-out, after which nothing would send the earlier one.
    """
    if before.is_settled and before.fanout_pending:
        await complete_fan_out(gw, before)
        fresh = await gw.payments.get(before.id)
        if fresh is None or fresh.version != before.version:
            return None
        before = fresh
    endpoints = await subscribed_endpoints(gw, before.merchant_id, SETTLED_EVENT_TYPES[to])
    after = after_for(WebhookStatus.PENDING if endpoints else WebhookStatus.SKIPPED)
    moved = await gw.payments.save(before, after)
    if moved is None:
        return None
    try:
        await after_settling(gw, moved, endpoints)
    except DependencyUnavailable:
        if not tolerate_outage:
            raise
        log.warning("webhooks left for the sweeper", extra={"payment_id": moved.id})
    return moved


async def after_settling(
    gw: Gateway, payment: Payment, endpoints: list[dict[str, Any]] | None = None
) -> None:
    """Idempotent: the expiry timer of an authorization (or the opening of a dispute-card
    payment's dispute), then the event's deliveries."""
    if payment.status == PaymentStatus.REQUIRES_CAPTURE:
        await schedule_expiry(gw, payment)
    await schedule_dispute(gw, payment)
    if endpoints is None:
        endpoints = await subscribed_endpoints(gw, payment.merchant_id, payment.final_event_type)
    # With no endpoint the event is still stored (fan_out with none subscribed stores it).
    await fan_out(gw, payment, payment.final_event_type, endpoints)
    await gw.payments.finish_fan_out(payment, skipped=not endpoints)


async def schedule_expiry(gw: Gateway, payment: Payment) -> None:
    """The delayed, deduplicated message that cancels the authorization when it expires; a
    failed publish is left to the sweeper, which cancels expired authorizations itself."""
    try:
        await gw.queue.publish(expiry_message(payment, utcnow()))
    except DependencyUnavailable:
        log.warning("expiry timer left for the sweeper", extra={"payment_id": payment.id})

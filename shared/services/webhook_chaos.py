"""Use case: what the merchant's simulator does to a webhook delivery (`webhooks.*` dials).

Each decision is drawn once per delivery from (seed, chaos key, purpose); the chaos key is the
payment's (or refund's) idempotency key with the event type, generation and occurrence, set
when the delivery is created (`webhook_fanout`), so a seeded run decides the same on any stack.
Only a delivery's first round is subject to chaos: a merchant's redelivery is sent plainly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shared.domain.simulator_settings import NO_WEBHOOK_CHAOS, chance, draw_ms
from shared.services.context import Gateway
from shared.services.simulator_settings import settings_in_force

DROPPED = "dropped_by_simulator"
DROP, BAD_SIGNATURE, DUPLICATE, DELAY = (
    "webhook_drop",
    "webhook_bad_signature",
    "webhook_duplicate",
    "webhook_delay",
)


@dataclass(frozen=True)
class DeliveryChaos:
    """For one attempt: not sent at all, sent with a wrong signature, sent a second time once
    it succeeded."""

    drop: bool = False
    bad_signature: bool = False
    duplicate: bool = False


NO_CHAOS = DeliveryChaos()


def chaos_key(delivery: dict[str, Any]) -> str:
    """The delivery's draw key (its event id for deliveries made before the key existed)."""
    return str(delivery.get("chaos_key") or delivery["event_id"])


async def delivery_chaos(gw: Gateway, delivery: dict[str, Any]) -> DeliveryChaos:
    """The chaos for the delivery's next attempt: a drop hits its first attempt, a bad
    signature the first attempt actually sent (the second when the first was dropped), a
    duplicate the attempt that delivers it; every other attempt goes as usual."""
    if delivery.get("round", 0) != 0:
        return NO_CHAOS
    settings = await settings_in_force(gw, delivery["merchant_id"])
    hooks = settings.webhooks
    if hooks == NO_WEBHOOK_CHAOS:
        return NO_CHAOS
    key, seed = chaos_key(delivery), settings.seed
    sent_before = delivery.get("attempt_count", 0)
    dropped = chance(hooks.drop_rate, seed, key, 0, DROP)
    first_sent = sent_before == (1 if dropped else 0)
    return DeliveryChaos(
        drop=dropped and sent_before == 0,
        bad_signature=first_sent and chance(hooks.bad_signature_rate, seed, key, 0, BAD_SIGNATURE),
        duplicate=chance(hooks.duplicate_rate, seed, key, 0, DUPLICATE),
    )


async def delivery_delays_s(
    gw: Gateway, merchant_id: str, deliveries: list[dict[str, Any]]
) -> list[int | None]:
    """Each new delivery's extra delay (`webhooks.delay_ms`, rounded up to the whole seconds a
    QStash delay is given in), or None; drawn per delivery so events can arrive out of order."""
    settings = await settings_in_force(gw, merchant_id)
    span = settings.webhooks.delay_ms
    if span.max <= 0:
        return [None] * len(deliveries)
    delays = [draw_ms(span, settings.seed, chaos_key(d), 0, DELAY) for d in deliveries]
    return [math.ceil(ms / 1000) or None for ms in delays]

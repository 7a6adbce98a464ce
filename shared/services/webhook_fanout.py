"""Creating a payment event's webhook deliveries (one per subscribed endpoint) and queueing them.

Delivery ids and event ids are derived from (payment, generation, event, endpoint), so running
this twice — a redelivered QStash message after a crash — creates nothing new and sends the
same body with the same `webhook-id`. A publish that fails marks the deliveries
`published: False`, so the next sweep publishes them.

A payment's `webhook_status` only moves forward: PENDING → SUCCESS | FAILED, never back, except
on a new generation (manual retry) or a redelivery of a final event, which reopen it and bump
`webhook_epoch`. A summary computed from a read that a redelivery overtook is written under the
epoch it read, so it cannot land.
"""

from __future__ import annotations

import json
from typing import Any

from shared.domain import ids
from shared.domain.clock import iso, utcnow
from shared.domain.errors import DependencyUnavailable
from shared.domain.payment import public_payment
from shared.domain.states import DeliveryStatus, WebhookStatus
from shared.domain.webhooks import FAILED, RETRYING, SUCCEEDED, build_event
from shared.services.context import Gateway
from shared.services.lifecycle_messages import dispatch_message


async def merchant_endpoints(gw: Gateway, merchant_id: str) -> list[dict[str, Any]]:
    """A merchant's live endpoints, cached briefly (dropped on change in this process)."""
    endpoints = gw.endpoint_cache.get(merchant_id)
    if endpoints is None:
        endpoints = await gw.webhooks.endpoints_of(merchant_id)
        gw.endpoint_cache.put(merchant_id, endpoints)
    return list(endpoints)


async def subscribed_endpoints(
    gw: Gateway, merchant_id: str, event_type: str
) -> list[dict[str, Any]]:
    endpoints = await merchant_endpoints(gw, merchant_id)
    return [e for e in endpoints if event_type in e.get("enabled_events", ())]


def _delivery(payment: dict[str, Any], endpoint: dict[str, Any], event_type: str) -> dict[str, Any]:
    now = utcnow()
    generation = payment.get("generation", 1)
    occurrence = payment["attempts"] if event_type == RETRYING else 0
    parts = (payment["_id"], generation, event_type, occurrence, endpoint["_id"])
    delivery_id = ids.derived_id(ids.WEBHOOK_DELIVERY, *parts)
    message_id = ids.derived_id(ids.WEBHOOK_MESSAGE, *parts)
    event = build_event(message_id, event_type, iso(now) or "", public_payment(payment))
    return {
        "_id": delivery_id,
        "merchant_id": payment["merchant_id"],
        "payment_id": payment["_id"],
        "generation": generation,
        "endpoint_id": endpoint["_id"],
        "endpoint_url": endpoint["url"],
        "event_id": message_id,
        "event_type": event_type,
        "final_event": event_type != RETRYING,
        "body": json.dumps(event, separators=(",", ":")),
        "status": DeliveryStatus.PENDING.value,
        "attempt_count": 0,
        "round": 0,
        "created_at": now,
        "updated_at": now,
    }


async def fan_out(
    gw: Gateway,
    payment: dict[str, Any],
    event_type: str,
    endpoints: list[dict[str, Any]] | None = None,
) -> int:
    """Ensure the event's deliveries exist and are queued; returns how many endpoints."""
    if endpoints is None:
        endpoints = await subscribed_endpoints(gw, payment["merchant_id"], event_type)
    if not endpoints:
        return 0
    deliveries = [_delivery(payment, endpoint, event_type) for endpoint in endpoints]
    await gw.webhooks.insert_deliveries(deliveries)
    messages = [dispatch_message(d, gw.config.webhook_max_attempts) for d in deliveries]
    try:
        await gw.queue.publish_many(messages)
    except DependencyUnavailable:
        # Mark on failure only (the happy path pays nothing): the next sweep publishes them.
        await gw.webhooks.mark_unpublished([d["_id"] for d in deliveries])
        raise
    return len(endpoints)


def final_event_type(payment: dict[str, Any]) -> str:
    return SUCCEEDED if payment["status"] == "SUCCESS" else FAILED


async def complete_fan_out(gw: Gateway, payment: dict[str, Any]) -> None:
    """A final payment's fan-out, (re)run, then its `fanout_pending` flag cleared."""
    sent = await fan_out(gw, payment, final_event_type(payment))
    generation = payment.get("generation", 1)
    fields: dict[str, Any] = {"fanout_pending": False}
    if sent == 0 and not await gw.webhooks.final_delivery_statuses(payment["_id"], generation):
        fields["webhook_status"] = WebhookStatus.SKIPPED.value  # its endpoints went away
    await gw.payments.set_fields(payment["_id"], fields, guard={"generation": generation})


def summarise(statuses: list[str]) -> str | None:
    """A payment's webhook_status from its final event's delivery statuses."""
    if not statuses:
        return None
    if DeliveryStatus.FAILED.value in statuses:
        return WebhookStatus.FAILED.value
    if all(status == DeliveryStatus.SUCCESS.value for status in statuses):
        return WebhookStatus.SUCCESS.value
    return WebhookStatus.PENDING.value


async def refresh_webhook_status(gw: Gateway, payment_id: str, generation: int) -> None:
    """Move webhook_status PENDING → SUCCESS | FAILED once the final deliveries say so.

    Never writes PENDING, so a writer that read early and writes late cannot undo a later
    SUCCESS; idempotent, so a re-run after a crash is harmless.
    """
    state = await gw.payments.webhook_state(payment_id)
    if state is None or state.get("generation", 1) != generation:
        return
    if state.get("webhook_status") != WebhookStatus.PENDING.value:
        return
    status = summarise(await gw.webhooks.final_delivery_statuses(payment_id, generation))
    if status is None or status == WebhookStatus.PENDING.value:
        return
    guard: dict[str, Any] = {"generation": generation, "webhook_status": state["webhook_status"]}
    if "webhook_epoch" in state:
        guard["webhook_epoch"] = state["webhook_epoch"]
    await gw.payments.set_fields(payment_id, {"webhook_status": status}, guard=guard)


async def reopen_webhook_status(gw: Gateway, payment_id: str, generation: int) -> None:
    """A final event is being sent again: webhook_status is PENDING until it settles."""
    await gw.payments.update_fields(
        payment_id,
        {"webhook_status": WebhookStatus.PENDING.value},
        inc={"webhook_epoch": 1},
        guard={"generation": generation},
    )

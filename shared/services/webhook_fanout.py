"""Storing an event, then creating its webhook deliveries (one per subscribed endpoint) and
queueing them.

The event id is derived from (object, generation, type, occurrence) and each delivery id from
that and the endpoint, so running this twice — a redelivered QStash message after a crash —
creates nothing new: the stored event (its bytes, its `created_at`) is reused and every endpoint
gets the same body under the same `webhook-id`. The event is stored first, even with no
endpoint subscribed (`GET /v1/events` and `paygate listen` see every event). A publish that
fails marks the deliveries `published: False`, so the next sweep publishes them.

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
from shared.domain.payment import Payment
from shared.domain.states import DeliveryStatus, WebhookStatus
from shared.domain.webhooks import RETRYING, EventSource, build_event
from shared.services.context import Gateway
from shared.services.lifecycle_messages import dispatch_message
from shared.services.views import PaymentOut
from shared.services.webhook_chaos import delivery_delays_s


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
    return [
        e
        for e in endpoints
        if event_type in e.get("enabled_events", ()) and e.get("status", "enabled") == "enabled"
    ]


def payment_source(payment: Payment, event_type: str) -> EventSource:
    """A payment's own event; its settling events (not payment.retrying) make webhook_status."""
    return EventSource(
        merchant_id=payment.merchant_id,
        payment_id=payment.id,
        object_id=payment.id,
        data=PaymentOut.from_domain(payment).as_json(),
        generation=payment.generation,
        # One payment.retrying per attempt; a settling event once per settled state.
        occurrence=payment.attempts if event_type == RETRYING else 0,
        summarised=event_type != RETRYING,
        epoch=payment.webhook_epoch,
        chaos_key=payment.idempotency_key,
    )


def _occurrence(source: EventSource, event_type: str) -> tuple[object, ...]:
    return (source.object_id, source.generation, event_type, source.occurrence)


def sort_key(created_at: str, event_id: str = "") -> str:
    """Newest-first order of events: fixed-width ISO time, then the id to break ties. The
    leading `t` is for nx-27017, whose range operators never match a string that reads as an
    ISO date (`{"$lt": "2026-…"}` finds nothing)."""
    return f"t{created_at}|{event_id}" if event_id else f"t{created_at}"


async def store_event(gw: Gateway, source: EventSource, event_type: str) -> dict[str, Any]:
    """The occurrence's event, stored once (a re-run gets the stored one back)."""
    now = utcnow()
    created_at = iso(now) or ""
    event_id = ids.derived_id(ids.EVENT, *_occurrence(source, event_type))
    body = build_event(event_id, event_type, created_at, source.data)
    return await gw.webhooks.insert_event(
        {
            "_id": event_id,
            "merchant_id": source.merchant_id,
            "type": event_type,
            "payment_id": source.payment_id,
            "object_id": source.object_id,
            "created_at": now,
            "sort_key": sort_key(created_at, event_id),
            "body": json.dumps(body, separators=(",", ":")),
        }
    )


def _delivery(
    source: EventSource, endpoint: dict[str, Any], event: dict[str, Any], fanout_size: int
) -> dict[str, Any]:
    now = utcnow()
    event_type = event["type"]
    delivery_id = ids.derived_id(
        ids.WEBHOOK_DELIVERY, *_occurrence(source, event_type), endpoint["_id"]
    )
    return {
        "_id": delivery_id,
        "merchant_id": source.merchant_id,
        "payment_id": source.payment_id,
        "object_id": source.object_id,
        "generation": source.generation,
        "endpoint_id": endpoint["_id"],
        "endpoint_url": endpoint["url"],
        "event_id": event["_id"],
        "event_type": event_type,
        "chaos_key": source.delivery_chaos_key(event_type),
        "final_event": source.summarised,
        # How many endpoints this event went to, and under which webhook epoch of the payment:
        # a lone delivery's own outcome is the payment's webhook_status (one guarded write).
        "fanout_size": fanout_size,
        "webhook_epoch": source.epoch,
        "body": event["body"],
        "status": DeliveryStatus.PENDING.value,
        "attempt_count": 0,
        "round": 0,
        "created_at": now,
        "updated_at": now,
    }


async def fan_out(
    gw: Gateway,
    payment: Payment,
    event_type: str,
    endpoints: list[dict[str, Any]] | None = None,
) -> int:
    """Ensure a payment event's deliveries exist and are queued; returns how many endpoints."""
    return await fan_out_event(gw, payment_source(payment, event_type), event_type, endpoints)


async def fan_out_event(
    gw: Gateway,
    source: EventSource,
    event_type: str,
    endpoints: list[dict[str, Any]] | None = None,
) -> int:
    """Ensure the event is stored and its deliveries exist and are queued; returns how many
    endpoints."""
    event = await store_event(gw, source, event_type)
    if endpoints is None:
        endpoints = await subscribed_endpoints(gw, source.merchant_id, event_type)
    if not endpoints:
        return 0
    deliveries = [_delivery(source, endpoint, event, len(endpoints)) for endpoint in endpoints]
    # Before the insert: a settings read that fails leaves nothing half done.
    delays = await delivery_delays_s(gw, source.merchant_id, deliveries)
    await gw.webhooks.insert_deliveries(deliveries)
    messages = [
        dispatch_message(d, gw.config.webhook_max_attempts, delay_s=delay)
        for d, delay in zip(deliveries, delays, strict=True)
    ]
    try:
        await gw.queue.publish_many(messages)
    except DependencyUnavailable:
        # Mark on failure only (the happy path pays nothing): the next sweep publishes them.
        await gw.webhooks.mark_unpublished([d["_id"] for d in deliveries])
        raise
    return len(endpoints)


async def complete_fan_out(gw: Gateway, payment: Payment) -> None:
    """A settled payment's fan-out, (re)run, then its `fanout_pending` flag cleared. One that
    settled SKIPPED (no endpoint then) only owes its stored event: an endpoint added since does
    not get it, as it would not have without the crash."""
    skipped_before = payment.webhook_status == WebhookStatus.SKIPPED
    endpoints: list[dict[str, Any]] | None = [] if skipped_before else None
    sent = await fan_out(gw, payment, payment.final_event_type, endpoints)
    skipped = sent == 0 and not await gw.webhooks.final_delivery_statuses(
        payment.id, payment.generation
    )  # its endpoints went away meanwhile
    await gw.payments.finish_fan_out(payment, skipped=skipped)


def summarise(statuses: list[str]) -> WebhookStatus | None:
    """A payment's webhook_status from its final event's delivery statuses."""
    if not statuses:
        return None
    if DeliveryStatus.FAILED.value in statuses:
        return WebhookStatus.FAILED
    if all(status == DeliveryStatus.SUCCESS.value for status in statuses):
        return WebhookStatus.SUCCESS
    return WebhookStatus.PENDING


async def settle_webhook_status(gw: Gateway, delivery: dict[str, Any], status: str) -> None:
    """A final event's delivery settled as `status`: bring the payment's webhook_status along.

    When the event went to this endpoint alone and in its first round, the delivery's outcome
    is the summary: one write, guarded by the webhook epoch the delivery was created under (a
    later settling move or a redelivery bumps it, so this write then misses). Otherwise, or if
    it misses, the summary is read from every delivery (`refresh_webhook_status`).
    """
    payment_id, generation = delivery["payment_id"], delivery["generation"]
    lone = delivery.get("fanout_size") == 1 and delivery.get("round", 0) == 0
    summary = summarise([status])
    if lone and summary is not None and summary != WebhookStatus.PENDING:
        epoch = delivery.get("webhook_epoch")
        if epoch is not None and await gw.payments.settle_lone_webhook_status(
            payment_id, generation, epoch, summary
        ):
            return
    await refresh_webhook_status(gw, payment_id, generation)


async def refresh_webhook_status(gw: Gateway, payment_id: str, generation: int) -> None:
    """Move webhook_status PENDING → SUCCESS | FAILED once the final deliveries say so.

    Never writes PENDING, so a writer that read early and writes late cannot undo a later
    SUCCESS; idempotent, so a re-run after a crash is harmless.
    """
    payment = await gw.payments.get(payment_id)
    if payment is None or payment.generation != generation:
        return
    if payment.webhook_status != WebhookStatus.PENDING:
        return
    status = summarise(await gw.webhooks.final_delivery_statuses(payment_id, generation))
    if status is None or status == WebhookStatus.PENDING:
        return
    await gw.payments.settle_webhook_status(payment, status)

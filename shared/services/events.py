"""Read-side use cases of events: one event, the event list, and an event's deliveries."""

from __future__ import annotations

from shared.domain.clock import iso, parse_iso
from shared.domain.errors import InvalidRequest, NotFound
from shared.domain.ids import EVENT, PAYMENT, has_prefix
from shared.domain.webhooks import EVENT_TYPES
from shared.services.context import Gateway
from shared.services.views import EventListOut, EventOut, WebhookDeliveryListOut, WebhookDeliveryOut
from shared.services.webhook_fanout import sort_key

MAX_PAGE = 100


async def get_event(gw: Gateway, merchant_id: str, event_id: str) -> EventOut:
    record = await gw.webhooks.event(event_id, merchant_id)
    if record is None:
        raise NotFound(f"no event {event_id}", param="id")
    return EventOut.from_record(record)


async def list_events(
    gw: Gateway,
    merchant_id: str,
    *,
    limit: int = 10,
    event_type: str | None = None,
    payment: str | None = None,
    starting_after: str | None = None,
    created_gte: str | None = None,
) -> EventListOut:
    """Newest first. `created_gte` (`created[gte]`) keeps events created at or after a time:
    what `paygate listen` polls with, looking back a little for late-committed events."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}", param="limit")
    if event_type is not None and event_type not in EVENT_TYPES:
        raise InvalidRequest(f"type must be one of {', '.join(EVENT_TYPES)}", param="type")
    if payment is not None and not has_prefix(payment, PAYMENT):
        raise InvalidRequest("payment must be a payment id (pay_…)", param="payment")
    from_key = None
    if created_gte is not None:
        moment = parse_iso(created_gte)
        if moment is None:
            raise InvalidRequest(
                "created[gte] must be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z",
                param="created[gte]",
            )
        from_key = sort_key(iso(moment) or "")
    before_key = None
    if starting_after is not None:
        cursor = None
        if has_prefix(starting_after, EVENT):
            cursor = await gw.webhooks.event(starting_after, merchant_id)
        if cursor is None:
            raise InvalidRequest(
                "starting_after must be the id of one of your events (evt_…)",
                param="starting_after",
            )
        before_key = cursor["sort_key"]
    page, has_more = await gw.webhooks.events_page(
        merchant_id,
        limit=limit,
        event_type=event_type,
        payment_id=payment,
        before_key=before_key,
        from_key=from_key,
    )
    return EventListOut(
        object="list",
        url="/v1/events",
        data=[EventOut.from_record(e) for e in page],
        has_more=has_more,
    )


async def event_deliveries(gw: Gateway, merchant_id: str, event_id: str) -> WebhookDeliveryListOut:
    """Every endpoint's delivery of the event, with their attempts."""
    if await gw.webhooks.event(event_id, merchant_id) is None:
        raise NotFound(f"no event {event_id}", param="id")
    deliveries = await gw.webhooks.deliveries_of_event(event_id, merchant_id)
    attempts = await gw.webhooks.attempts_of([d["_id"] for d in deliveries])
    return WebhookDeliveryListOut(
        object="list",
        url=f"/v1/events/{event_id}/deliveries",
        data=[WebhookDeliveryOut.from_record(d, attempts) for d in deliveries],
        has_more=False,
    )

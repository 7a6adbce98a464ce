"""Events: the objects every webhook carried, newest first, and each event's deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.services.events import event_deliveries, get_event, list_events
from shared.web.deps import GatewayDep, Merchant
from shared.web.openapi import errors
from shared.web.schemas import EventListOut, EventOut, WebhookDeliveryListOut

router = APIRouter(tags=["events"])


@router.get(
    "/v1/events",
    summary="List events, newest first",
    description="Every event, whether or not an endpoint subscribed to it, exactly as its "
    "webhooks carried it. `created[gte]` keeps events created at or after a time "
    "(millisecond precision): a follower such as `paygate listen` polls with it, looking back "
    "a little, because events committed by different instances can arrive out of order.",
    response_model=EventListOut,
    responses=errors(),
)
async def get_events(
    gw: GatewayDep,
    merchant: Merchant,
    type: Annotated[str | None, Query(max_length=64, description="an event type")] = None,
    payment: Annotated[str | None, Query(max_length=64, description="pay_ id")] = None,
    limit: Annotated[int, Query(description="1-100")] = 10,
    starting_after: Annotated[str | None, Query(max_length=64, description="evt_ id")] = None,
    created_gte: Annotated[
        str | None, Query(alias="created[gte]", max_length=40, description="ISO-8601 time")
    ] = None,
) -> Any:
    return await list_events(
        gw,
        merchant["_id"],
        limit=limit,
        event_type=type,
        payment=payment,
        starting_after=starting_after,
        created_gte=created_gte,
    )


@router.get(
    "/v1/events/{event_id}",
    summary="One event, exactly as its webhooks carried it",
    response_model=EventOut,
    responses=errors(404),
)
async def get_one_event(event_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return await get_event(gw, merchant["_id"], event_id)


@router.get(
    "/v1/events/{event_id}/deliveries",
    summary="The event's deliveries (one per endpoint) with their attempts",
    response_model=WebhookDeliveryListOut,
    responses=errors(404),
)
async def get_event_deliveries(event_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return await event_deliveries(gw, merchant["_id"], event_id)

"""Use cases: a merchant's webhook endpoints — create (secret shown once), list, delete, rotate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.domain import ids
from shared.domain.clock import iso, utcnow
from shared.domain.errors import NotFound
from shared.domain.requests import WebhookEndpointCreate
from shared.domain.webhooks import generate_secret
from shared.services.context import Gateway
from shared.services.destinations import check_destination
from shared.services.validation import parse_model


def public_endpoint(record: dict[str, Any], *, with_secret: bool = False) -> dict[str, Any]:
    view = {
        "id": record["_id"],
        "object": "webhook_endpoint",
        "url": record["url"],
        "enabled_events": record.get("enabled_events", []),
        "description": record.get("description"),
        "status": record.get("status", "enabled"),
        "created_at": iso(record.get("created_at")),
    }
    if with_secret:
        view["secret"] = record["secret"]
    return view


async def create_endpoint(gw: Gateway, merchant_id: str, raw_body: Any) -> dict[str, Any]:
    request = parse_model(WebhookEndpointCreate, raw_body)
    dev = gw.config.webhook_allow_loopback
    await check_destination(request.url, gw.resolver, allow_loopback=dev, allow_unresolved=dev)
    record = {
        "_id": ids.new_id(ids.WEBHOOK_ENDPOINT),
        "merchant_id": merchant_id,
        "url": request.url,
        "enabled_events": list(dict.fromkeys(request.enabled_events)),
        "description": request.description,
        "secret": generate_secret(),
        "status": "enabled",
        "created_at": utcnow(),
    }
    await gw.webhooks.insert_endpoint(record)
    gw.endpoint_cache.drop(merchant_id)
    return public_endpoint(record, with_secret=True)


async def list_endpoints(gw: Gateway, merchant_id: str) -> dict[str, Any]:
    endpoints = await gw.webhooks.endpoints_of(merchant_id)
    return {
        "object": "list",
        "url": "/v1/webhook_endpoints",
        "data": [public_endpoint(e) for e in endpoints],
        "has_more": False,
    }


async def delete_endpoint(gw: Gateway, merchant_id: str, endpoint_id: str) -> dict[str, Any]:
    updated = await gw.webhooks.update_endpoint(
        endpoint_id, merchant_id, {"deleted": True, "status": "deleted"}
    )
    if updated is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", param="id")
    gw.endpoint_cache.drop(merchant_id)
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


async def rotate_secret(gw: Gateway, merchant_id: str, endpoint_id: str) -> dict[str, Any]:
    """New secret now; the old one keeps signing (beside it) until the overlap ends."""
    current = await gw.webhooks.endpoint(endpoint_id, merchant_id)
    if current is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", param="id")
    expires = utcnow() + timedelta(seconds=gw.config.webhook_secret_overlap_s)
    updated = await gw.webhooks.update_endpoint(
        endpoint_id,
        merchant_id,
        {
            "secret": generate_secret(),
            "previous_secret": current["secret"],
            "previous_secret_expires_at": expires,
        },
    )
    if updated is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", param="id")
    gw.endpoint_cache.drop(merchant_id)
    view = public_endpoint(updated, with_secret=True)
    view["previous_secret_expires_at"] = iso(expires)
    return view

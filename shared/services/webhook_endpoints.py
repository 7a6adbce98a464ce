"""Use cases: a merchant's webhook endpoints — create (secret shown once), list, update, delete,
rotate the secret, enable again after an automatic disable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.domain import ids
from shared.domain.clock import iso, utcnow
from shared.domain.errors import InvalidRequest, NotFound
from shared.domain.requests import WebhookEndpointCreate, WebhookEndpointUpdate
from shared.domain.webhooks import generate_secret
from shared.services.context import Gateway
from shared.services.destinations import check_destination
from shared.services.validation import parse_model
from shared.services.views import DeletedOut, WebhookEndpointListOut, WebhookEndpointOut


async def create_endpoint(gw: Gateway, merchant_id: str, raw_body: Any) -> WebhookEndpointOut:
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
    return WebhookEndpointOut.from_record(record, with_secret=True)


async def list_endpoints(gw: Gateway, merchant_id: str) -> WebhookEndpointListOut:
    endpoints = await gw.webhooks.endpoints_of(merchant_id)
    return WebhookEndpointListOut(
        object="list",
        url="/v1/webhook_endpoints",
        data=[WebhookEndpointOut.from_record(e) for e in endpoints],
        has_more=False,
    )


async def update_endpoint(
    gw: Gateway, merchant_id: str, endpoint_id: str, raw_body: Any
) -> WebhookEndpointOut:
    """Replace `enabled_events` and/or `description` (null clears it)."""
    request = parse_model(WebhookEndpointUpdate, raw_body)
    fields: dict[str, Any] = {}
    if "enabled_events" in request.model_fields_set:
        if request.enabled_events is None:
            raise InvalidRequest(
                "enabled_events: give at least one event type", param="enabled_events"
            )
        fields["enabled_events"] = list(dict.fromkeys(request.enabled_events))
    if "description" in request.model_fields_set:
        fields["description"] = request.description
    if not fields:
        raise InvalidRequest(
            "nothing to update: give enabled_events and/or description",
            code="parameter_missing",
        )
    updated = await gw.webhooks.update_endpoint(endpoint_id, merchant_id, fields)
    if updated is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", param="id")
    gw.endpoint_cache.drop(merchant_id)
    return WebhookEndpointOut.from_record(updated)


async def enable_endpoint(gw: Gateway, merchant_id: str, endpoint_id: str) -> WebhookEndpointOut:
    """Turn a disabled endpoint back on with a fresh failure count (a no-op if enabled)."""
    updated = await gw.webhooks.update_endpoint(
        endpoint_id,
        merchant_id,
        {
            "status": "enabled",
            "consecutive_failures": 0,
            "disabled_reason": None,
            "disabled_at": None,
        },
    )
    if updated is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", param="id")
    gw.endpoint_cache.drop(merchant_id)
    return WebhookEndpointOut.from_record(updated)


async def delete_endpoint(gw: Gateway, merchant_id: str, endpoint_id: str) -> DeletedOut:
    updated = await gw.webhooks.update_endpoint(
        endpoint_id, merchant_id, {"deleted": True, "status": "deleted"}
    )
    if updated is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", param="id")
    gw.endpoint_cache.drop(merchant_id)
    return DeletedOut(id=endpoint_id, object="webhook_endpoint", deleted=True)


async def rotate_secret(gw: Gateway, merchant_id: str, endpoint_id: str) -> WebhookEndpointOut:
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
    view = WebhookEndpointOut.from_record(updated, with_secret=True)
    return view.model_copy(update={"previous_secret_expires_at": iso(expires)})

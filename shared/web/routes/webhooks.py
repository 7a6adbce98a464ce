"""Webhook endpoints (create, list, update, delete, rotate the secret, enable, recover) and
redelivery."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from shared.domain.requests import WebhookEndpointCreate, WebhookEndpointUpdate, WebhookRecover
from shared.services.recover_webhooks import recover_endpoint
from shared.services.redeliver_webhook import redeliver_webhook
from shared.services.webhook_endpoints import (
    create_endpoint,
    delete_endpoint,
    enable_endpoint,
    list_endpoints,
    rotate_secret,
    update_endpoint,
)
from shared.web.deps import GatewayDep, JsonBody, Merchant
from shared.web.openapi import errors, json_request_body
from shared.web.schemas import (
    DeletedOut,
    RecoveryOut,
    WebhookDeliveryOut,
    WebhookEndpointListOut,
    WebhookEndpointOut,
)

router = APIRouter()


@router.post(
    "/v1/webhook_endpoints",
    tags=["webhooks"],
    status_code=201,
    summary="Add a webhook endpoint (its secret is shown once)",
    response_model=WebhookEndpointOut,
    response_model_exclude_unset=True,
    responses=errors(415),
    openapi_extra=json_request_body(WebhookEndpointCreate),
)
async def post_endpoint(gw: GatewayDep, merchant: Merchant, body: JsonBody) -> Any:
    return await create_endpoint(gw, merchant["_id"], body)


@router.get(
    "/v1/webhook_endpoints",
    tags=["webhooks"],
    summary="List webhook endpoints",
    response_model=WebhookEndpointListOut,
    response_model_exclude_unset=True,
    responses=errors(),
)
async def get_endpoints(gw: GatewayDep, merchant: Merchant) -> Any:
    return await list_endpoints(gw, merchant["_id"])


@router.post(
    "/v1/webhook_endpoints/{endpoint_id}",
    tags=["webhooks"],
    summary="Update an endpoint's enabled_events and/or description",
    response_model=WebhookEndpointOut,
    response_model_exclude_unset=True,
    responses=errors(404, 415),
    openapi_extra=json_request_body(WebhookEndpointUpdate),
)
async def post_update_endpoint(
    endpoint_id: str, gw: GatewayDep, merchant: Merchant, body: JsonBody
) -> Any:
    return await update_endpoint(gw, merchant["_id"], endpoint_id, body)


@router.post(
    "/v1/webhook_endpoints/{endpoint_id}/enable",
    tags=["webhooks"],
    summary="Turn a disabled endpoint back on (its failure count starts afresh)",
    response_model=WebhookEndpointOut,
    response_model_exclude_unset=True,
    responses=errors(404),
)
async def post_enable(endpoint_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return await enable_endpoint(gw, merchant["_id"], endpoint_id)


@router.post(
    "/v1/webhook_endpoints/{endpoint_id}/recover",
    tags=["webhooks"],
    status_code=202,
    summary="Send again every FAILED delivery of the endpoint created since a time",
    description="Each FAILED delivery created at or after `since` is queued again once (same "
    "event id, same body), however many recoveries race; `count` is how many this call "
    "queued. A disabled endpoint is 409 `invalid_state`: enable it first.",
    response_model=RecoveryOut,
    responses=errors(404, 409, 415),
    openapi_extra=json_request_body(WebhookRecover),
)
async def post_recover(endpoint_id: str, gw: GatewayDep, merchant: Merchant, body: JsonBody) -> Any:
    return await recover_endpoint(gw, merchant["_id"], endpoint_id, body)


@router.delete(
    "/v1/webhook_endpoints/{endpoint_id}",
    tags=["webhooks"],
    summary="Remove a webhook endpoint",
    response_model=DeletedOut,
    responses=errors(404),
)
async def remove_endpoint(endpoint_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return await delete_endpoint(gw, merchant["_id"], endpoint_id)


@router.post(
    "/v1/webhook_endpoints/{endpoint_id}/rotate_secret",
    tags=["webhooks"],
    summary="Rotate the signing secret (both sign during the overlap)",
    response_model=WebhookEndpointOut,
    response_model_exclude_unset=True,
    responses=errors(404),
)
async def post_rotate(endpoint_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return await rotate_secret(gw, merchant["_id"], endpoint_id)


@router.post(
    "/v1/webhook_deliveries/{delivery_id}/redeliver",
    tags=["webhooks"],
    status_code=202,
    summary="Send a delivered or failed event again",
    response_model=WebhookDeliveryOut,
    responses=errors(404, 409),
)
async def post_redeliver(delivery_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return await redeliver_webhook(gw, merchant["_id"], delivery_id)

"""payments_api: the read side and merchant actions — list, get, retry, metrics, webhooks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from mangum import Mangum

from functions.create_payment.app import router as create_payment_router
from functions.settlement_report.app import router as settlement_report_router
from shared.domain.requests import WebhookEndpointCreate
from shared.services.metrics import merchant_metrics
from shared.services.queries import get_payment, list_payments
from shared.services.redeliver_webhook import redeliver_webhook
from shared.services.retry_payment import retry_payment
from shared.services.webhook_endpoints import (
    create_endpoint,
    delete_endpoint,
    list_endpoints,
    rotate_secret,
)
from shared.web import bootstrap, logs
from shared.web.app import create_function_app
from shared.web.deps import GatewayDep, JsonBody, Merchant
from shared.web.openapi import errors, json_request_body
from shared.web.schemas import (
    DeletedOut,
    MetricsOut,
    PaymentDetailOut,
    PaymentListOut,
    PaymentOut,
    WebhookDeliveryOut,
    WebhookEndpointListOut,
    WebhookEndpointOut,
)

router = APIRouter()
Status = Annotated[str | None, Query(description="CREATED|PROCESSING|RETRYING|SUCCESS|FAILED")]


@router.get(
    "/v1/payments",
    tags=["payments"],
    summary="List payments, newest first",
    response_model=PaymentListOut,
    responses=errors(),
)
async def get_payments(
    gw: GatewayDep,
    merchant: Merchant,
    status: Status = None,
    user_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query()] = 10,
    starting_after: Annotated[str | None, Query(max_length=64)] = None,
    ending_before: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    page = await list_payments(
        gw,
        merchant["_id"],
        limit=limit,
        status=status,
        user_id=user_id,
        starting_after=starting_after,
        ending_before=ending_before,
    )
    return JSONResponse(page)


@router.get(
    "/v1/payments/{payment_id}",
    tags=["payments"],
    summary="A payment with its timeline and webhook deliveries",
    response_model=PaymentDetailOut,
    responses=errors(404),
)
async def get_one_payment(payment_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    logs.bind(payment_id=payment_id)
    return JSONResponse(await get_payment(gw, merchant["_id"], payment_id))


@router.post(
    "/v1/payments/{payment_id}/retry",
    tags=["payments"],
    summary="Retry a FAILED payment",
    response_model=PaymentOut,
    responses=errors(404, 409),
)
async def post_retry(payment_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    logs.bind(payment_id=payment_id)
    return JSONResponse(await retry_payment(gw, merchant["_id"], payment_id))


@router.get(
    "/v1/metrics",
    tags=["metrics"],
    summary="Totals, rates, latency and throughput",
    response_model=MetricsOut,
    responses=errors(),
)
async def get_metrics(merchant: Merchant) -> Any:
    return JSONResponse(await merchant_metrics(bootstrap.clients().metrics, merchant["_id"]))


@router.post(
    "/v1/webhook_endpoints",
    tags=["webhooks"],
    status_code=201,
    summary="Add a webhook endpoint (its secret is shown once)",
    response_model=WebhookEndpointOut,
    responses=errors(415),
    openapi_extra=json_request_body(WebhookEndpointCreate),
)
async def post_endpoint(gw: GatewayDep, merchant: Merchant, body: JsonBody) -> Any:
    return JSONResponse(await create_endpoint(gw, merchant["_id"], body), status_code=201)


@router.get(
    "/v1/webhook_endpoints",
    tags=["webhooks"],
    summary="List webhook endpoints",
    response_model=WebhookEndpointListOut,
    responses=errors(),
)
async def get_endpoints(gw: GatewayDep, merchant: Merchant) -> Any:
    return JSONResponse(await list_endpoints(gw, merchant["_id"]))


@router.delete(
    "/v1/webhook_endpoints/{endpoint_id}",
    tags=["webhooks"],
    summary="Remove a webhook endpoint",
    response_model=DeletedOut,
    responses=errors(404),
)
async def remove_endpoint(endpoint_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return JSONResponse(await delete_endpoint(gw, merchant["_id"], endpoint_id))


@router.post(
    "/v1/webhook_endpoints/{endpoint_id}/rotate_secret",
    tags=["webhooks"],
    summary="Rotate the signing secret (both sign during the overlap)",
    response_model=WebhookEndpointOut,
    responses=errors(404),
)
async def post_rotate(endpoint_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return JSONResponse(await rotate_secret(gw, merchant["_id"], endpoint_id))


@router.post(
    "/v1/webhook_deliveries/{delivery_id}/redeliver",
    tags=["webhooks"],
    status_code=202,
    summary="Send a delivered or failed event again",
    response_model=WebhookDeliveryOut,
    responses=errors(404, 409),
)
async def post_redeliver(delivery_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    return JSONResponse(await redeliver_webhook(gw, merchant["_id"], delivery_id), status_code=202)


app = create_function_app(
    router, title="paygate", schema_routers=[create_payment_router, settlement_report_router]
)
handler = Mangum(app, lifespan="off")

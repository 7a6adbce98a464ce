"""Payments, read side and merchant actions: list, get, retry, capture, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.domain.requests import PaymentCancel, PaymentCapture
from shared.services.capture_payment import cancel_payment, capture_payment
from shared.services.queries import get_payment, list_payments
from shared.services.retry_payment import retry_payment
from shared.web import logs
from shared.web.deps import GatewayDep, Merchant, OptionalJsonBody
from shared.web.openapi import errors, json_request_body
from shared.web.schemas import PaymentDetailOut, PaymentListOut, PaymentOut

router = APIRouter()
Status = Annotated[
    str | None,
    Query(description="CREATED|PROCESSING|RETRYING|SUCCESS|FAILED|REQUIRES_CAPTURE|CANCELED"),
]


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
    return page


@router.get(
    "/v1/payments/{payment_id}",
    tags=["payments"],
    summary="A payment with its timeline and webhook deliveries",
    response_model=PaymentDetailOut,
    responses=errors(404),
)
async def get_one_payment(payment_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    logs.bind(payment_id=payment_id)
    return await get_payment(gw, merchant["_id"], payment_id)


@router.post(
    "/v1/payments/{payment_id}/retry",
    tags=["payments"],
    summary="Retry a FAILED payment",
    response_model=PaymentOut,
    responses=errors(404, 409),
)
async def post_retry(payment_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    logs.bind(payment_id=payment_id)
    return PaymentOut.from_domain(await retry_payment(gw, merchant["_id"], payment_id))


@router.post(
    "/v1/payments/{payment_id}/capture",
    tags=["payments"],
    summary="Capture an authorised (REQUIRES_CAPTURE) payment, fully or partly",
    description="`amount` defaults to the whole authorization; more than that is 400 "
    "`amount_too_large`; a payment in any other state is 409 `invalid_state`.",
    response_model=PaymentOut,
    responses=errors(404, 409, 415),
    openapi_extra=json_request_body(PaymentCapture, required=False),
)
async def post_capture(
    payment_id: str, gw: GatewayDep, merchant: Merchant, body: OptionalJsonBody
) -> Any:
    logs.bind(payment_id=payment_id)
    return PaymentOut.from_domain(await capture_payment(gw, merchant["_id"], payment_id, body))


@router.post(
    "/v1/payments/{payment_id}/cancel",
    tags=["payments"],
    summary="Cancel a CREATED, RETRYING or REQUIRES_CAPTURE payment",
    description="A cancel racing the gateway's answer: one of them wins, the other changes "
    "nothing (a losing cancel is 409 `invalid_state`).",
    response_model=PaymentOut,
    responses=errors(404, 409, 415),
    openapi_extra=json_request_body(PaymentCancel, required=False),
)
async def post_cancel(
    payment_id: str, gw: GatewayDep, merchant: Merchant, body: OptionalJsonBody
) -> Any:
    logs.bind(payment_id=payment_id)
    return PaymentOut.from_domain(await cancel_payment(gw, merchant["_id"], payment_id, body))

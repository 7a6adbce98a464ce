"""Payments, read side and merchant actions: list, get, retry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.services.queries import get_payment, list_payments
from shared.services.retry_payment import retry_payment
from shared.web import logs
from shared.web.deps import GatewayDep, Merchant
from shared.web.openapi import errors
from shared.web.schemas import PaymentDetailOut, PaymentListOut, PaymentOut

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

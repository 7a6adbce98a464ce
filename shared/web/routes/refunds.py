"""Refunds: create (idempotent), list, get."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from shared.services.create_refund import create_refund
from shared.services.refund_queries import get_refund, list_refunds
from shared.web import logs
from shared.web.deps import GatewayDep, Merchant, parse_json
from shared.web.openapi import errors, json_request_body
from shared.web.schemas import RefundCreateDoc, RefundListOut, RefundOut

router = APIRouter(tags=["refunds"])


@router.post(
    "/v1/refunds",
    status_code=201,
    summary="Refund a SUCCESS payment, fully or partly",
    description="`amount` defaults to all that is left to refund. Pending and succeeded "
    "refunds never add up to more than `amount_captured` (400 `amount_too_large`), however "
    "many requests race; a payment not SUCCESS is 409 `invalid_state`, an unknown one 404.",
    response_model=RefundOut,
    responses=errors(404, 409, 415, 422),
    openapi_extra=json_request_body(RefundCreateDoc),
)
async def post_refund(
    request: Request,
    gw: GatewayDep,
    merchant: Merchant,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", description="1-255 printable characters")
    ] = None,
) -> Any:
    body = parse_json(await request.body(), request.headers.get("content-type"))
    result = await create_refund(gw, merchant["_id"], idempotency_key, body)
    logs.bind(refund_id=result.payment_id)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)


@router.get(
    "/v1/refunds",
    summary="List refunds, newest first",
    response_model=RefundListOut,
    responses=errors(),
)
async def get_refunds(
    gw: GatewayDep,
    merchant: Merchant,
    payment: Annotated[str | None, Query(max_length=64, description="pay_ id")] = None,
    status: Annotated[str | None, Query(description="PENDING|SUCCEEDED|FAILED")] = None,
    limit: Annotated[int, Query()] = 10,
    starting_after: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    return await list_refunds(
        gw,
        merchant["_id"],
        limit=limit,
        payment=payment,
        status=status,
        starting_after=starting_after,
    )


@router.get(
    "/v1/refunds/{refund_id}",
    summary="One refund",
    response_model=RefundOut,
    responses=errors(404),
)
async def get_one_refund(refund_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    logs.bind(refund_id=refund_id)
    return await get_refund(gw, merchant["_id"], refund_id)

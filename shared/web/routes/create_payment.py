"""`POST /v1/payments`: validate, apply idempotency, store, queue processing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from shared.services.create_payment import create_payment
from shared.web import logs
from shared.web.deps import GatewayDep, Merchant, parse_json
from shared.web.openapi import errors, json_request_body
from shared.web.schemas import PaymentCreateDoc, PaymentOut

router = APIRouter(tags=["payments"])


@router.post(
    "/v1/payments",
    status_code=201,
    summary="Create a payment",
    response_model=PaymentOut,
    responses=errors(409, 415, 422),
    openapi_extra=json_request_body(PaymentCreateDoc),
)
async def post_payment(
    request: Request,
    gw: GatewayDep,
    merchant: Merchant,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", description="1-255 printable characters")
    ] = None,
) -> Any:
    body = parse_json(await request.body(), request.headers.get("content-type"))
    result = await create_payment(gw, merchant["_id"], idempotency_key, body)
    logs.bind(payment_id=result.payment_id)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)

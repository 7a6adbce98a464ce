"""`/internal/process_payment` (a QStash delivery), its failure callback, and the expiry
timer of an uncaptured authorization."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.services.abandon_payment import abandon_payment
from shared.services.capture_payment import expire_authorization
from shared.services.process_payment import process_payment
from shared.web import logs
from shared.web.deps import (
    GatewayDep,
    VerifiedQStash,
    VerifiedRedelivery,
    require_int,
    require_str,
    source_body,
)
from shared.web.openapi import errors
from shared.web.steps import step_response

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.post("/internal/process_payment", responses=errors())
async def process(call: VerifiedRedelivery, gw: GatewayDep) -> JSONResponse:
    payment_id = require_str(call.body, "payment_id")
    logs.bind(payment_id=payment_id)
    result = await process_payment(
        gw,
        payment_id,
        require_int(call.body, "generation", 1),
        message_id=call.message_id,
    )
    return step_response(result)


@router.post("/internal/process_payment/failure", responses=errors())
async def process_failure(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    original = source_body(call.body)
    payment_id = require_str(original, "payment_id")
    logs.bind(payment_id=payment_id)
    result = await abandon_payment(
        gw, payment_id, require_int(original, "generation", 1), message_id=call.message_id
    )
    return step_response(result)


@router.post("/internal/expire_authorization", responses=errors())
async def expire(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    """The delayed message published when a manual-capture payment was authorised."""
    payment_id = require_str(call.body, "payment_id")
    logs.bind(payment_id=payment_id)
    result = await expire_authorization(gw, payment_id, require_int(call.body, "generation", 1))
    return step_response(result)

"""process_payment: QStash delivers a payment to the gateway (and its failure callback)."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from mangum import Mangum

from shared.config import get_settings
from shared.services.abandon_payment import abandon_payment
from shared.services.process_payment import StepResult, process_payment
from shared.web import logs
from shared.web.app import create_function_app
from shared.web.deps import GatewayDep, VerifiedQStash, require_int, require_str, source_body
from shared.web.openapi import errors

router = APIRouter(tags=["internal"], include_in_schema=False)


def step_response(result: StepResult) -> JSONResponse:
    return JSONResponse(
        {"outcome": result.outcome, "payment_id": result.payment_id, "status": result.status},
        status_code=result.http_status,
    )


@router.post("/internal/process_payment", responses=errors())
async def process(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    payment_id = require_str(call.body, "payment_id")
    logs.bind(payment_id=payment_id)
    deadline = time.monotonic() + get_settings().function_timeout_s
    result = await process_payment(
        gw,
        payment_id,
        require_int(call.body, "generation", 1),
        message_id=call.message_id,
        deadline=deadline,
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


app = create_function_app(router, title="paygate process_payment")
handler = Mangum(app, lifespan="off")

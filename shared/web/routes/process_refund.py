"""`/internal/process_refund` (a QStash delivery of a refund) and its failure callback."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.services.process_refund import give_up_refund, process_refund
from shared.web import logs
from shared.web.deps import GatewayDep, VerifiedQStash, require_str, source_body
from shared.web.openapi import errors
from shared.web.steps import step_response

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.post("/internal/process_refund", responses=errors())
async def process(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    refund_id = require_str(call.body, "refund_id")
    logs.bind(refund_id=refund_id)
    return step_response(await process_refund(gw, refund_id, message_id=call.message_id))


@router.post("/internal/process_refund/failure", responses=errors())
async def process_failure(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    refund_id = require_str(source_body(call.body), "refund_id")
    logs.bind(refund_id=refund_id)
    return step_response(await give_up_refund(gw, refund_id, message_id=call.message_id))

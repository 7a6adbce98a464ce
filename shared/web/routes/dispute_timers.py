"""The dispute timers: `/internal/open_dispute` (a dispute-card payment's dispute opens) and
`/internal/decide_dispute` (an answered dispute is decided), both delayed QStash messages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.services.disputes import decide_dispute, open_dispute
from shared.web import logs
from shared.web.deps import GatewayDep, VerifiedQStash, require_str
from shared.web.openapi import errors
from shared.web.steps import step_response

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.post("/internal/open_dispute", responses=errors())
async def open_(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    payment_id = require_str(call.body, "payment_id")
    logs.bind(payment_id=payment_id)
    return step_response(await open_dispute(gw, payment_id))


@router.post("/internal/decide_dispute", responses=errors())
async def decide(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    dispute_id = require_str(call.body, "dispute_id")
    logs.bind(dispute_id=dispute_id)
    return step_response(await decide_dispute(gw, dispute_id))

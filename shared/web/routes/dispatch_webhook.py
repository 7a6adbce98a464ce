"""`/internal/dispatch_webhook` (one QStash-driven webhook attempt) and its failure callback."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.services.dispatch_webhook import dispatch_webhook, give_up_delivery
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


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


@router.post("/internal/dispatch_webhook", responses=errors())
async def dispatch(call: VerifiedRedelivery, gw: GatewayDep) -> JSONResponse:
    delivery_id = require_str(call.body, "delivery_id")
    logs.bind(delivery_id=delivery_id, payment_id=_str_or_none(call.body.get("payment_id")))
    result = await dispatch_webhook(
        gw,
        delivery_id,
        require_int(call.body, "round", 0),
        retried=call.retried,
        message_id=call.message_id,
    )
    return step_response(result)


@router.post("/internal/dispatch_webhook/failure", responses=errors())
async def dispatch_failure(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    original = source_body(call.body)
    delivery_id = require_str(original, "delivery_id")
    logs.bind(delivery_id=delivery_id, payment_id=_str_or_none(original.get("payment_id")))
    return step_response(await give_up_delivery(gw, delivery_id, require_int(original, "round", 0)))

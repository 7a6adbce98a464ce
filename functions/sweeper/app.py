"""sweeper: republishes payments left behind. QStash schedule locally, EventBridge on AWS."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from mangum import Mangum

from shared.services.sweep import sweep
from shared.web import bootstrap
from shared.web.app import create_function_app
from shared.web.deps import GatewayDep, VerifiedQStash
from shared.web.openapi import errors

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.post("/internal/sweep", responses=errors())
async def run_sweep(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    report = await sweep(gw)
    return JSONResponse({"republished": report.republished, "failed": report.failed})


app = create_function_app(router, title="paygate sweeper")
http_handler = Mangum(app, lifespan="off")


async def _scheduled() -> dict[str, int]:
    report = await sweep(await bootstrap.gateway())
    return {"republished": report.republished, "failed": report.failed}


def handler(event: dict[str, Any], context: Any) -> Any:
    """EventBridge schedule events run the sweep directly; HTTP events go through the app."""
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        loop = asyncio.get_event_loop()
        return loop.run_until_complete(_scheduled())
    return http_handler(event, context)

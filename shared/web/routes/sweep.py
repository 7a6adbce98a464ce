"""`/internal/sweep`: the sweeper, on a QStash schedule (EventBridge calls the job directly)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.services.sweep import sweep
from shared.web import bootstrap
from shared.web.deps import GatewayDep, VerifiedQStash
from shared.web.openapi import errors

router = APIRouter(tags=["internal"], include_in_schema=False)


async def scheduled_sweep() -> dict[str, Any]:
    """The sweep as a scheduled job (no HTTP request)."""
    report = await sweep(await bootstrap.gateway())
    return report.summary()


@router.post("/internal/sweep", responses=errors())
async def run_sweep(call: VerifiedQStash, gw: GatewayDep) -> JSONResponse:
    report = await sweep(gw)
    return JSONResponse(report.summary())

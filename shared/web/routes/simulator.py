"""`GET/PUT/DELETE /v1/simulator`: the calling merchant's simulator settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from shared.domain.simulator_requests import SimulatorSettingsIn
from shared.services.simulator_settings import get_simulator, put_simulator, reset_simulator
from shared.web.deps import GatewayDep, JsonBody, Merchant
from shared.web.openapi import errors, json_request_body
from shared.web.schemas import SimulatorOut

router = APIRouter()


@router.get(
    "/v1/simulator",
    tags=["simulator"],
    summary="The simulator settings in force",
    response_model=SimulatorOut,
    responses=errors(),
)
async def get_settings(gw: GatewayDep, merchant: Merchant) -> Any:
    return SimulatorOut.from_domain(await get_simulator(gw, merchant["_id"]))


@router.put(
    "/v1/simulator",
    tags=["simulator"],
    summary="Replace the simulator settings (the whole object; version + 1)",
    response_model=SimulatorOut,
    responses=errors(415),
    openapi_extra=json_request_body(SimulatorSettingsIn),
)
async def put_settings(gw: GatewayDep, merchant: Merchant, body: JsonBody) -> Any:
    return SimulatorOut.from_domain(await put_simulator(gw, merchant["_id"], body))


@router.delete(
    "/v1/simulator",
    tags=["simulator"],
    summary="Back to the default simulator settings (version + 1)",
    response_model=SimulatorOut,
    responses=errors(),
)
async def delete_settings(gw: GatewayDep, merchant: Merchant) -> Any:
    return SimulatorOut.from_domain(await reset_simulator(gw, merchant["_id"]))

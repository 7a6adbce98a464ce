"""`GET /v1/metrics`: the dashboard's numbers for the calling merchant."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from shared.services.metrics import merchant_metrics
from shared.web import bootstrap
from shared.web.deps import Merchant
from shared.web.openapi import errors
from shared.web.schemas import MetricsOut

router = APIRouter()


@router.get(
    "/v1/metrics",
    tags=["metrics"],
    summary="Totals, rates, latency and throughput",
    response_model=MetricsOut,
    responses=errors(),
)
async def get_metrics(merchant: Merchant) -> Any:
    return await merchant_metrics(bootstrap.clients().metrics, merchant["_id"])

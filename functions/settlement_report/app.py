"""settlement_report: nightly settlement CSVs to S3, and a merchant's link to its own report.

`GET /v1/settlements/{date}` (merchant API key) answers a presigned URL valid 15 minutes.
The reports are written by the EventBridge schedule (yesterday, every merchant) or by a
QStash-signed `POST /internal/settlement_report` with an optional `{"date": "YYYY-MM-DD"}`.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from mangum import Mangum
from pydantic import BaseModel, Field

from shared.adapters.settlement_repository import SettlementRepository
from shared.adapters.settlement_store import default_store
from shared.config import get_settings
from shared.domain.clock import utcnow
from shared.domain.settlement import parse_day, previous_day
from shared.services.settlement import SettlementRun, report_link, write_reports
from shared.web import bootstrap
from shared.web.app import create_function_app
from shared.web.deps import Merchant, VerifiedQStash, require_str
from shared.web.openapi import errors

router = APIRouter()


class SettlementReportOut(BaseModel):
    object: str = Field("settlement_report", examples=["settlement_report"])
    date: str = Field(examples=["2026-01-31"])
    url: str = Field(description="Presigned S3 GET URL of the CSV")
    expires_at: str = Field(description="When the URL stops working (ISO-8601 UTC)")


async def _write(day: date) -> SettlementRun:
    found = bootstrap.clients()
    queries = SettlementRepository(found.mongo[found.settings.mongodb_db])
    return await write_reports(queries, default_store(), day, get_settings().settlement_fee_bps)


@router.get(
    "/v1/settlements/{date}",
    tags=["settlements"],
    summary="Link to the caller's settlement report of one UTC day (CSV, 15 minutes)",
    response_model=SettlementReportOut,
    responses=errors(404),
)
async def get_settlement(date: str, merchant: Merchant) -> Any:
    day = parse_day(date)
    return JSONResponse(await report_link(default_store(), merchant["_id"], day))


@router.post("/internal/settlement_report", include_in_schema=False, responses=errors())
async def run_settlement(call: VerifiedQStash) -> JSONResponse:
    day = parse_day(require_str(call.body, "date")) if "date" in call.body else None
    run = await _write(day or previous_day(utcnow()))
    return JSONResponse(run.summary())


app = create_function_app(router, title="paygate settlement_report")
http_handler = Mangum(app, lifespan="off")


async def _scheduled() -> dict[str, Any]:
    return (await _write(previous_day(utcnow()))).summary()


def handler(event: dict[str, Any], context: Any) -> Any:
    """EventBridge schedule events report on yesterday; HTTP events go through the app."""
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        loop = asyncio.get_event_loop()
        return loop.run_until_complete(_scheduled())
    return http_handler(event, context)

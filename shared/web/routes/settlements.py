"""Settlement reports: a merchant's link to its own report, and the job that writes them.

`GET /v1/settlements/{date}` (merchant API key) answers a presigned URL valid 15 minutes.
The reports are written by the schedule (yesterday, every merchant) or by a QStash-signed
`POST /internal/settlement_report` with an optional `{"date": "YYYY-MM-DD"}`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.domain.clock import utcnow
from shared.domain.settlement import parse_day, previous_day
from shared.services.settlement import SettlementRun, report_link, write_reports
from shared.web import bootstrap
from shared.web.deps import Merchant, VerifiedQStash, require_str
from shared.web.openapi import errors
from shared.web.schemas import SettlementReportOut

router = APIRouter()


async def _write(day: date) -> SettlementRun:
    found = bootstrap.clients()
    return await write_reports(
        found.settlements, bootstrap.report_store(), day, found.settings.settlement_fee_bps
    )


async def scheduled_settlement() -> dict[str, Any]:
    """Yesterday's reports as a scheduled job (no HTTP request)."""
    return (await _write(previous_day(utcnow()))).summary()


@router.get(
    "/v1/settlements/{date}",
    tags=["settlements"],
    summary="Link to the caller's settlement report of one UTC day (CSV, 15 minutes)",
    response_model=SettlementReportOut,
    responses=errors(404),
)
async def get_settlement(date: str, merchant: Merchant) -> Any:
    day = parse_day(date)
    return await report_link(bootstrap.report_store(), merchant["_id"], day)


@router.post("/internal/settlement_report", include_in_schema=False, responses=errors())
async def run_settlement(call: VerifiedQStash) -> JSONResponse:
    day = parse_day(require_str(call.body, "date")) if "date" in call.body else None
    run = await _write(day or previous_day(utcnow()))
    return JSONResponse(run.summary())

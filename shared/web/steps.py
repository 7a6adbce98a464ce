"""How a QStash-driven step's result is answered: its HTTP status tells QStash to stop or retry."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from shared.services.results import StepResult


def step_response(result: StepResult) -> JSONResponse:
    body: dict[str, str | None] = {"outcome": result.outcome}
    if result.payment_id is not None:
        body |= {"payment_id": result.payment_id, "status": result.status}
    return JSONResponse(body, status_code=result.http_status)

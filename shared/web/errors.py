"""One place mapping every error to the envelope `{"error": {type, code, message, param}}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.domain.errors import PaygateError, RateLimited, SimulatedOutage

log = logging.getLogger("paygate.errors")

STATUS_CODES = {404: "resource_missing", 405: "method_not_allowed"}


def envelope(type_: str, code: str, message: str, param: str | None = None) -> dict[str, object]:
    """The one error body: `{"error": {type, code, message, param?}}` (the middleware's too)."""
    body: dict[str, object] = {"type": type_, "code": code, "message": message}
    if param is not None:
        body["param"] = param
    return {"error": body}


def error_response(
    status: int,
    type_: str,
    code: str,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(envelope(type_, code, message, param), status_code=status, headers=headers)


def paygate_error_response(exc: PaygateError) -> JSONResponse:
    retry_after = exc.retry_after if isinstance(exc, RateLimited | SimulatedOutage) else None
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(exc.http_status, exc.type, exc.code, exc.message, exc.param, headers)


async def _paygate_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PaygateError)
    if exc.http_status >= 500:
        log.warning("dependency error: %s", exc.message)
    return paygate_error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    param = ".".join(loc) or None
    message = str(first.get("msg", "invalid request"))
    code = "parameter_missing" if first.get("type") == "missing" else "parameter_invalid"
    return error_response(
        400, "invalid_request_error", code, f"{param}: {message}" if param else message, param
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = STATUS_CODES.get(exc.status_code, "http_error")
    message = "no such route" if exc.status_code == 404 else str(exc.detail)
    return error_response(
        exc.status_code,
        "invalid_request_error",
        code,
        message,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500, "api_error", "internal_error", "an internal error occurred; it has been logged"
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PaygateError, _paygate_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)

"""OpenAPI pieces: the error envelope schema and the error responses each route can give."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    type: str = Field(examples=["invalid_request_error"])
    code: str = Field(examples=["parameter_invalid"])
    message: str
    param: str | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


DESCRIPTIONS = {
    400: "Invalid request (bad parameter, missing or malformed Idempotency-Key, bad JSON)",
    401: "Missing or invalid API key, or invalid QStash signature",
    404: "No such object for this merchant",
    409: "Idempotency key in use, or the object is in the wrong state",
    413: "Request body too large",
    415: "Body is not application/json",
    422: "Idempotency key reused with a different request body",
    429: "Rate limited (see Retry-After)",
    431: "A request header, or all of them together, too large",
    500: "Internal error",
    503: "A dependency (mongo, redis, qstash) is unavailable, or a simulated outage "
    "(`simulated_outage`: the merchant's simulator settings or `Paygate-Fault`; see Retry-After)",
}
COMMON = (400, 401, 413, 429, 431, 500, 503)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the common errors plus `statuses`."""
    return {
        status: {"model": ErrorEnvelope, "description": DESCRIPTIONS[status]}
        for status in sorted({*COMMON, *statuses})
    }


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline_refs(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def json_request_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra=` documenting a JSON body a route parses itself.

    The model's nested definitions are inlined: a `$ref` in an OpenAPI document resolves
    against the document, where a model's own `$defs` are not.
    """
    schema = model.model_json_schema()
    inlined = _inline_refs(schema, schema.get("$defs", {}))
    content = {"application/json": {"schema": inlined}}
    return {"requestBody": {"required": required, "content": content}}

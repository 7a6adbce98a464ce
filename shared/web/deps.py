"""FastAPI dependencies as typed aliases: gateway, calling merchant, verified QStash call."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from shared.adapters.qstash_signature import SignatureError, verify_signature
from shared.config import get_settings
from shared.domain.errors import InvalidRequest, UnsupportedMediaType
from shared.services.context import Gateway
from shared.services.merchants import authenticate
from shared.web import bootstrap, logs
from shared.web.faults import apply_api_faults
from shared.web.json_input import decode_json


async def _gateway() -> Gateway:
    return await bootstrap.gateway()


GatewayDep = Annotated[Gateway, Depends(_gateway)]


async def _merchant(
    request: Request,
    gw: GatewayDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> dict[str, Any]:
    """The calling merchant, once its simulator's API faults (if any) were applied."""
    merchant = await authenticate(gw, authorization)
    logs.bind(merchant_id=merchant["_id"])
    await apply_api_faults(request, gw, merchant["_id"])
    return merchant


Merchant = Annotated[dict[str, Any], Depends(_merchant)]


def parse_json(body: bytes, content_type: str | None) -> Any:
    if content_type is not None and "json" not in content_type.lower():
        raise UnsupportedMediaType("send the body as application/json")
    if not body:
        raise InvalidRequest("the request body is empty; send a JSON object")
    return decode_json(body)


async def json_body(request: Request) -> Any:
    return parse_json(await request.body(), request.headers.get("content-type"))


JsonBody = Annotated[Any, Depends(json_body)]


async def optional_json_body(request: Request) -> Any:
    """A JSON object, or `{}` for an empty body (for actions whose fields are all optional)."""
    raw = await request.body()
    return parse_json(raw, request.headers.get("content-type")) if raw else {}


OptionalJsonBody = Annotated[Any, Depends(optional_json_body)]


@dataclass(frozen=True)
class QStashCall:
    """A delivery from QStash whose signature, URL, body and freshness were checked."""

    body: dict[str, Any]
    message_id: str | None
    retried: int


async def _qstash_call(request: Request, gw: GatewayDep) -> QStashCall:
    return await _verified_call(request, gw, replay_guard=True)


async def _idempotent_qstash_call(request: Request, gw: GatewayDep) -> QStashCall:
    return await _verified_call(request, gw, replay_guard=False)


async def _verified_call(request: Request, gw: Gateway, *, replay_guard: bool) -> QStashCall:
    settings = get_settings()
    raw = await request.body()
    url = settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    claims = verify_signature(
        request.headers.get("upstash-signature"),
        raw,
        url,
        settings.qstash_current_signing_key,
        settings.qstash_next_signing_key,
    )
    if replay_guard:
        token_id = str(claims.get("jti") or request.headers.get("upstash-signature"))
        if not await gw.replay_guard.first_use(token_id):
            raise SignatureError("this signed request was already received (replay)")
    # A QStash schedule (the sweeper's) sends no body: that is an empty message, not bad JSON.
    body = parse_json(raw, None) if raw.strip() else {}
    if not isinstance(body, dict):
        raise InvalidRequest("the message body must be a JSON object")
    retried = request.headers.get("upstash-retried", "0")
    return QStashCall(
        body, request.headers.get("upstash-message-id"), int(retried) if retried.isdigit() else 0
    )


VerifiedQStash = Annotated[QStashCall, Depends(_qstash_call)]
# The per-payment hot steps (process_payment, dispatch_webhook) skip the replay guard's Upstash
# command: a replayed signed request is exactly a QStash redelivery, which their handlers
# already absorb (state-machine and delivery-round guards). See docs/guarantees.md.
VerifiedRedelivery = Annotated[QStashCall, Depends(_idempotent_qstash_call)]


def source_body(callback: dict[str, Any]) -> dict[str, Any]:
    """The original message body inside a QStash (failure) callback."""
    encoded = callback.get("sourceBody")
    if not isinstance(encoded, str):
        raise InvalidRequest("a failure callback must carry sourceBody", param="sourceBody")
    try:
        decoded = decode_json(base64.b64decode(encoded))
    except (ValueError, InvalidRequest):
        raise InvalidRequest("sourceBody is not base64 JSON", param="sourceBody") from None
    if not isinstance(decoded, dict):
        raise InvalidRequest("sourceBody must be a JSON object", param="sourceBody")
    return decoded


def require_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name} is required", code="parameter_missing", param=name)
    return value


def require_int(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{name} must be an integer", param=name)
    return value

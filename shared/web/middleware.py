"""ASGI middleware: request context and access log, body and header size limits, last-resort
error envelope.

Pure ASGI (no BaseHTTPMiddleware) to keep the per-request overhead small.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.domain.errors import PayloadTooLarge
from shared.web import logs
from shared.web.errors import envelope

MAX_HEADER_BYTES = 8_192  # one header's name + value
MAX_HEADERS_TOTAL_BYTES = 32_768

access_log = logging.getLogger("paygate.access")
error_log = logging.getLogger("paygate.errors")


def _envelope(status: int, type_: str, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps(envelope(type_, code, message)).encode()


async def _send_json(send: Send, status: int, body: bytes, extra: list[Any] | None = None) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Binds a request id, logs one JSON line per request, turns crashes into a 500 envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        logs.reset()
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex[:16]
        logs.bind(
            request_id=request_id,
            qstash_message_id=headers.get(b"upstash-message-id", b"").decode() or None,
        )
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not status_holder["started"]:
                status, body = _envelope(
                    500,
                    "api_error",
                    "internal_error",
                    "an internal error occurred; it has been logged",
                )
                await _send_json(send, status, body)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status_holder["status"],
                    extra={
                        "status": status_holder["status"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )


class BodySizeLimitMiddleware:
    """413 in the error envelope for bodies over `max_bytes` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_large = f"the request body is larger than {self.max_bytes} bytes"
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            status, body = _envelope(413, "invalid_request_error", "body_too_large", too_large)
            await _send_json(send, status, body)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(too_large)
            return message

        await self.app(scope, limited_receive, send)


class HeaderSizeLimitMiddleware:
    """431 in the error envelope when one header, or all of them, are too long.

    uvicorn's httptools parser accepts headers of any length; this is the bound.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_header_bytes: int = MAX_HEADER_BYTES,
        max_total_bytes: int = MAX_HEADERS_TOTAL_BYTES,
    ) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_total_bytes = max_total_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            sizes = [len(name) + len(value) for name, value in scope.get("headers") or []]
            if sizes and (max(sizes) > self.max_header_bytes or sum(sizes) > self.max_total_bytes):
                message = (
                    f"request headers are too large (at most {self.max_header_bytes} bytes "
                    f"each, {self.max_total_bytes} in all)"
                )
                status, body = _envelope(431, "invalid_request_error", "headers_too_large", message)
                await _send_json(send, status, body)
                return
        await self.app(scope, receive, send)

"""Invoking a Lambda handler as the Lambda runtime does, from a synchronous test.

Mangum runs each invocation with `loop.run_until_complete`, so handlers are called on one
dedicated worker thread that keeps its own event loop between calls, like a warm container
(and never inside pytest-asyncio's running loop).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.events import load_event

Handler = Callable[[dict[str, Any], Any], Any]
T = TypeVar("T")
INVOKE_TIMEOUT_S = 60


@dataclass
class FakeLambdaContext:
    function_name: str = "paygate-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:paygate-test"
    log_group_name: str = "/aws/lambda/paygate-test"
    log_stream_name: str = "2026/11/28/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass(frozen=True)
class LambdaResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _own_loop() -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())


_runtime = ThreadPoolExecutor(max_workers=1, initializer=_own_loop, thread_name_prefix="lambda")


def invoke(handler: Handler, event: dict[str, Any], function_name: str = "paygate-test") -> Any:
    """`handler(event, context)` on the runtime thread; returns what the handler returned."""
    future = _runtime.submit(handler, event, FakeLambdaContext(function_name=function_name))
    return future.result(timeout=INVOKE_TIMEOUT_S)


def run_on_runtime[T](make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on the runtime thread's loop (where the handlers' clients live)."""

    def run() -> T:
        return asyncio.get_event_loop().run_until_complete(make())

    return _runtime.submit(run).result(timeout=INVOKE_TIMEOUT_S)


def close_runtime_clients() -> None:
    """Close the clients the handlers built on the runtime loop (before a settings reset)."""
    from shared.web import bootstrap

    async def close() -> None:
        found = bootstrap._clients.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found.mongo.close()

    run_on_runtime(close)


def invoke_http(handler: Handler, event: dict[str, Any]) -> LambdaResponse:
    result = invoke(handler, event)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    headers = {name.lower(): value for name, value in (result.get("headers") or {}).items()}
    return LambdaResponse(result["statusCode"], headers, raw)


def path_parameters(template: str, path: str) -> dict[str, str] | None:
    """`{name}` segments of an HTTP API route template, read from a concrete path."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, path)
    return match.groupdict() if match else None


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    query: str = "",
) -> dict[str, Any]:
    """The recorded HTTP API (payload 2.0) event, re-aimed at `method path`.

    `route` is the route template API Gateway matched (e.g. `/v1/payments/{payment_id}`);
    it sets `routeKey` and `pathParameters` as API Gateway does.
    """
    event = load_event("apigw_v2_http")
    template = route or path
    params = path_parameters(template, path)
    if params is None:
        raise ValueError(f"{path} does not match the route {template}")
    raw = body.encode() if isinstance(body, str) else (body or b"")
    merged = {**event["headers"], "content-length": str(len(raw))}
    merged.update({name.lower(): value for name, value in (headers or {}).items()})
    event["routeKey"] = f"{method} {template}"
    event["rawPath"] = path
    event["rawQueryString"] = query
    event["headers"] = merged
    event["requestContext"]["routeKey"] = event["routeKey"]
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["requestId"] = uuid.uuid4().hex[:16] + "="
    if params:
        event["pathParameters"] = params
    else:
        event.pop("pathParameters", None)
    if query:
        event["queryStringParameters"] = dict(
            part.split("=", 1) for part in query.split("&") if "=" in part
        )
    if raw:
        event["body"] = raw.decode()
        event["isBase64Encoded"] = False
    return event

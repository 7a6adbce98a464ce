"""Local invocation harness: run any function the two ways it runs in production.

- In-process over ASGI: `asgi_client("create_payment")` is an httpx client on that function's app.
- Through its Lambda handler: `lambda_invoke("payments_api", apigw_v2_event("GET", "/v1/metrics",
  headers=...))` feeds Mangum an API Gateway v2 (HTTP API, payload 2.0) event, on a dedicated
  thread with its own event loop, as a warm Lambda container would.
- `QStashRelay`: a real HTTP server the QStash emulator delivers to (set `PAYGATE_PUBLIC_URL` to
  `relay.url`); it hands each delivery to the function owning the route, over ASGI or through
  the Lambda handler, so the messages one step publishes drive the next step.

The fixtures in `tests/functions/conftest.py` wire these to the local services; the README's
"Extending the simulator" section shows how to use them.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

FUNCTIONS = ("create_payment", "process_payment", "dispatch_webhook", "payments_api", "sweeper")
INTERNAL_ROUTES = {
    "/internal/process_payment": "process_payment",
    "/internal/process_payment/failure": "process_payment",
    "/internal/dispatch_webhook": "dispatch_webhook",
    "/internal/dispatch_webhook/failure": "dispatch_webhook",
    "/internal/sweep": "sweeper",
}


def load_function(name: str) -> ModuleType:
    """The module `functions/<name>/app.py` (its `app` and `handler`)."""
    return importlib.import_module(f"functions.{name}.app")


def asgi_client(name: str, base_url: str = "http://testserver") -> httpx.AsyncClient:
    app = load_function(name).app
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def apigw_v2_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    query: str = "",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as Lambda receives it."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    lowered.setdefault("host", "api.example.com")
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": lowered["host"],
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": lowered.get("user-agent", "test"),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": base64.b64encode(raw).decode() if raw else None,
        "isBase64Encoded": bool(raw),
    }


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    memory_limit_in_mb: int = 512
    timeout_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


@dataclass
class LambdaResult:
    status_code: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def _on_own_loop() -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())


_lambda_thread = ThreadPoolExecutor(
    max_workers=1, initializer=_on_own_loop, thread_name_prefix="lambda"
)


def _decode(response: dict[str, Any]) -> LambdaResult:
    body = response.get("body") or ""
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return LambdaResult(response["statusCode"], headers, raw)


def lambda_invoke(name: str, event: dict[str, Any]) -> LambdaResult:
    """Call `functions/<name>/app.handler(event, context)` like Lambda does (blocking)."""
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = load_function(name).handler
    future = _lambda_thread.submit(handler, event, LambdaContext(name))
    return _decode(future.result(timeout=60))


async def lambda_invoke_async(name: str, event: dict[str, Any]) -> LambdaResult:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda_invoke, name, event)


@dataclass
class Delivery:
    path: str
    status: int
    body: bytes


class QStashRelay:
    """Where QStash delivers in harness tests: forwards to the owning function, records results."""

    def __init__(self, port: int, mode: str = "asgi") -> None:
        assert mode in ("asgi", "lambda")
        self.port = port
        self.mode = mode
        self.deliveries: list[Delivery] = []
        self._server = uvicorn.Server(
            uvicorn.Config(
                self._app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="off",
                interface="asgi3",
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._clients: dict[str, httpx.AsyncClient] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _app(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        body = await request.body()
        name = INTERNAL_ROUTES.get(request.url.path)
        if name is None:
            await Response(status_code=404)(scope, receive, send)
            return
        headers = {k: v for k, v in request.headers.items() if k != "host"}
        if self.mode == "lambda":
            event = apigw_v2_event("POST", request.url.path, headers=headers, body=body)
            result = await lambda_invoke_async(name, event)
            status, content, out_headers = result.status_code, result.body, result.headers
        else:
            client = self._clients.get(name) or self._clients.setdefault(name, asgi_client(name))
            response = await client.post(request.url.path, content=body, headers=headers)
            status, content, out_headers = response.status_code, response.content, {}
        self.deliveries.append(Delivery(request.url.path, status, body))
        media = out_headers.get("content-type", "application/json")
        await Response(content, status_code=status, media_type=media)(scope, receive, send)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("relay did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

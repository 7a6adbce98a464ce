"""Local invocation harness: run any function the two ways it runs in production.

- In-process over ASGI: `asgi_client("create_payment")` is an httpx client on that function's app.
- Through its Lambda handler: `lambda_invoke("payments_api", apigw_v2_event("GET", "/v1/metrics",
  headers=...))` feeds Mangum the recorded API Gateway v2 (HTTP API, payload 2.0) event of
  `tests/events/`, re-aimed at that request, on the one thread of `tests/lambda_runtime.py` that
  keeps its own event loop, as a warm Lambda container would.
- `QStashRelay`: a real HTTP server the QStash emulator delivers to (set `PAYGATE_PUBLIC_URL` to
  `relay.url`); it hands each delivery to the function owning the route, over ASGI or through
  the Lambda handler, so the messages one step publishes drive the next step.

The fixtures in `tests/functions/conftest.py` wire these to the local services;
`docs/architecture.md` ("Testing a function locally") shows how to use them.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from tests.lambda_runtime import LambdaResponse, invoke_http
from tests.lambda_runtime import http_event as apigw_v2_event

__all__ = ["QStashRelay", "apigw_v2_event", "asgi_client", "lambda_invoke", "load_function"]

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


def lambda_invoke(name: str, event: dict[str, Any]) -> LambdaResponse:
    """Call `functions/<name>/app.handler(event, context)` like Lambda does (blocking)."""
    return invoke_http(load_function(name).handler, event)


async def lambda_invoke_async(name: str, event: dict[str, Any]) -> LambdaResponse:
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

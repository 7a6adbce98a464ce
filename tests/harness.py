"""Local invocation harness: run any function the two ways it runs in production.

- In-process over ASGI: `asgi_client("create_payment")` is an httpx client on that function's app.
- Through its Lambda handler: `lambda_invoke("payments_api", apigw_v2_event("GET", "/v1/metrics",
  headers=...))` feeds Mangum the recorded API Gateway v2 (HTTP API, payload 2.0) event of
  `tests/events/`, re-aimed at that request, on the one thread of `tests/lambda_runtime.py` that
  keeps its own event loop, as a warm Lambda container would.
- `QStashRelay`: a real HTTP server the QStash emulator delivers to (set `PAYGATE_PUBLIC_URL` to
  `relay.url`); it hands each delivery to the function owning the route, over ASGI or through
  the Lambda handler, so the messages one step publishes drive the next step. It records every
  answer; a 5xx is a failure (`relay.check()`) unless the test declared it with
  `relay.expect_5xx(payment_id, count=…)` — a scenario that times out asks for its 503s.

The fixtures in `tests/functions/conftest.py` wire these to the local services;
`docs/architecture.md` ("Testing a function locally") shows how to use them.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from tests.lambda_runtime import LambdaResponse, invoke_http
from tests.lambda_runtime import http_event as apigw_v2_event

__all__ = ["QStashRelay", "apigw_v2_event", "asgi_client", "lambda_invoke", "load_function"]

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
FUNCTIONS = tuple(sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/app.py")))


@functools.cache
def internal_routes() -> dict[str, str]:
    """Every `/internal/…` path (QStash and schedule deliveries) → the function serving it,
    read from the functions' own routers, so a new step is relayed without a list to edit."""
    routes: dict[str, str] = {}
    for name in FUNCTIONS:
        for router in getattr(load_function(name), "routers", ()):
            for route in router.routes:
                path = getattr(route, "path", "")
                if path.startswith("/internal/"):
                    routes[path] = name
    return routes


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


PROCESS_PATH = "/internal/process_payment"


@dataclass
class Delivery:
    path: str
    status: int
    body: bytes
    error: str | None = None  # the traceback when forwarding it raised (answered 500)
    started: float = 0.0  # time.monotonic() when it arrived, and when it was answered
    ended: float = 0.0

    @property
    def payment_id(self) -> str | None:
        try:
            value = json.loads(self.body).get("payment_id")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None


class QStashRelay:
    """Where QStash delivers in harness tests: forwards to the owning function, records results.

    Every 5xx answer must have been asked for: `expect_5xx(payment_id, path, count)` allows that
    many for that payment on that route; `check()` raises on any other (the functions fixtures
    call it after each test and when the relay stops).
    """

    def __init__(self, port: int, mode: str = "asgi") -> None:
        assert mode in ("asgi", "lambda")
        self.port = port
        self.mode = mode
        self.deliveries: list[Delivery] = []
        self._allowed_5xx: Counter[tuple[str, str]] = Counter()
        self._reported: set[int] = set()  # unexpected 5xx already raised once (by id())
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
        name = internal_routes().get(request.url.path)
        if name is None:
            await Response(status_code=404)(scope, receive, send)
            return
        headers = {k: v for k, v in request.headers.items() if k != "host"}
        error: str | None = None
        out_headers: dict[str, str] = {}
        started = time.monotonic()
        try:
            if self.mode == "lambda":
                event = apigw_v2_event("POST", request.url.path, headers=headers, body=body)
                result = await lambda_invoke_async(name, event)
                status, content, out_headers = result.status_code, result.body, result.headers
            else:
                client = self._clients.get(name) or self._clients.setdefault(
                    name, asgi_client(name)
                )
                response = await client.post(request.url.path, content=body, headers=headers)
                status, content = response.status_code, response.content
        except Exception:  # recorded as a 500 the test did not ask for, and answered as one
            error = traceback.format_exc()
            status, content = 500, b'{"relay_error": true}'
        self.deliveries.append(
            Delivery(request.url.path, status, body, error, started, time.monotonic())
        )
        media = out_headers.get("content-type", "application/json")
        await Response(content, status_code=status, media_type=media)(scope, receive, send)

    # --- what the tests assert on ---------------------------------------------------------
    def expect_5xx(self, payment_id: str, path: str = PROCESS_PATH, count: int = 1) -> None:
        """Allow `count` 5xx answers to `path` deliveries of `payment_id` (its scenario's)."""
        self._allowed_5xx[(payment_id, path)] += count

    def unexpected_5xx(self) -> list[Delivery]:
        budget = Counter(self._allowed_5xx)
        unexpected = []
        for delivery in list(self.deliveries):
            if delivery.status < 500:
                continue
            key = (delivery.payment_id or "", delivery.path)
            if budget[key] > 0:
                budget[key] -= 1
            else:
                unexpected.append(delivery)
        return unexpected

    def check(self) -> None:
        """Raise if any delivery got a 5xx no test asked for (each one is reported once)."""
        unexpected = [d for d in self.unexpected_5xx() if id(d) not in self._reported]
        self._reported.update(id(d) for d in unexpected)
        if unexpected:
            lines = [
                f"{d.status} {d.path} payment={d.payment_id} {d.body[:120]!r}\n{d.error or ''}"
                for d in unexpected[:5]
            ]
            raise AssertionError(
                f"{len(unexpected)} internal deliveries got a 5xx the test did not ask for:\n"
                + "\n".join(lines)
            )

    def statuses(self, payment_id: str, path: str = PROCESS_PATH) -> list[int]:
        """The answers to `path` deliveries of `payment_id`, in the order they were given."""
        return [
            d.status for d in list(self.deliveries) if (d.payment_id, d.path) == (payment_id, path)
        ]

    async def wait_answered(
        self, payment_id: str, path: str = PROCESS_PATH, within_s: float = 30.0
    ) -> list[int]:
        """`statuses(...)` once the last answer to that payment's deliveries was not a 5xx."""
        deadline = time.monotonic() + within_s
        got: list[int] = []
        while time.monotonic() < deadline:
            got = self.statuses(payment_id, path)
            if got and got[-1] < 500:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"{path} of {payment_id} never answered below 500: {got}")

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

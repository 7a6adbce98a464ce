"""The simulator's API faults, as web plumbing: a step of the merchant dependency and a middleware.

The dependency (`apply_api_faults`, run by `deps.Merchant` right after authentication, before
the route reads its body) waits the simulated latency, then either raises `SimulatedOutage`
(`before_commit`: nothing was done) or marks the request `after_commit`. The middleware lets a
marked request run to its end — its effects, its idempotency record, its lock released as
usual — and sends the 503 in place of its answer.

Exempt: `/v1/simulator` (a merchant can always reset the dials) and `/v1/webhook_endpoints…`
(setup, not the flow being rehearsed; an endpoint's secret is shown once, with no
Idempotency-Key to get it back).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.domain.errors import SimulatedOutage
from shared.domain.simulator_settings import AFTER_COMMIT, BEFORE_COMMIT, ERROR_MODES
from shared.services.api_faults import FAULT_HEADER, decide_api_fault, forced_fault
from shared.services.context import Gateway
from shared.web.errors import paygate_error_response

EXEMPT_PREFIXES = ("/v1/simulator", "/v1/webhook_endpoints")
SLOT = "paygate.api_fault"  # the scope key the dependency marks an after_commit fault under


class FaultSlot:
    """Set by the dependency, read by the middleware, within one request's scope."""

    def __init__(self) -> None:
        self.mode: str | None = None


def dialled(path: str) -> bool:
    """Whether the API-fault dials apply to requests on `path` (latency to every method, the
    errors to POSTs)."""
    return path.startswith("/v1/") and not path.startswith(EXEMPT_PREFIXES)


def document_fault_header(document: dict[str, Any]) -> None:
    """Declare `Paygate-Fault` in an OpenAPI document on every POST it applies to: it is read
    here, not as a route's parameter, so FastAPI cannot see it."""
    parameter = {
        "name": FAULT_HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "string", "enum": list(ERROR_MODES)},
        "description": "Fail this one request as the simulator's `api.error_mode` would: "
        "`before_commit` (nothing is done) or `after_commit` (it is done, the answer is lost); "
        "either way a 503 `simulated_outage` with Retry-After",
    }
    for path, operations in document.get("paths", {}).items():
        if "post" in operations and dialled(path):
            operations["post"].setdefault("parameters", []).append(parameter)


async def apply_api_faults(request: Request, gw: Gateway, merchant_id: str) -> None:
    path = request.url.path
    if not dialled(path):
        return
    can_fail = request.method == "POST"
    forced = forced_fault(request.headers.get(FAULT_HEADER)) if can_fail else None
    key = request.headers.get("idempotency-key") or path
    fault = await decide_api_fault(gw, merchant_id, key=key, can_fail=can_fail, forced=forced)
    if fault.delay_ms > 0:
        await asyncio.sleep(fault.delay_ms / 1000)
    slot = request.scope.get(SLOT)
    if fault.mode == AFTER_COMMIT and isinstance(slot, FaultSlot):
        slot.mode = AFTER_COMMIT
    elif fault.mode is not None:  # before_commit (or an app without the middleware)
        raise SimulatedOutage(BEFORE_COMMIT)


class SimulatedFaultMiddleware:
    """Sends the 503 `simulated_outage` in place of the answer of a request marked after_commit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = scope[SLOT] = FaultSlot()

        async def answer_unless_lost(message: Message) -> None:
            if slot.mode is None:
                await send(message)

        await self.app(scope, receive, answer_unless_lost)
        if slot.mode is not None:
            await paygate_error_response(SimulatedOutage(slot.mode))(scope, receive, send)

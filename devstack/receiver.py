"""The demo merchant: receives paygate webhooks, checks their signature, remembers them.

    python -m devstack.receiver --host 127.0.0.1 --port 8090 --failure-rate 0.0 \
        --data-dir .data/receiver

`POST /webhooks` verifies the Standard Webhooks signature (secret from
`PAYGATE_DEMO_WEBHOOK_SECRET`, or one added with `POST /control {"add_secrets": [...]}` for
further endpoints aimed here), answers 400 when it does not match, 500 for a configurable
share of deliveries (a seedable RNG, so a run can be replayed) or while told to fail, else
200. Every arrival is recorded and listed by `GET /deliveries`, filed under its payment (a
refund's or dispute's under `data.payment`) with the object it carries (`object_id`) and the
endpoint it was sent to (`?endpoint=` of the URL, None for the demo endpoint). `POST /control`
changes the failure behaviour at run time; `DELETE /deliveries` forgets everything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.receiver_store import MAX_LIMIT, DeliveryStore


@dataclass
class FailurePolicy:
    """When the receiver answers 500 on purpose."""

    failure_rate: float = 0.0
    seed: int | None = None
    fail_until: float = 0.0  # time.monotonic() deadline of a "fail everything" window
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def failing_window(self) -> float:
        return max(0.0, self.fail_until - time.monotonic())

    def status_for(self, valid_signature: bool) -> int:
        """500 inside a failing window; else 400 for a bad signature; else the dice."""
        # Draw on every delivery so a seeded run gives the same sequence whatever happens.
        unlucky = self.rng.random() < self.failure_rate
        if self.failing_window() > 0:
            return 500
        if not valid_signature:
            return 400
        return 500 if unlucky else 200

    def describe(self) -> dict[str, Any]:
        return {
            "failure_rate": self.failure_rate,
            "failing_for_seconds": round(self.failing_window(), 3),
        }


class Invalid(ValueError):
    """A request field out of its range: answered 422 with FastAPI's `detail` shape."""

    def __init__(self, loc: tuple[str, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": list(self.loc), "msg": self.msg}]}, 422)


@dataclass(frozen=True)
class ControlRequest:
    """`POST /control`: every field optional; unknown fields are ignored.

    Plain Starlette, not pydantic: the receiver is a separate process of the stack and
    FastAPI with pydantic would be most of its memory.
    """

    failure_rate: float | None = None
    fail_for_seconds: float | None = None
    add_secrets: list[str] | None = None

    @classmethod
    def parse(cls, raw: bytes) -> ControlRequest:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise Invalid(("body",), "JSON decode error") from None
        if not isinstance(body, dict):
            raise Invalid(("body",), "Input should be a valid dictionary")
        rate = _number(body, "failure_rate")
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise Invalid(("body", "failure_rate"), "Input should be between 0 and 1")
        seconds = _number(body, "fail_for_seconds")
        if seconds is not None and not seconds >= 0.0:
            raise Invalid(("body", "fail_for_seconds"), "Input should be >= 0")
        secrets = body.get("add_secrets")
        if secrets is not None and (
            not isinstance(secrets, list) or not all(isinstance(x, str) for x in secrets)
        ):
            raise Invalid(("body", "add_secrets"), "Input should be a list of strings")
        if secrets is not None and len(secrets) > 100:
            raise Invalid(("body", "add_secrets"), "List should have at most 100 items")
        return cls(rate, seconds, secrets)


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(("body", name), "Input should be a valid number")
    return float(value)


def _limit(raw: str | None) -> int:
    """`?limit=`: 50 by default, 1 to MAX_LIMIT."""
    if raw is None:
        return 50
    try:
        limit = int(raw)
    except ValueError:
        raise Invalid(("query", "limit"), "Input should be a valid integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(("query", "limit"), f"Input should be between 1 and {MAX_LIMIT}")
    return limit


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")


def _payment_id(body: Any) -> str | None:
    """The payment an event is about: its `data` itself, or the payment of a refund or a
    dispute (`data.payment`)."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        data = body["data"]
        value = (
            data.get("payment") if data.get("object") in ("refund", "dispute") else data.get("id")
        )
        return value if isinstance(value, str) else None
    return None


def _object_id(body: Any) -> str | None:
    """The object the event carries (a payment, a refund, a dispute)."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        value = body["data"].get("id")
        return value if isinstance(value, str) else None
    return None


def _verified(webhooks: list[Webhook], raw: bytes, headers: dict[str, str]) -> bool:
    for webhook in webhooks:
        try:
            webhook.verify(raw, headers)
        except Exception:  # WebhookVerificationError, or ValueError on a malformed header
            continue
        return True
    return False


def create_app(
    secret: str,
    failure_rate: float = 0.0,
    seed: int | None = None,
    data_dir: Path | None = None,
) -> Starlette:
    """The receiver app; `data_dir=None` keeps deliveries in memory only."""
    webhooks = [Webhook(secret)]
    store = DeliveryStore(data_dir)
    policy = FailurePolicy(failure_rate=failure_rate, seed=seed)
    answers: dict[int, dict[str, Any]] = {
        200: {"received": True},
        400: {"error": "invalid signature"},
        500: {"error": "simulated merchant failure"},
    }

    async def receive(request: Request) -> JSONResponse:
        raw = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        valid = _verified(webhooks, raw, headers)
        status = policy.status_for(valid)
        body = _parse(raw)
        record = store.add(
            {
                "webhook_id": headers.get("webhook-id"),
                "event_type": body.get("type") if isinstance(body, dict) else None,
                "payment_id": _payment_id(body),
                "object_id": _object_id(body),
                "endpoint": request.query_params.get("endpoint"),
                "valid_signature": valid,
                "status_code": status,
                "received_at": datetime.now(UTC).isoformat(),
                "body": body,
                "body_sha256": hashlib.sha256(raw).hexdigest(),
            }
        )
        return JSONResponse({**answers[status], "attempt": record["attempt"]}, status_code=status)

    async def deliveries(request: Request) -> Response:
        params = request.query_params
        try:
            limit = _limit(params.get("limit"))
        except Invalid as exc:
            return exc.response()
        lines, total = store.query(
            limit, payment_id=params.get("payment_id"), webhook_id=params.get("webhook_id")
        )
        # The stored JSON lines joined as they are: no parse and re-encode of thousands.
        body = '{"data":[' + ",".join(lines) + '],"total":' + str(total) + "}"
        return Response(body, media_type="application/json")

    async def clear(_: Request) -> JSONResponse:
        store.clear()
        return JSONResponse({"cleared": True})

    async def get_control(_: Request) -> JSONResponse:
        return JSONResponse(policy.describe())

    async def control(request: Request) -> JSONResponse:
        try:
            change = ControlRequest.parse(await request.body())
        except Invalid as exc:
            return exc.response()
        if change.failure_rate is not None:
            policy.failure_rate = change.failure_rate
        if change.fail_for_seconds is not None:
            policy.fail_until = time.monotonic() + change.fail_for_seconds
        for extra in change.add_secrets or ():
            webhooks.append(Webhook(extra))
        return JSONResponse(policy.describe())

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(
        routes=[
            Route("/webhooks", receive, methods=["POST"]),
            Route("/deliveries", deliveries, methods=["GET"]),
            Route("/deliveries", clear, methods=["DELETE"]),
            Route("/control", get_control, methods=["GET"]),
            Route("/control", control, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        middleware=[
            Middleware(
                CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
            )
        ],
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.policy = policy
    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from shared.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m devstack.receiver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--secret", default=None, help="defaults to PAYGATE_DEMO_WEBHOOK_SECRET")
    args = parser.parse_args(argv)
    if not 0.0 <= args.failure_rate <= 1.0:
        parser.error("--failure-rate must be between 0 and 1")
    secret = args.secret or get_settings().demo_webhook_secret
    app = create_app(secret, args.failure_rate, args.seed, args.data_dir)
    print(
        f"demo merchant receiving webhooks at http://{args.host}:{args.port}/webhooks "
        f"(failure rate {args.failure_rate:g})",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

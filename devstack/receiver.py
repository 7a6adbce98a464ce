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

from fastapi import FastAPI, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from standardwebhooks import Webhook

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


class ControlRequest(BaseModel):
    failure_rate: float | None = Field(None, ge=0.0, le=1.0)
    fail_for_seconds: float | None = Field(None, ge=0.0)
    add_secrets: list[str] | None = Field(None, max_length=100)


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
) -> FastAPI:
    """The receiver app; `data_dir=None` keeps deliveries in memory only."""
    webhooks = [Webhook(secret)]
    store = DeliveryStore(data_dir)
    policy = FailurePolicy(failure_rate=failure_rate, seed=seed)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(title="paygate demo merchant", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
    )
    app.state.store = store
    app.state.policy = policy

    @app.post("/webhooks")
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
        answers: dict[int, dict[str, Any]] = {
            200: {"received": True},
            400: {"error": "invalid signature"},
            500: {"error": "simulated merchant failure"},
        }
        answer = answers[status]
        return JSONResponse({**answer, "attempt": record["attempt"]}, status_code=status)

    @app.get("/deliveries")
    async def deliveries(
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        payment_id: str | None = None,
        webhook_id: str | None = None,
    ) -> dict[str, Any]:
        data, total = store.query(limit, payment_id=payment_id, webhook_id=webhook_id)
        return {"data": data, "total": total}

    @app.delete("/deliveries")
    async def clear() -> dict[str, Any]:
        store.clear()
        return {"cleared": True}

    @app.get("/control")
    async def get_control() -> dict[str, Any]:
        return policy.describe()

    @app.post("/control")
    async def control(change: ControlRequest) -> dict[str, Any]:
        if change.failure_rate is not None:
            policy.failure_rate = change.failure_rate
        if change.fail_for_seconds is not None:
            policy.fail_until = time.monotonic() + change.fail_for_seconds
        for extra in change.add_secrets or ():
            webhooks.append(Webhook(extra))
        return policy.describe()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

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

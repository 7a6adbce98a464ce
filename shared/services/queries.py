"""Read-side use cases: one payment with its timeline and deliveries, and the payment list."""

from __future__ import annotations

import json
from typing import Any

from shared.domain.clock import iso
from shared.domain.errors import InvalidRequest, NotFound
from shared.domain.ids import PAYMENT, has_prefix
from shared.domain.payment import public_event, public_payment
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway

MAX_PAGE = 100


def public_attempt(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "attempt": record["attempt"],
        "round": record.get("round", 0),
        "status_code": record.get("status_code"),
        "duration_ms": record.get("duration_ms"),
        "error": record.get("error"),
        "at": iso(record.get("at")),
    }


def public_delivery(record: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": record["_id"],
        "object": "webhook_delivery",
        "payment_id": record["payment_id"],
        "endpoint_id": record["endpoint_id"],
        "endpoint_url": record["endpoint_url"],
        "event_id": record["event_id"],
        "event_type": record["event_type"],
        "status": record["status"],
        "attempt_count": record.get("attempt_count", 0),
        "created_at": iso(record.get("created_at")),
        "updated_at": iso(record.get("updated_at")),
        "payload": json.loads(record["body"]),
        "attempts": [public_attempt(a) for a in attempts if a["delivery_id"] == record["_id"]],
    }


async def get_payment(gw: Gateway, merchant_id: str, payment_id: str) -> dict[str, Any]:
    payment = await gw.payments.get(payment_id, merchant_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}", param="id")
    events = await gw.payments.events_of(payment_id)
    deliveries = await gw.webhooks.deliveries_of(payment_id)
    attempts = await gw.webhooks.attempts_of([d["_id"] for d in deliveries])
    return {
        **public_payment(payment),
        "events": [public_event(e) for e in events],
        "webhook_deliveries": [public_delivery(d, attempts) for d in deliveries],
    }


def _cursor(value: str | None, name: str) -> str | None:
    if value is not None and not has_prefix(value, PAYMENT):
        raise InvalidRequest(f"{name} must be a payment id (pay_…)", param=name)
    return value


async def list_payments(
    gw: Gateway,
    merchant_id: str,
    *,
    limit: int = 10,
    status: str | None = None,
    user_id: str | None = None,
    starting_after: str | None = None,
    ending_before: str | None = None,
) -> dict[str, Any]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}", param="limit")
    if status is not None and status not in PaymentStatus.__members__:
        raise InvalidRequest(
            f"status must be one of {', '.join(PaymentStatus.__members__)}", param="status"
        )
    if starting_after and ending_before:
        raise InvalidRequest(
            "starting_after and ending_before are mutually exclusive", param="ending_before"
        )
    page, has_more = await gw.payments.page(
        merchant_id,
        limit=limit,
        status=status,
        user_id=user_id,
        starting_after=_cursor(starting_after, "starting_after"),
        ending_before=_cursor(ending_before, "ending_before"),
    )
    return {
        "object": "list",
        "url": "/v1/payments",
        "data": [public_payment(p) for p in page],
        "has_more": has_more,
    }

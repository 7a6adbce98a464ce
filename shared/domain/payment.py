"""A payment as stored and as shown: building the record and its public view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.clock import iso
from shared.domain.payment_methods import stored_method
from shared.domain.requests import PaymentCreate
from shared.domain.simulator import magic_outcome_key
from shared.domain.states import PaymentStatus, WebhookStatus

PUBLIC_FIELDS = (
    "amount",
    "currency",
    "payment_method",
    "user_id",
    "description",
    "status",
    "attempts",
    "max_attempts",
    "retry_count",
    "failure",
    "webhook_status",
    "idempotency_key",
    "metadata",
    "scenario",
)


def new_payment_record(
    *,
    payment_id: str,
    merchant_id: str,
    idempotency_key: str,
    fingerprint: str,
    request: PaymentCreate,
    max_attempts: int,
    now: datetime,
) -> dict[str, Any]:
    """The stored document of a payment just created (status CREATED, generation 1)."""
    method = request.payment_method.model_dump(exclude_none=True)
    record: dict[str, Any] = {
        "_id": payment_id,
        "merchant_id": merchant_id,
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "amount": request.amount,
        "currency": request.currency.upper(),
        "payment_method": stored_method(method),
        "user_id": request.user_id,
        "description": request.description,
        "metadata": request.metadata,
        "scenario": request.scenario.value if request.scenario else None,
        "magic": magic_outcome_key(method),
        "status": PaymentStatus.CREATED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "retry_count": 0,
        "generation": 1,
        "version": 0,
        "failure": None,
        "webhook_status": WebhookStatus.PENDING.value,
        "published": True,
        "lease_until": None,
        "created_at": now,
        "updated_at": now,
        "finalized_at": None,
    }
    return record


def public_payment(record: dict[str, Any]) -> dict[str, Any]:
    """The payment object of the public API."""
    view: dict[str, Any] = {"id": record["_id"], "object": "payment"}
    for field in PUBLIC_FIELDS:
        view[field] = record.get(field)
    view["created_at"] = iso(record.get("created_at"))
    view["updated_at"] = iso(record.get("updated_at"))
    view["finalized_at"] = iso(record.get("finalized_at"))
    return view


def public_event(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["_id"],
        "object": "payment_event",
        "from": record.get("from"),
        "to": record["to"],
        "at": iso(record["at"]),
        "attempt": record.get("attempt"),
        "generation": record.get("generation"),
        "reason": record.get("reason"),
        "actor": record.get("actor"),
        "qstash_message_id": record.get("qstash_message_id"),
    }

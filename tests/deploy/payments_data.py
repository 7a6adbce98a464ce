"""Payment documents as the repository stores them, for inserting straight into Mongo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ulid import ULID


def payment_doc(
    merchant_id: str,
    *,
    status: str,
    amount: int,
    currency: str,
    created_at: datetime,
    finalized_at: datetime | None,
) -> dict[str, Any]:
    payment_id = f"pay_{ULID()}"
    failure = (
        {"code": "card_declined", "message": "The card was declined"}
        if status == "FAILED"
        else None
    )
    return {
        "_id": payment_id,
        "merchant_id": merchant_id,
        "idempotency_key": f"key-{payment_id}",
        "fingerprint": "0" * 64,
        "amount": amount,
        "currency": currency,
        "payment_method": {"type": "card", "brand": "visa", "last4": "4242"},
        "user_id": "user_deploy",
        "description": None,
        "metadata": {},
        "scenario": None,
        "magic": None,
        "status": status,
        "attempts": 1,
        "max_attempts": 3,
        "retry_count": 0,
        "generation": 1,
        "version": 2,
        "failure": failure,
        "webhook_status": "SKIPPED",
        "published": True,
        "lease_until": None,
        "created_at": created_at,
        "updated_at": finalized_at or created_at,
        "finalized_at": finalized_at,
    }

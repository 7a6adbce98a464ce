"""Webhook events and Standard Webhooks signatures (`v1,<base64 HMAC-SHA256>`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any, Literal, get_args

SECRET_PREFIX = "whsec_"
SUCCEEDED = "payment.succeeded"
FAILED = "payment.failed"
RETRYING = "payment.retrying"
REQUIRES_CAPTURE = "payment.requires_capture"
CANCELED = "payment.canceled"
REFUND_SUCCEEDED = "refund.succeeded"
REFUND_FAILED = "refund.failed"
DISPUTE_CREATED = "dispute.created"
DISPUTE_CLOSED = "dispute.closed"
EventType = Literal[
    "payment.succeeded",
    "payment.failed",
    "payment.retrying",
    "payment.requires_capture",
    "payment.canceled",
    "refund.succeeded",
    "refund.failed",
    "dispute.created",
    "dispute.closed",
]
# In this order in the API's enum, the docs and `paygate trigger --list`.
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
# Everything but the noisy per-attempt payment.retrying.
DEFAULT_EVENT_TYPES: tuple[EventType, ...] = tuple(t for t in EVENT_TYPES if t != RETRYING)


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def _secret_bytes(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """One `v1,…` signature over `{id}.{timestamp}.{body}`."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], message_id: str, timestamp: int, body: str) -> str:
    """Space-separated signatures, one per active secret (both during a rotation overlap)."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


def build_event(
    message_id: str, event_type: str, created_at: str, data: dict[str, Any]
) -> dict[str, Any]:
    """`data` is the object the event is about (a payment, a refund, a dispute)."""
    return {"id": message_id, "type": event_type, "created_at": created_at, "data": data}


@dataclass(frozen=True)
class EventSource:
    """What an event is about and where its deliveries belong.

    Deliveries are listed with their payment (`payment_id`); `object_id` is the payment, refund
    or dispute the event carries as `data`. Only a payment's own settling events count towards
    its `webhook_status` (`summarised`); a refund's or dispute's are tracked per delivery.
    """

    merchant_id: str
    payment_id: str
    object_id: str
    data: dict[str, Any]
    generation: int = 1
    occurrence: int = 0  # tells apart repeats of one event type (payment.retrying per attempt)
    summarised: bool = False
    # The payment's webhook_epoch when a summarised event is fanned out (see webhook_fanout).
    epoch: int = 0
    # The simulator's draw key: the client's idempotency key behind the event (never an id the
    # stack generated), so a seeded run's webhook chaos is the same on any stack.
    chaos_key: str | None = None

    def delivery_chaos_key(self, event_type: str) -> str:
        base = self.chaos_key or self.object_id
        return f"{base}:{event_type}:g{self.generation}:{self.occurrence}"


@dataclass(frozen=True)
class SendResult:
    """One POST to a merchant endpoint: its status (None if no answer), how long, what failed."""

    status_code: int | None
    duration_ms: float
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

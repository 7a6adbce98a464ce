"""Webhook events and Standard Webhooks signatures (`v1,<base64 HMAC-SHA256>`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

SECRET_PREFIX = "whsec_"
SUCCEEDED = "payment.succeeded"
FAILED = "payment.failed"
RETRYING = "payment.retrying"


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
    message_id: str, event_type: str, created_at: str, payment: dict[str, Any]
) -> dict[str, Any]:
    return {"id": message_id, "type": event_type, "created_at": created_at, "data": payment}


@dataclass(frozen=True)
class SendResult:
    """One POST to a merchant endpoint: its status (None if no answer), how long, what failed."""

    status_code: int | None
    duration_ms: float
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

"""Prefixed, time-ordered object ids (`pay_01J…`), so a wrong-type id stands out."""

from __future__ import annotations

import hashlib

from ulid import ULID

PAYMENT = "pay"
REFUND = "re"
DISPUTE = "dp"
WEBHOOK_ENDPOINT = "we"
WEBHOOK_DELIVERY = "whd"
EVENT = "evt"  # a webhook event (its `webhook-id`)
ATTEMPT = "wha"


def new_id(prefix: str) -> str:
    """A fresh id whose lexical order is its creation order (ULID)."""
    return f"{prefix}_{ULID()}"


def derived_id(prefix: str, *parts: object) -> str:
    """A deterministic id for something that must be created once however often it is retried."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:26]
    return f"{prefix}_{digest}"


def has_prefix(value: str, prefix: str) -> bool:
    return value.startswith(prefix + "_") and len(value) > len(prefix) + 1

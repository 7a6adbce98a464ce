"""Idempotency fingerprints: SHA-256 of the canonical JSON of a request body."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_fingerprint(body: Any) -> str:
    """Same JSON value (whatever the key order or whitespace) → same fingerprint."""
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()

"""Signing requests as QStash does (reference C), to call internal routes from tests."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import jwt

from shared.config import DEV_QSTASH_CURRENT_SIGNING_KEY


def qstash_signature(
    url: str,
    body: bytes,
    *,
    key: str = DEV_QSTASH_CURRENT_SIGNING_KEY,
    issued_at: int | None = None,
    lifetime_s: int = 300,
    jti: str | None = None,
) -> str:
    now = int(time.time()) if issued_at is None else issued_at
    claims = {
        "iss": "Upstash",
        "sub": url,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_s,
        "jti": jti or f"jwt_{uuid.uuid4().hex}",
        "body": base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode(),
    }
    return jwt.encode(claims, key, algorithm="HS256")

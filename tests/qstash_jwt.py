"""Signing a request as QStash does (`Upstash-Signature`, reference section C)."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import jwt

from shared.dev_credentials import DEV_QSTASH_CURRENT_SIGNING_KEY

TOKEN_LIFETIME_S = 300


def body_claim(body: bytes) -> str:
    """URL-safe base64 of the body's SHA-256, `=` padding kept (as Upstash sends it)."""
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode()


def qstash_signature(
    url: str,
    body: bytes,
    key: str = DEV_QSTASH_CURRENT_SIGNING_KEY,
    *,
    now: int | None = None,
    jti: str | None = None,
    lifetime_s: int = TOKEN_LIFETIME_S,
) -> str:
    """An HS256 JWT: iss Upstash, sub = the exact URL called, body = hash of the raw body."""
    issued = int(time.time()) if now is None else now
    claims = {
        "iss": "Upstash",
        "sub": url,
        "exp": issued + lifetime_s,
        "nbf": issued,
        "iat": issued,
        "jti": jti or f"jwt_{uuid.uuid4().hex}",
        "body": body_claim(body),
    }
    return jwt.encode(claims, key, algorithm="HS256")

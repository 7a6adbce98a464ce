"""Checking `Upstash-Signature` on internal routes, as `qstash.Receiver` does, plus replay.

Steps (reference C): HS256 JWT signed with the current key (falling back to the next key),
issuer `Upstash`, not expired, `sub` equal to the URL QStash called, `body` claim equal to the
URL-safe base64 SHA-256 of the raw body. Its `jti` is then remembered so the same signed
request cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt

from shared.domain.errors import AuthenticationFailed

CLOCK_SKEW_S = 5


class SignatureError(AuthenticationFailed):
    code = "invalid_signature"


def body_hash(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode().rstrip("=")


def _claims(token: str, key: str, url: str, body: bytes) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=["HS256"],
        issuer="Upstash",
        leeway=CLOCK_SKEW_S,
        options={"require": ["iss", "sub", "exp", "nbf", "body"]},
    )
    if claims["sub"] != url:
        raise SignatureError("signature was made for another URL")
    if str(claims["body"]).rstrip("=") != body_hash(body):
        raise SignatureError("signature does not match the body")
    return claims


def verify_signature(
    signature: str | None, body: bytes, url: str, current_key: str, next_key: str
) -> dict[str, Any]:
    """The verified claims, or SignatureError (→ 401)."""
    if not signature:
        raise SignatureError("missing Upstash-Signature header")
    last_error: Exception | None = None
    for key in (current_key, next_key):
        try:
            return _claims(signature, key, url, body)
        except (jwt.PyJWTError, SignatureError) as exc:
            last_error = exc
    message = str(last_error) if isinstance(last_error, SignatureError) else "invalid signature"
    if isinstance(last_error, jwt.ExpiredSignatureError):
        message = "signature has expired"
    raise SignatureError(message) from last_error

"""`Upstash-Signature`: an HS256 JWT over the destination URL and the SHA-256 of the body.

Signed with the *current* key (the key string's UTF-8 bytes). Keys live in memory: a
rotation lasts until the process restarts with the keys from its command line.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid

import jwt

TOKEN_LIFETIME_S = 300


class Signer:
    """Holds the current/next signing keys and signs deliveries."""

    def __init__(self, current_key: str, next_key: str) -> None:
        self.current = current_key
        self.next = next_key

    def sign(self, url: str, body: bytes) -> str:
        # int() floors: iat/nbf are never ahead of the receiver's clock.
        now = int(time.time())
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode()
        claims = {
            "iss": "Upstash",
            "sub": url,
            "exp": now + TOKEN_LIFETIME_S,
            "nbf": now,
            "iat": now,
            "jti": "jwt_" + uuid.uuid4().hex,
            "body": digest,
        }
        return jwt.encode(claims, self.current, algorithm="HS256")

    def rotate(self) -> None:
        """The next key becomes current; a fresh next key is made."""
        self.current, self.next = self.next, "sig_" + secrets.token_urlsafe(21)[:28]

"""`Upstash-Signature`: an HS256 JWT over the destination URL and the SHA-256 of the body.

Signed with the *current* key (the key string's UTF-8 bytes). Keys live in memory: a
rotation lasts until the process restarts with the keys from its command line.

The compact JWS is assembled here with `hmac` (same bytes PyJWT produces for these claims,
checked by the tests with PyJWT and the SDK's Receiver): PyJWT's key checks made signing
~10 % of the emulator's CPU under load.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid

TOKEN_LIFETIME_S = 300
_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


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
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = _HEADER + b"." + payload
        mac = hmac.new(self.current.encode(), signing_input, hashlib.sha256).digest()
        return (signing_input + b"." + _b64(mac)).decode()

    def rotate(self) -> None:
        """The next key becomes current; a fresh next key is made."""
        self.current, self.next = self.next, "sig_" + secrets.token_urlsafe(21)[:28]

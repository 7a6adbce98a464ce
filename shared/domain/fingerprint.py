"""Idempotency fingerprints: what "the same request" means, without keeping a card number.

A fingerprint is stored beside the payment's brand, last4, amount and user. An unkeyed hash of
a body holding a card number would give the number back to anyone who can read the database:
only the middle six digits or so are unknown, a few million SHA-256 guesses. So the card number
is first replaced by a keyed HMAC (the key is a secret outside the database, passed in), and
the fingerprint is the SHA-256 of the canonical JSON of the validated, normalised request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an annotation only: the request models are not imported at run time
    from shared.domain.requests import PaymentCreate


CARD_DIGEST_PREFIX = "hmac-sha256:"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_fingerprint(body: Any) -> str:
    """Same JSON value (whatever the key order or whitespace) → same fingerprint.

    Only for bodies without secrets: a payment's is `payment_fingerprint`.
    """
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def card_digest(card_number: str, key: str) -> str:
    """Keyed digest of a (normalised) card number: equal numbers match, none can be guessed."""
    mac = hmac.new(key.encode(), card_number.encode(), hashlib.sha256).hexdigest()
    return CARD_DIGEST_PREFIX + mac


def payment_fingerprint(request: PaymentCreate, card_key: str) -> str:
    """Fingerprint of a validated payment request; its card number enters only through HMAC.

    Normalised first, so `4242 4242 4242 4242` and `4242424242424242`, or a key order, are the
    same request; any field that differs (a different card included) is another request.
    """
    normalised = request.model_dump(mode="json")
    if normalised.get("simulate") is None:
        # Absent, as before `simulate` existed: a stored fingerprint stays valid.
        normalised.pop("simulate", None)
    method = normalised["payment_method"]
    if method.get("card_number") is not None:
        method["card_number"] = card_digest(method["card_number"], card_key)
    return request_fingerprint(normalised)

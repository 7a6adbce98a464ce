"""Payment fingerprints: equal requests match, any difference (another card too) does not, and
the card number enters only through a keyed HMAC (pure functions, no I/O)."""

from __future__ import annotations

import hashlib
from typing import Any

from shared.domain.fingerprint import (
    canonical_json,
    card_digest,
    payment_fingerprint,
)
from shared.domain.requests import PaymentCreate

KEY = "k" * 32
CARD = "4242424242424242"


def request(**overrides: Any) -> PaymentCreate:
    body: dict[str, Any] = {
        "amount": 1999,
        "currency": "USD",
        "payment_method": {"type": "card", "card_number": CARD},
        "user_id": "user_1",
        "metadata": {"a": "1", "b": "2"},
    }
    body.update(overrides)
    return PaymentCreate.model_validate(body)


def test_same_request_same_fingerprint_whatever_the_spelling() -> None:
    spaced = {"type": "card", "card_number": "4242 4242 4242 4242"}
    reordered = request(metadata={"b": "2", "a": "1"})
    assert payment_fingerprint(request(), KEY) == payment_fingerprint(reordered, KEY)
    assert payment_fingerprint(request(), KEY) == payment_fingerprint(
        request(payment_method=spaced), KEY
    )


def test_any_difference_is_another_fingerprint() -> None:
    base = payment_fingerprint(request(), KEY)
    others = [
        request(amount=2000),
        request(currency="EUR"),
        request(user_id="user_2"),
        request(description="d"),
        request(metadata={"a": "1"}),
        request(scenario="timeout"),
        request(payment_method={"type": "card", "card_number": "4000000000000002"}),
        request(payment_method={"type": "card"}),
        request(payment_method={"type": "upi", "vpa": "success@paygate"}),
    ]
    prints = {payment_fingerprint(other, KEY) for other in others}
    assert base not in prints and len(prints) == len(others)


def test_the_card_number_is_keyed() -> None:
    assert card_digest(CARD, KEY) == card_digest(CARD, KEY)
    assert card_digest(CARD, KEY) != card_digest(CARD, "j" * 32)
    assert payment_fingerprint(request(), KEY) != payment_fingerprint(request(), "j" * 32)
    assert CARD not in card_digest(CARD, KEY)
    # Not the unkeyed hash of the body (or of the number) that the card could be guessed from.
    raw = request().model_dump(mode="json")
    for unkeyed in (canonical_json(raw), CARD, canonical_json(raw["payment_method"])):
        assert payment_fingerprint(request(), KEY) != hashlib.sha256(unkeyed.encode()).hexdigest()
        assert hashlib.sha256(unkeyed.encode()).hexdigest() not in card_digest(CARD, KEY)


def test_simulate_is_part_of_the_fingerprint_and_its_absence_changes_nothing() -> None:
    scripted = request(simulate={"attempts": ["timeout", "success"]})
    assert payment_fingerprint(scripted, KEY) != payment_fingerprint(request(), KEY)
    assert payment_fingerprint(scripted, KEY) == payment_fingerprint(
        request(simulate={"attempts": ["timeout", "success"], "gateway_latency_ms": None}), KEY
    )
    assert payment_fingerprint(scripted, KEY) != payment_fingerprint(
        request(simulate={"attempts": ["timeout"]}), KEY
    )
    # A request without `simulate` hashes as it did before the field existed.
    before = request().model_dump(mode="json", exclude={"simulate"})
    before["payment_method"]["card_number"] = card_digest(CARD, KEY)
    assert (
        payment_fingerprint(request(), KEY)
        == hashlib.sha256(canonical_json(before).encode()).hexdigest()
    )

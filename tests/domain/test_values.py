"""Money, payment methods, fingerprints, ids and request validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.domain import ids
from shared.domain.errors import InvalidRequest
from shared.domain.fingerprint import request_fingerprint
from shared.domain.money import (
    validate_amount,
    validate_currency,
)
from shared.domain.payment_methods import card_brand, luhn_valid, mask_vpa, stored_method
from shared.domain.requests import PaymentCreate, valid_idempotency_key


def test_amount_bounds() -> None:
    assert validate_amount(1, 100) == 1
    assert validate_amount(100, 100) == 100
    for bad in (0, -5, 101):
        with pytest.raises(InvalidRequest) as info:
            validate_amount(bad, 100)
        assert info.value.param == "amount"
    with pytest.raises(InvalidRequest):
        validate_amount(True, 100)  # type: ignore[arg-type]


def test_currency_and_minor_units() -> None:
    assert validate_currency("usd", ["USD"]) == "USD"
    with pytest.raises(InvalidRequest) as info:
        validate_currency("XXX", ["USD"])
    assert info.value.code == "currency_unsupported"


def test_card_details_are_reduced_to_brand_and_last4() -> None:
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")
    assert card_brand("5555555555554444") == "mastercard"
    assert card_brand("378282246310005") == "amex"
    kept = stored_method({"type": "card", "card_number": "4242424242424242"})
    assert kept == {"type": "card", "brand": "visa", "last4": "4242"}
    assert mask_vpa("success@paygate") == "su*****@paygate"


def test_fingerprint_ignores_key_order_and_whitespace() -> None:
    a = {"amount": 100, "currency": "USD", "metadata": {"b": "2", "a": "1"}}
    b = {"metadata": {"a": "1", "b": "2"}, "currency": "USD", "amount": 100}
    assert request_fingerprint(a) == request_fingerprint(b)
    assert request_fingerprint(a) != request_fingerprint({**a, "amount": 101})


def test_ids_are_prefixed_and_time_ordered() -> None:
    first, second = ids.new_id("pay"), ids.new_id("pay")
    assert first.startswith("pay_") and ids.has_prefix(first, "pay")
    assert first < second or first[:14] == second[:14]
    assert ids.derived_id("whd", 1, "x") == ids.derived_id("whd", 1, "x")
    assert ids.derived_id("whd", 1, "x") != ids.derived_id("whd", 2, "x")


BASE = {
    "amount": 100,
    "currency": "USD",
    "payment_method": {"type": "card", "card_number": "4242 4242 4242 4242"},
    "user_id": "u1",
}


def test_valid_request_normalises_card_number() -> None:
    request = PaymentCreate.model_validate(BASE)
    assert request.payment_method.card_number == "4242424242424242"


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "100"},
        {"amount": 1.5},
        {"payment_method": {"type": "cash"}},
        {"payment_method": {"type": "upi", "vpa": "not-a-vpa"}},
        {"payment_method": {"type": "card", "vpa": "a@b"}},
        {"metadata": {f"k{i}": "v" for i in range(21)}},
        {"metadata": {"k": "v" * 501}},
        {"user_id": ""},
        {"scenario": "explode"},
        {"unexpected": 1},
    ],
)
def test_invalid_requests_are_refused(change: dict[str, object]) -> None:
    with pytest.raises((ValidationError, InvalidRequest)):
        PaymentCreate.model_validate({**BASE, **change})


def test_invalid_card_number_names_the_field() -> None:
    with pytest.raises(InvalidRequest) as info:
        PaymentCreate.model_validate(
            {**BASE, "payment_method": {"type": "card", "card_number": "4242424242424241"}}
        )
    assert info.value.param == "payment_method.card_number"


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("a", True),
        ("k" * 255, True),
        ("k" * 256, False),
        ("", False),
        ("has space", False),
        ("ü", False),
    ],
)
def test_idempotency_key_shape(key: str, ok: bool) -> None:
    assert valid_idempotency_key(key) == ok

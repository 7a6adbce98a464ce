"""Amounts in integer minor units and the currencies they are counted in."""

from __future__ import annotations

from shared.domain.errors import InvalidRequest


def validate_currency(currency: str, allowed: list[str] | tuple[str, ...]) -> str:
    code = currency.upper()
    if len(code) != 3 or not code.isalpha() or code not in allowed:
        raise InvalidRequest(
            f"currency must be one of {', '.join(allowed)}",
            code="currency_unsupported",
            param="currency",
        )
    return code


def validate_amount(amount: int, max_amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidRequest("amount must be an integer in minor units", param="amount")
    if amount <= 0:
        raise InvalidRequest(
            "amount must be greater than 0", code="amount_too_small", param="amount"
        )
    if amount > max_amount:
        raise InvalidRequest(
            f"amount must be at most {max_amount}", code="amount_too_large", param="amount"
        )
    return amount

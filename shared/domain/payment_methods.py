"""Payment method details as a gateway keeps them: never a full card number, a masked VPA."""

from __future__ import annotations

from typing import Any

from shared.domain.errors import InvalidRequest

CARD_BRANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("amex", ("34", "37")),
    ("mastercard", ("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27")),
    ("discover", ("6011", "65")),
    ("rupay", ("60", "81", "82", "508")),
    ("visa", ("4",)),
)


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    for brand, prefixes in CARD_BRANDS:
        if number.startswith(prefixes):
            return brand
    return "unknown"


def normalise_card_number(raw: str) -> str:
    number = raw.replace(" ", "").replace("-", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_valid(number):
        raise InvalidRequest(
            "card_number is not a valid card number",
            code="invalid_card_number",
            param="payment_method.card_number",
        )
    return number


def mask_vpa(vpa: str) -> str:
    """`success@paygate` → `su*****@paygate`."""
    handle, _, bank = vpa.partition("@")
    visible = handle[:2]
    return f"{visible}{'*' * max(len(handle) - 2, 1)}@{bank}"


def stored_method(method: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a payment method: type and non-sensitive details only."""
    kind = method["type"]
    if kind == "card":
        number = method.get("card_number")
        if number is None:
            return {"type": "card", "brand": "visa", "last4": "4242"}
        return {"type": "card", "brand": card_brand(number), "last4": number[-4:]}
    if kind == "upi":
        return (
            {"type": "upi", "vpa": mask_vpa(method["vpa"])}
            if method.get("vpa")
            else {"type": "upi"}
        )
    return {"type": "wallet", "wallet": method.get("wallet") or "wallet"}

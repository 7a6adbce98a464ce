"""What a load run sends: payment kinds (scenario or magic test value), the mix, the bodies.

Each kind knows the final state it must end in, so the invariant checker can hold every
payment to its scenario: `success` → SUCCESS after 1 attempt, `timeout` → FAILED after
max_attempts with code `timeout`, `flaky` → SUCCESS after 2, the magic cards and UPI
addresses as docs/api.md lists them, `random` → anything the state machine allows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

ANY = "any"
MAX = "max"

DEFAULT_CARD = "4242424242424242"


@dataclass(frozen=True)
class Kind:
    """One sort of payment in the mix and what must become of it."""

    name: str
    method: dict[str, str]
    scenario: str | None
    status: str  # SUCCESS | FAILED | any
    attempts: int | str  # a number, "max" (= the payment's max_attempts) or "any"
    failure_code: str | None = None


def _card(number: str = DEFAULT_CARD) -> dict[str, str]:
    return {"type": "card", "card_number": number}


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("success", _card(), "success", "SUCCESS", 1),
        Kind("timeout", _card(), "timeout", "FAILED", MAX, "timeout"),
        Kind("hard_failure", _card(), "hard_failure", "FAILED", 1, "card_declined"),
        Kind("flaky", _card(), "flaky", "SUCCESS", 2),
        Kind("random", _card(), "random", ANY, ANY),
        Kind("card_declined", _card("4000000000000002"), None, "FAILED", 1, "card_declined"),
        Kind(
            "insufficient_funds",
            _card("4000000000009995"),
            None,
            "FAILED",
            1,
            "insufficient_funds",
        ),
        Kind(
            "processing_error",
            _card("4000000000000119"),
            None,
            "FAILED",
            MAX,
            "processing_error",
        ),
        Kind("upi_success", {"type": "upi", "vpa": "success@paygate"}, None, "SUCCESS", 1),
        Kind(
            "upi_failure",
            {"type": "upi", "vpa": "failure@paygate"},
            None,
            "FAILED",
            1,
            "upi_declined",
        ),
        Kind(
            "upi_timeout", {"type": "upi", "vpa": "timeout@paygate"}, None, "FAILED", MAX, "timeout"
        ),
        Kind("wallet_success", {"type": "wallet", "wallet": "paytm"}, "success", "SUCCESS", 1),
    )
}

# 55 % success, 15 % timeout, 15 % hard failure, 10 % flaky, 5 % random, spread a little
# over the magic cards, UPI addresses and wallets that end the same way.
DEFAULT_MIX: dict[str, float] = {
    "success": 49,
    "upi_success": 3,
    "wallet_success": 3,
    "timeout": 12,
    "upi_timeout": 1,
    "processing_error": 2,
    "hard_failure": 11,
    "card_declined": 2,
    "insufficient_funds": 1,
    "upi_failure": 1,
    "flaky": 10,
    "random": 5,
}


def parse_mix(text: str | None) -> dict[str, float]:
    """`"success=55,timeout=15,..."` → weights; None or empty → the default mix."""
    if not text:
        return dict(DEFAULT_MIX)
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.strip().partition("=")
        if name not in KINDS:
            raise ValueError(f"unknown payment kind {name!r}; known: {', '.join(KINDS)}")
        try:
            mix[name] = float(weight) if weight else 1.0
        except ValueError as exc:
            raise ValueError(f"weight of {name!r} must be a number") from exc
    if not mix or sum(mix.values()) <= 0 or any(w < 0 for w in mix.values()):
        raise ValueError("the mix needs non-negative weights with a positive sum")
    return mix


def pick_kinds(n: int, mix: dict[str, float], rng: random.Random) -> list[str]:
    """Exactly proportional counts (largest remainder), shuffled."""
    total = sum(mix.values())
    exact = {name: n * weight / total for name, weight in mix.items()}
    counts = {name: int(value) for name, value in exact.items()}
    leftovers = sorted(exact, key=lambda name: exact[name] - counts[name], reverse=True)
    for name in leftovers[: n - sum(counts.values())]:
        counts[name] += 1
    kinds = [name for name, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    return kinds


def request_body(kind: Kind, user_id: str, run_id: str, index: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 100 + index % 9_900,
        "currency": "USD",
        "payment_method": dict(kind.method),
        "user_id": user_id,
        "description": f"load {run_id} #{index}",
        "metadata": {"load_run": run_id, "kind": kind.name},
    }
    if kind.scenario is not None:
        body["scenario"] = kind.scenario
    return body

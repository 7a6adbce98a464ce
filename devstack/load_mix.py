"""What a load run sends: payment kinds (scenario or magic test value), the mix, the bodies,
and which payments get money movements.

Each kind knows the final state it must end in, so the invariant checker can hold every
payment to its scenario: `success` → SUCCESS after 1 attempt, `timeout` → FAILED after
max_attempts with code `timeout`, `flaky` → SUCCESS after 2, the magic cards and UPI
addresses as docs/api.md lists them, `random` → anything the state machine allows.

`plan_money` then picks, by `MoneyShares`: a share of payments on the dispute card
(`disputed`; half their disputes answered with winning evidence, a quarter with other
evidence, a quarter accepted), a share created with `capture_method: manual` (a quarter
captured whole, a quarter captured in part, a quarter canceled once authorised, a quarter
canceled as soon as possible), and a share of the payments that should succeed to get 1 to 3
partial refunds (a quarter of them moved to the card whose refunds fail, `refund_fails`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from devstack.load_records import (
    CANCEL_EARLY,
    CANCEL_LATE,
    CAPTURE_FULL,
    CAPTURE_PARTIAL,
    DISPUTE_ACCEPT,
    DISPUTE_LOSE,
    DISPUTE_WIN,
    MoneyPlan,
)

ANY = "any"
MAX = "max"

DEFAULT_CARD = "4242424242424242"
DISPUTE_CARD = "4000000000000259"
REFUND_FAILS_CARD = "4000000000005126"


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
        # Money movements: planned by plan_money, not part of a mix by default.
        Kind("disputed", _card(DISPUTE_CARD), None, "SUCCESS", 1),
        Kind("refund_fails", _card(REFUND_FAILS_CARD), None, "SUCCESS", 1),
    )
}
MONEY_KINDS = frozenset({"disputed", "refund_fails"})

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


@dataclass(frozen=True)
class MoneyShares:
    """Shares of a run's payments that get money movements (0 everywhere: none)."""

    captures: float = 0.1  # created with capture_method manual
    refunds: float = 0.2  # of the payments that should succeed: partially refunded
    disputes: float = 0.05  # on the dispute card

    def __post_init__(self) -> None:
        for name in ("captures", "refunds", "disputes"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1")
        if self.captures + self.disputes > 1.0:
            raise ValueError("captures and disputes together cannot exceed every payment")

    @classmethod
    def none(cls) -> MoneyShares:
        return cls(0.0, 0.0, 0.0)


CAPTURE_CYCLE = (
    (CAPTURE_FULL, None),
    (None, CANCEL_LATE),
    (CAPTURE_PARTIAL, None),
    (None, CANCEL_EARLY),
)
DISPUTE_CYCLE = (DISPUTE_WIN, DISPUTE_ACCEPT, DISPUTE_WIN, DISPUTE_LOSE)
REFUND_FAILS_EVERY = 4  # every fourth refunded payment is on the card whose refunds fail


def plan_money(
    kinds: list[str], shares: MoneyShares, rng: random.Random
) -> tuple[list[str], list[MoneyPlan | None]]:
    """The kinds (some moved to `disputed` / `refund_fails`) and a plan per payment."""
    kinds = list(kinds)
    plans: list[MoneyPlan | None] = [None] * len(kinds)
    order = list(range(len(kinds)))
    rng.shuffle(order)
    disputed = order[: round(len(kinds) * shares.disputes)]
    manual = order[len(disputed) : len(disputed) + round(len(kinds) * shares.captures)]
    for number, index in enumerate(disputed):
        kinds[index] = "disputed"
        plans[index] = MoneyPlan(dispute=DISPUTE_CYCLE[number % len(DISPUTE_CYCLE)])
    for number, index in enumerate(manual):
        capture, cancel = CAPTURE_CYCLE[number % len(CAPTURE_CYCLE)]
        plans[index] = MoneyPlan(capture=capture, cancel=cancel)
    # Refunds need a SUCCESS: automatic payments that should succeed, or ones to be captured.
    candidates = [
        index
        for index in order
        if kinds[index] not in MONEY_KINDS
        and KINDS[kinds[index]].status != "FAILED"
        and ((existing := plans[index]) is None or existing.capture is not None)
    ]
    for number, index in enumerate(candidates[: round(len(candidates) * shares.refunds)]):
        plan = plans[index] or MoneyPlan()
        plan.refunds = 1 + number % 3
        plans[index] = plan
        if number % REFUND_FAILS_EVERY == REFUND_FAILS_EVERY - 1:
            kinds[index] = "refund_fails"
    return kinds, plans


def request_body(
    kind: Kind, user_id: str, run_id: str, index: int, *, manual: bool = False
) -> dict[str, Any]:
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
    if manual:
        body["capture_method"] = "manual"
    return body

"""The simulated gateway: which outcome an attempt gets, and how long it pretends to take.

Precedence: the request's `scenario` → magic test card numbers / UPI addresses → a weighted
random mix. The random draw is seeded per (seed, payment, generation, attempt), so a run with
`PAYGATE_SIMULATOR_SEED` set replays exactly, whatever order deliveries arrive in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class OutcomeKind(StrEnum):
    SUCCESS = "success"
    TIMEOUT = "timeout"  # retried
    PROCESSING_ERROR = "processing_error"  # retried
    HARD_FAILURE = "hard_failure"  # final at once


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    code: str | None = None
    message: str | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in (OutcomeKind.TIMEOUT, OutcomeKind.PROCESSING_ERROR)


SUCCESS = Outcome(OutcomeKind.SUCCESS)
TIMEOUT = Outcome(OutcomeKind.TIMEOUT, "timeout", "The gateway did not answer in time")
PROCESSING_ERROR = Outcome(
    OutcomeKind.PROCESSING_ERROR, "processing_error", "The gateway could not process the payment"
)
DECLINED = Outcome(OutcomeKind.HARD_FAILURE, "card_declined", "The card was declined")
INSUFFICIENT_FUNDS = Outcome(
    OutcomeKind.HARD_FAILURE, "insufficient_funds", "The account has insufficient funds"
)
UPI_FAILURE = Outcome(
    OutcomeKind.HARD_FAILURE, "upi_declined", "The UPI payment was declined by the payer's bank"
)
MAGIC_CARDS: dict[str, Outcome] = {
    "4242424242424242": SUCCESS,
    "4000000000000002": DECLINED,
    "4000000000009995": INSUFFICIENT_FUNDS,
    "4000000000000119": PROCESSING_ERROR,
}
MAGIC_VPAS: dict[str, Outcome] = {
    "success@paygate": SUCCESS,
    "failure@paygate": UPI_FAILURE,
    "timeout@paygate": TIMEOUT,
}
# Cards that succeed as payments but carry a later behaviour, stored under their own key.
MAGIC_REFUND_FAILS = "magic_refund_fails"  # 4000000000005126: every refund of it fails
MAGIC_DISPUTE = "magic_dispute"  # 4000000000000259: a dispute opens after it succeeds
MAGIC_CARD_KEYS = {"4000000000005126": MAGIC_REFUND_FAILS, "4000000000000259": MAGIC_DISPUTE}
REFUND_DECLINED = Outcome(
    OutcomeKind.HARD_FAILURE, "expired_or_canceled_card", "The refund could not be sent to the card"
)
RANDOM_HARD_FAILURES = (DECLINED, INSUFFICIENT_FUNDS)
# Stored instead of the magic value itself, so no card number is ever kept.
MAGIC_OUTCOMES: dict[str, Outcome] = {
    "magic_success": SUCCESS,
    "magic_card_declined": DECLINED,
    "magic_insufficient_funds": INSUFFICIENT_FUNDS,
    "magic_processing_error": PROCESSING_ERROR,
    "magic_upi_declined": UPI_FAILURE,
    "magic_timeout": TIMEOUT,
    MAGIC_REFUND_FAILS: SUCCESS,
    MAGIC_DISPUTE: SUCCESS,
}


@dataclass(frozen=True)
class SimulationInput:
    payment_id: str
    generation: int
    attempt: int  # 1-based, within the generation
    scenario: str | None
    magic: str | None = None  # a MAGIC_OUTCOMES key, see magic_outcome_key()


def magic_outcome_key(method: dict[str, object]) -> str | None:
    """Which magic test value a payment method carries, as an outcome name (never the value)."""
    outcome: Outcome | None = None
    number = method.get("card_number")
    vpa = method.get("vpa")
    if isinstance(number, str):
        if number in MAGIC_CARD_KEYS:
            return MAGIC_CARD_KEYS[number]
        outcome = MAGIC_CARDS.get(number)
    elif isinstance(vpa, str):
        outcome = MAGIC_VPAS.get(vpa.lower())
    if outcome is None:
        return None
    return "magic_" + (outcome.code or outcome.kind.value)


def refund_outcome(magic: str | None) -> Outcome:
    """How the simulated gateway answers a refund of a payment carrying `magic`."""
    return REFUND_DECLINED if magic == MAGIC_REFUND_FAILS else SUCCESS


def _rng(seed: int | None, sim: SimulationInput) -> random.Random:
    if seed is None:
        return random.Random()
    return random.Random(f"{seed}:{sim.payment_id}:{sim.generation}:{sim.attempt}")


def decide_outcome(sim: SimulationInput, weights: list[int], seed: int | None = None) -> Outcome:
    scenario = sim.scenario
    if scenario == "success":
        return SUCCESS
    if scenario == "timeout":
        return TIMEOUT
    if scenario == "hard_failure":
        return DECLINED
    if scenario == "flaky":
        return TIMEOUT if sim.attempt == 1 else SUCCESS
    if scenario != "random" and sim.magic in MAGIC_OUTCOMES:
        return MAGIC_OUTCOMES[sim.magic]
    rng = _rng(seed, sim)
    kind = rng.choices(
        (OutcomeKind.SUCCESS, OutcomeKind.TIMEOUT, OutcomeKind.HARD_FAILURE), weights=weights
    )[0]
    if kind == OutcomeKind.SUCCESS:
        return SUCCESS
    if kind == OutcomeKind.TIMEOUT:
        return TIMEOUT
    return rng.choice(RANDOM_HARD_FAILURES)


def simulated_latency_s(
    sim: SimulationInput, latency_ms: list[int], seed: int | None, budget_s: float
) -> float:
    """How long the gateway 'takes', never more than the caller's remaining budget."""
    low, high = latency_ms
    drawn = _rng(seed, sim).uniform(low, high) / 1000 if high > 0 else 0.0
    return max(0.0, min(drawn, budget_s))

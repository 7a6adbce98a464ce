"""The simulated gateway: which outcome an attempt gets, and how long it pretends to take.

Precedence, per attempt: the request's `simulate.attempts` script → its `scenario` → magic
test card numbers / UPI addresses → the merchant's weighted mix. Every random choice is a
`draw(seed, idempotency key, attempt, purpose)`, so with a seed the outcome and latency of
each attempt are a pure function of what the merchant sent: the same keys replay the same
run on any stack, whatever payment ids it hands out or the order deliveries arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.domain.simulator_settings import (
    LatencyRange,
    choose_index,
    draw_ms,
)


class OutcomeKind(StrEnum):
    SUCCESS = "success"
    TIMEOUT = "timeout"  # retried
    PROCESSING_ERROR = "processing_error"  # retried
    HARD_FAILURE = "hard_failure"  # final at once


TRY_AGAIN_LATER = "try_again_later"
DO_NOT_TRY_AGAIN = "do_not_try_again"
CONFIRM_CARD_DATA = "confirm_card_data"


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    code: str | None = None
    message: str | None = None
    advice_code: str | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in (OutcomeKind.TIMEOUT, OutcomeKind.PROCESSING_ERROR)


def _decline(code: str, message: str, advice: str) -> Outcome:
    return Outcome(OutcomeKind.HARD_FAILURE, code, message, advice)


SUCCESS = Outcome(OutcomeKind.SUCCESS)
TIMEOUT = Outcome(
    OutcomeKind.TIMEOUT, "timeout", "The gateway did not answer in time", TRY_AGAIN_LATER
)
PROCESSING_ERROR = Outcome(
    OutcomeKind.PROCESSING_ERROR,
    "processing_error",
    "An error occurred while processing the card",
    TRY_AGAIN_LATER,
)
DECLINED = _decline("card_declined", "The card was declined", DO_NOT_TRY_AGAIN)
# The decline catalog (DESIGN.md, "Simulator"): every final failure a card can get.
CARD_DECLINES: dict[str, Outcome] = {
    outcome.code or "": outcome
    for outcome in (
        DECLINED,
        _decline("insufficient_funds", "The card has insufficient funds", TRY_AGAIN_LATER),
        _decline("lost_card", "The card was reported lost", DO_NOT_TRY_AGAIN),
        _decline("stolen_card", "The card was reported stolen", DO_NOT_TRY_AGAIN),
        _decline("expired_card", "The card has expired", CONFIRM_CARD_DATA),
        _decline("incorrect_cvc", "The card's security code is incorrect", CONFIRM_CARD_DATA),
        _decline("fraudulent", "The payment was blocked as likely fraudulent", DO_NOT_TRY_AGAIN),
        _decline(
            "card_velocity_exceeded",
            "The card has exceeded its amount or frequency limit",
            TRY_AGAIN_LATER,
        ),
    )
}
INSUFFICIENT_FUNDS = CARD_DECLINES["insufficient_funds"]
UPI_FAILURE = _decline(
    "upi_declined", "The UPI payment was declined by the payer's bank", DO_NOT_TRY_AGAIN
)
DECLINES: dict[str, Outcome] = {**CARD_DECLINES, "upi_declined": UPI_FAILURE}
MAGIC_CARDS: dict[str, Outcome] = {
    "4242424242424242": SUCCESS,
    "4000000000000002": DECLINED,
    "4000000000009995": INSUFFICIENT_FUNDS,
    "4000000000009987": CARD_DECLINES["lost_card"],
    "4000000000009979": CARD_DECLINES["stolen_card"],
    "4000000000000069": CARD_DECLINES["expired_card"],
    "4000000000000127": CARD_DECLINES["incorrect_cvc"],
    "4100000000000019": CARD_DECLINES["fraudulent"],
    "4000000000006975": CARD_DECLINES["card_velocity_exceeded"],
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
# What the weighted mix's hard failures are drawn from (a UPI payment's is upi_declined).
RANDOM_HARD_FAILURES = tuple(CARD_DECLINES.values())


def _magic_key(outcome: Outcome) -> str:
    return "magic_" + (outcome.code or outcome.kind.value)


# Stored instead of the magic value itself, so no card number is ever kept.
MAGIC_OUTCOMES: dict[str, Outcome] = {
    **{_magic_key(o): o for o in (*MAGIC_CARDS.values(), *MAGIC_VPAS.values())},
    MAGIC_REFUND_FAILS: SUCCESS,
    MAGIC_DISPUTE: SUCCESS,
}

# --- scripted attempts (a payment's `simulate.attempts`) -------------------------------
SCRIPT_OUTCOMES: dict[str, Outcome] = {
    "success": SUCCESS,
    "timeout": TIMEOUT,
    "processing_error": PROCESSING_ERROR,
}
DECLINE_PREFIX = "decline:"


def script_entry_problem(entry: str) -> str | None:
    """Why `entry` is not a script entry, or None if it is one."""
    if entry in SCRIPT_OUTCOMES or entry == "decline":
        return None
    if entry.startswith(DECLINE_PREFIX) and entry.removeprefix(DECLINE_PREFIX) in DECLINES:
        return None
    shown = entry if len(entry) <= 60 else entry[:60] + "…"
    return (
        f"unknown attempt {shown!r}: use success, timeout, processing_error, decline or "
        f"decline:<code> with a code among {', '.join(DECLINES)}"
    )


def scripted_outcome(script: tuple[str, ...], attempt: int, method_type: str) -> Outcome:
    """Attempt n (1-based) takes entry n; the last entry repeats."""
    entry = script[min(attempt, len(script)) - 1]
    if entry == "decline":
        return UPI_FAILURE if method_type == "upi" else DECLINED
    if entry.startswith(DECLINE_PREFIX):
        return DECLINES[entry.removeprefix(DECLINE_PREFIX)]
    return SCRIPT_OUTCOMES[entry]


@dataclass(frozen=True)
class Simulate:
    """A payment's `simulate`: its attempt script and a fixed gateway latency (either may be
    None). It overrides the scenario, magic values and the merchant's settings."""

    attempts: tuple[str, ...] | None = None
    gateway_latency_ms: int | None = None


@dataclass(frozen=True)
class SimulationInput:
    idempotency_key: str
    attempt: int  # 1-based, within the generation (a manual retry starts again at 1)
    scenario: str | None
    magic: str | None = None  # a MAGIC_OUTCOMES key, see magic_outcome_key()
    number: int | None = None  # 1-based across generations; draws and scripts use it
    script: tuple[str, ...] | None = None
    method_type: str = "card"

    @property
    def overall(self) -> int:
        return self.attempt if self.number is None else self.number


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
    return _magic_key(outcome)


def refund_outcome(magic: str | None) -> Outcome:
    """How the simulated gateway answers a refund of a payment carrying `magic`."""
    return REFUND_DECLINED if magic == MAGIC_REFUND_FAILS else SUCCESS


def decide_outcome(sim: SimulationInput, weights: list[int], seed: int | None = None) -> Outcome:
    if sim.script:
        return scripted_outcome(sim.script, sim.overall, sim.method_type)
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
    key, number = sim.idempotency_key, sim.overall
    kind = choose_index(weights, seed, key, number, "outcome")
    if kind == 0:
        return SUCCESS
    if kind == 1:
        return TIMEOUT
    if sim.method_type == "upi":
        return UPI_FAILURE
    pick = choose_index([1] * len(RANDOM_HARD_FAILURES), seed, key, number, "decline")
    return RANDOM_HARD_FAILURES[pick]


def simulated_latency_s(
    sim: SimulationInput,
    latency_ms: LatencyRange,
    seed: int | None,
    budget_s: float,
    fixed_ms: int | None = None,
) -> float:
    """How long the gateway 'takes' (`fixed_ms` if the request scripted it), never more than
    the caller's remaining budget."""
    if fixed_ms is None:
        fixed_ms = draw_ms(latency_ms, seed, sim.idempotency_key, sim.overall, "gateway_latency")
    return max(0.0, min(fixed_ms / 1000, budget_s))

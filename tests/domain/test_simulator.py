"""Outcome precedence: scenario → magic values → seeded weighted mix."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.domain.simulator import (
    MAGIC_CARDS,
    MAGIC_VPAS,
    OutcomeKind,
    SimulationInput,
    decide_outcome,
    magic_outcome_key,
    simulated_latency_s,
)
from shared.domain.simulator_settings import LatencyRange

WEIGHTS = [70, 15, 15]


def sim(
    scenario: str | None = None,
    magic: str | None = None,
    attempt: int = 1,
    key: str = "key_1",
) -> SimulationInput:
    return SimulationInput(idempotency_key=key, attempt=attempt, scenario=scenario, magic=magic)


@pytest.mark.parametrize(
    ("scenario", "attempt", "kind"),
    [
        ("success", 1, OutcomeKind.SUCCESS),
        ("timeout", 3, OutcomeKind.TIMEOUT),
        ("hard_failure", 1, OutcomeKind.HARD_FAILURE),
        ("flaky", 1, OutcomeKind.TIMEOUT),
        ("flaky", 2, OutcomeKind.SUCCESS),
    ],
)
def test_scenarios(scenario: str, attempt: int, kind: OutcomeKind) -> None:
    assert decide_outcome(sim(scenario, attempt=attempt), WEIGHTS).kind == kind


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ({"card_number": "4242424242424242"}, None),
        ({"card_number": "4000000000000002"}, "card_declined"),
        ({"card_number": "4000000000009995"}, "insufficient_funds"),
        ({"card_number": "4000000000000119"}, "processing_error"),
        ({"vpa": "success@paygate"}, None),
        ({"vpa": "failure@paygate"}, "upi_declined"),
        ({"vpa": "timeout@paygate"}, "timeout"),
    ],
)
def test_magic_values_decide_the_outcome(method: dict[str, str], code: str | None) -> None:
    key = magic_outcome_key(method)
    assert key is not None and "4242" not in key and "@" not in key
    assert decide_outcome(sim(magic=key), WEIGHTS).code == code


def test_scenario_beats_magic_value() -> None:
    key = magic_outcome_key({"card_number": "4000000000000002"})
    assert decide_outcome(sim("success", magic=key), WEIGHTS).kind == OutcomeKind.SUCCESS


def test_ordinary_card_is_not_magic() -> None:
    assert magic_outcome_key({"card_number": "4111111111111111"}) is None
    assert set(MAGIC_CARDS) and set(MAGIC_VPAS)


def test_seeded_mix_replays_and_follows_weights() -> None:
    draws = [decide_outcome(sim(key=f"key_{i}"), WEIGHTS, seed=7).kind for i in range(3000)]
    again = [decide_outcome(sim(key=f"key_{i}"), WEIGHTS, seed=7).kind for i in range(3000)]
    assert draws == again
    share = Counter(draws)
    assert 0.66 < share[OutcomeKind.SUCCESS] / 3000 < 0.74
    assert 0.12 < share[OutcomeKind.TIMEOUT] / 3000 < 0.18
    assert 0.12 < share[OutcomeKind.HARD_FAILURE] / 3000 < 0.18


def test_latency_never_exceeds_the_budget() -> None:
    assert simulated_latency_s(sim(), LatencyRange(100, 200), 1, budget_s=0.05) == 0.05
    assert 0.1 <= simulated_latency_s(sim(), LatencyRange(100, 200), 1, budget_s=10) <= 0.2
    assert simulated_latency_s(sim(), LatencyRange(0, 0), None, budget_s=10) == 0.0
    assert simulated_latency_s(sim(), LatencyRange(50, 60), None, budget_s=-1) == 0.0

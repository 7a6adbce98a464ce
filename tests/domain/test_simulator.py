"""Outcome precedence: script → scenario → magic values → seeded weighted mix."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.domain.simulator import (
    CARD_DECLINES,
    MAGIC_CARDS,
    MAGIC_VPAS,
    OutcomeKind,
    SimulationInput,
    decide_outcome,
    magic_outcome_key,
    script_entry_problem,
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
        ({"card_number": "4000000000009987"}, "lost_card"),
        ({"card_number": "4000000000009979"}, "stolen_card"),
        ({"card_number": "4000000000000069"}, "expired_card"),
        ({"card_number": "4000000000000127"}, "incorrect_cvc"),
        ({"card_number": "4100000000000019"}, "fraudulent"),
        ({"card_number": "4000000000006975"}, "card_velocity_exceeded"),
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


def test_seeded_outcome_and_latency_depend_on_the_key_not_the_payment() -> None:
    """Two stacks give the same key different payment ids; the draws use only the key."""
    one = sim(key="order-1")
    assert decide_outcome(one, WEIGHTS, seed=3) == decide_outcome(sim(key="order-1"), WEIGHTS, 3)
    span = LatencyRange(0, 1000)
    assert simulated_latency_s(one, span, 3, budget_s=10) == simulated_latency_s(
        sim(key="order-1"), span, 3, budget_s=10
    )
    kinds = {decide_outcome(sim(key=f"order-{i}"), WEIGHTS, seed=3).kind for i in range(200)}
    assert len(kinds) == 3
    latencies = {simulated_latency_s(sim(key=f"o{i}"), span, 3, budget_s=10) for i in range(50)}
    assert len(latencies) > 40


def test_each_attempt_across_generations_draws_afresh() -> None:
    first = [
        decide_outcome(SimulationInput("order-1", 1, None, number=n), WEIGHTS, seed=5).kind
        for n in range(1, 200)
    ]
    again = [
        decide_outcome(SimulationInput("order-1", 1, None, number=n), WEIGHTS, seed=5).kind
        for n in range(1, 200)
    ]
    assert first == again and len(set(first)) == 3


def test_without_a_seed_outcomes_vary() -> None:
    kinds = {decide_outcome(sim(key="same"), WEIGHTS, seed=None).kind for _ in range(200)}
    assert len(kinds) == 3


def test_random_hard_failures_come_from_the_catalog() -> None:
    codes = {decide_outcome(sim(key=f"k{i}"), [0, 0, 1], seed=1).code for i in range(400)}
    assert codes == set(CARD_DECLINES)
    upi = SimulationInput("k", 1, None, method_type="upi")
    assert decide_outcome(upi, [0, 0, 1], seed=1).code == "upi_declined"


@pytest.mark.parametrize(
    ("script", "attempt", "code"),
    [
        (("timeout", "success"), 1, "timeout"),
        (("timeout", "success"), 2, None),
        (("timeout", "success"), 7, None),
        (("processing_error",), 3, "processing_error"),
        (("decline:stolen_card",), 1, "stolen_card"),
        (("decline",), 1, "card_declined"),
    ],
)
def test_scripts_beat_scenario_and_magic(
    script: tuple[str, ...], attempt: int, code: str | None
) -> None:
    magic = magic_outcome_key({"card_number": "4000000000000002"})
    scripted = SimulationInput("k", attempt, "timeout", magic=magic, script=script)
    assert decide_outcome(scripted, WEIGHTS).code == code


def test_script_entries_are_checked() -> None:
    assert script_entry_problem("decline:fraudulent") is None
    assert script_entry_problem("success") is None
    for bad in ("decline:", "decline:processing_error", "Success", "", "retry"):
        assert script_entry_problem(bad) is not None, bad


def test_every_catalog_decline_has_a_known_advice_code() -> None:
    advice = {"try_again_later", "do_not_try_again", "confirm_card_data"}
    assert len(CARD_DECLINES) == 8
    assert all(o.advice_code in advice and o.message for o in CARD_DECLINES.values())
    assert {o.code for o in MAGIC_CARDS.values() if o.code} == {*CARD_DECLINES, "processing_error"}

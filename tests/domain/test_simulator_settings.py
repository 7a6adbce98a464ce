"""Simulator settings as values (expiry, defaults) and the seeded draws they rest on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.errors import InvalidRequest
from shared.domain.simulator_requests import (
    SimulatorSettingsIn,
    check_settings_bounds,
    latency_limit_ms,
)
from shared.domain.simulator_settings import (
    ApiFaults,
    Baseline,
    LatencyRange,
    OutcomeWeights,
    SimulatorSettings,
    chance,
    choose_index,
    draw,
    draw_ms,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BASE = Baseline(3, OutcomeWeights(60, 20, 20), LatencyRange(1, 2))


def chaotic(expires_at: datetime | None = None) -> SimulatorSettings:
    return replace(
        SimulatorSettings.defaults(BASE, version=4, updated_at=NOW),
        expires_at=expires_at,
        seed=7,
        api=ApiFaults(0.5, "after_commit", LatencyRange(0, 10)),
    )


def test_defaults_come_from_the_baseline_and_are_default() -> None:
    settings = SimulatorSettings.defaults(BASE)
    assert (settings.seed, settings.outcome_weights, settings.gateway_latency_ms) == (
        3,
        OutcomeWeights(60, 20, 20),
        LatencyRange(1, 2),
    )
    assert settings.is_default and settings.version == 0
    assert not chaotic().is_default


def test_settings_are_in_force_until_they_expire_then_the_defaults_are() -> None:
    settings = chaotic(expires_at=NOW + timedelta(minutes=5))
    assert settings.in_force(NOW) == settings
    after = settings.in_force(NOW + timedelta(minutes=5))
    assert after.is_default and after.seed == 3 and after.api.error_rate == 0
    assert (after.version, after.updated_at, after.expires_at) == (4, NOW, settings.expires_at)
    assert chaotic().in_force(NOW + timedelta(days=999)) == chaotic()


def test_a_seeded_draw_is_a_pure_function_of_its_arguments() -> None:
    assert draw(7, "key-1", 1, "outcome") == draw(7, "key-1", 1, "outcome")
    variants = {
        draw(7, "key-1", 1, "outcome"),
        draw(8, "key-1", 1, "outcome"),
        draw(7, "key-2", 1, "outcome"),
        draw(7, "key-1", 2, "outcome"),
        draw(7, "key-1", 1, "latency"),
    }
    assert len(variants) == 5
    assert all(0 <= value < 1 for value in variants)


def test_without_a_seed_draws_vary() -> None:
    assert len({draw(None, "key-1", 1, "outcome") for _ in range(50)}) > 40


def test_draws_spread_evenly() -> None:
    values = [draw(1, f"k{i}", 1, "x") for i in range(4000)]
    assert 0.45 < sum(values) / len(values) < 0.55
    assert sum(1 for v in values if v < 0.1) in range(320, 480)


def test_chance_ms_and_index_follow_their_ranges() -> None:
    assert not chance(0, 7, "k", 1, "drop") and chance(1, 7, "k", 1, "drop")
    hits = sum(chance(0.3, 7, f"k{i}", 1, "drop") for i in range(4000))
    assert 1000 < hits < 1400
    drawn = {draw_ms(LatencyRange(5, 8), 7, f"k{i}", 1, "lat") for i in range(400)}
    assert drawn == {5, 6, 7, 8}
    assert draw_ms(LatencyRange(9, 9), None, "k", 1, "lat") == 9
    picks = {choose_index([0, 3, 0, 1], 7, f"k{i}", 1, "o") for i in range(400)}
    assert picks == {1, 3}


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "expires_at": None,
        "seed": None,
        "outcome_weights": {"success": 1, "timeout": 0, "hard_failure": 0},
        "gateway_latency_ms": {"min": 0, "max": 0},
        "api": {"error_rate": 1, "error_mode": "after_commit", "latency_ms": {"min": 0, "max": 0}},
        "webhooks": {
            "drop_rate": 0,
            "duplicate_rate": 1,
            "bad_signature_rate": 0.5,
            "delay_ms": {"min": 0, "max": 0},
        },
    }
    body.update(changes)
    return body


def test_the_put_body_becomes_settings_with_float_rates() -> None:
    settings = SimulatorSettingsIn.model_validate(_body()).to_domain(BASE)
    assert settings.api.error_rate == 1.0 and isinstance(settings.api.error_rate, float)
    assert settings.webhooks.duplicate_rate == 1.0 and settings.baseline == BASE


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"gateway_latency_ms": {"min": 0, "max": 24_001}}, "gateway_latency_ms.max"),
        ({"expires_at": "2025-12-31T23:59:59Z"}, "expires_at"),
        ({"expires_at": "2026-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_deployment_bounds(changes: dict[str, object], param: str) -> None:
    settings = SimulatorSettingsIn.model_validate(_body(**changes)).to_domain(BASE)
    with pytest.raises(InvalidRequest) as refused:
        check_settings_bounds(settings, function_timeout_s=25, now=NOW)
    assert refused.value.param == param


def test_latency_limit_keeps_a_margin_under_the_deadline() -> None:
    assert latency_limit_ms(25) == 24_000 and latency_limit_ms(0.5) == 0

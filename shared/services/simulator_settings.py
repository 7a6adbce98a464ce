"""Use cases: a merchant's simulator settings — read them (cached), replace them, reset them.

Every function reads the settings in force through `settings_in_force`, which keeps them in
a per-process cache for at most `SIMULATOR_CACHE_TTL_S` (1 s): a change made through any
function is in force in every other within 2 s (DESIGN.md), at the cost of one small read
per merchant per second per warm process.
"""

from __future__ import annotations

from typing import Any

from shared.domain.clock import utcnow
from shared.domain.simulator_settings import (
    Baseline,
    LatencyRange,
    OutcomeWeights,
    SimulatorSettings,
)
from shared.services.context import SIMULATOR_CACHE_TTL_S, Gateway, LifecycleConfig
from shared.services.validation import parse_model

SETTINGS_CACHE_TTL_S = SIMULATOR_CACHE_TTL_S


def baseline_of(config: LifecycleConfig) -> Baseline:
    """The defaults of this process: its PAYGATE_OUTCOME_WEIGHTS, _GATEWAY_LATENCY_MS, _SEED."""
    weights = config.outcome_weights
    low, high = config.gateway_latency_ms
    return Baseline(
        seed=config.simulator_seed,
        outcome_weights=OutcomeWeights(weights[0], weights[1], weights[2]),
        gateway_latency_ms=LatencyRange(low, high),
    )


async def stored_settings(gw: Gateway, merchant_id: str) -> SimulatorSettings:
    """The merchant's settings as stored (the defaults, version 0, if they never set any)."""
    baseline = baseline_of(gw.config)
    found = await gw.simulator.load(merchant_id, baseline)
    return found if found is not None else SimulatorSettings.defaults(baseline)


async def settings_in_force(gw: Gateway, merchant_id: str) -> SimulatorSettings:
    """What the simulator does for this merchant now (cached ≤ 1 s; defaults once expired)."""
    cached: SimulatorSettings | None = gw.simulator_cache.get(merchant_id)
    if cached is None:
        cached = await stored_settings(gw, merchant_id)
        gw.simulator_cache.put(merchant_id, cached)
    return cached.in_force(utcnow())


async def get_simulator(gw: Gateway, merchant_id: str) -> SimulatorSettings:
    """`GET /v1/simulator`: the settings in force, read afresh (never from the cache)."""
    return (await stored_settings(gw, merchant_id)).in_force(utcnow())


async def put_simulator(gw: Gateway, merchant_id: str, raw_body: Any) -> SimulatorSettings:
    """`PUT /v1/simulator`: validate the whole object, then one atomic write (version + 1)."""
    # Imported here: the request model is built at import, and only payments_api's route
    # (whose module already imports it) calls this; every function reads the settings in force.
    from shared.domain.simulator_requests import SimulatorSettingsIn, check_settings_bounds

    baseline = baseline_of(gw.config)
    settings = parse_model(SimulatorSettingsIn, raw_body).to_domain(baseline)
    now = utcnow()
    check_settings_bounds(settings, function_timeout_s=gw.config.function_timeout_s, now=now)
    saved = await gw.simulator.save(merchant_id, settings, now=now, baseline=baseline)
    gw.simulator_cache.drop(merchant_id)
    return saved


async def reset_simulator(gw: Gateway, merchant_id: str) -> SimulatorSettings:
    """`DELETE /v1/simulator`: back to the defaults (a write too: the version moves on)."""
    baseline = baseline_of(gw.config)
    saved = await gw.simulator.save(merchant_id, None, now=utcnow(), baseline=baseline)
    gw.simulator_cache.drop(merchant_id)
    return saved

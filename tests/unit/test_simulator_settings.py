"""The simulator settings use cases against fakes: put, reset, expiry, the cache, and that the
same seed and idempotency keys give the same run whatever the payment ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from shared.domain.clock import iso, utcnow
from shared.domain.errors import DependencyUnavailable, InvalidRequest
from shared.domain.simulator_settings import Baseline, SimulatorSettings
from shared.services.process_payment import process_payment
from shared.services.simulator_settings import (
    get_simulator,
    put_simulator,
    reset_simulator,
    settings_in_force,
)
from tests.fakes import fake_gateway
from tests.fakes.gateway import MERCHANT
from tests.fakes.stores import FakeSimulator
from tests.unit.conftest import create, process_until_final

PLAIN_CARD = {"type": "card", "card_number": "4111111111111111"}  # no magic: the mix decides


def body(**changes: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "expires_at": None,
        "seed": 11,
        "outcome_weights": {"success": 1, "timeout": 1, "hard_failure": 1},
        "gateway_latency_ms": {"min": 0, "max": 0},
        "api": {"error_rate": 0, "error_mode": "before_commit", "latency_ms": {"min": 0, "max": 0}},
        "webhooks": {
            "drop_rate": 0,
            "duplicate_rate": 0,
            "bad_signature_rate": 0,
            "delay_ms": {"min": 0, "max": 0},
        },
    }
    settings.update(changes)
    return settings


async def test_put_reset_and_versions() -> None:
    gw = fake_gateway()
    assert (await get_simulator(gw, MERCHANT)).version == 0
    put = await put_simulator(gw, MERCHANT, body())
    assert put.version == 1 and put.seed == 11 and not put.is_default
    reset = await reset_simulator(gw, MERCHANT)
    assert reset.version == 2 and reset.is_default and reset.seed == gw.config.simulator_seed


async def test_a_refused_put_stores_nothing() -> None:
    gw = fake_gateway()
    await put_simulator(gw, MERCHANT, body())
    with pytest.raises(InvalidRequest):
        await put_simulator(gw, MERCHANT, body(gateway_latency_ms={"min": 0, "max": 10**6}))
    assert (await get_simulator(gw, MERCHANT)).version == 1


async def test_expired_settings_give_the_defaults_in_force() -> None:
    gw = fake_gateway()
    later = iso(utcnow() + timedelta(minutes=1))
    await put_simulator(gw, MERCHANT, body(expires_at=later))
    store = gw.simulator
    assert isinstance(store, FakeSimulator)
    store.rows[MERCHANT] = replace(store.rows[MERCHANT], expires_at=utcnow() - timedelta(seconds=1))
    in_force = await settings_in_force(gw, MERCHANT)
    assert in_force.is_default and in_force.version == 1


async def test_own_writes_are_in_force_at_once_despite_the_cache() -> None:
    gw = fake_gateway()
    gw.simulator_cache.ttl_s = 60
    assert (await settings_in_force(gw, MERCHANT)).version == 0
    await put_simulator(gw, MERCHANT, body())
    assert (await settings_in_force(gw, MERCHANT)).version == 1


async def _run(keys: list[str]) -> list[tuple[str, int, str | None]]:
    gw = fake_gateway()
    await put_simulator(gw, MERCHANT, body())
    outcomes = []
    for key in keys:
        payment_id = (await create(gw, key=key, payment_method=PLAIN_CARD)).payment_id
        await process_until_final(gw, payment_id)
        payment = await gw.payments.get(payment_id)
        assert payment is not None
        outcomes.append(
            (payment.status.value, payment.attempts, payment.failure and payment.failure.code)
        )
    return outcomes


async def test_the_same_seed_and_keys_give_the_same_run_on_another_gateway() -> None:
    keys = [f"order-{n}" for n in range(30)]
    first = await _run(keys)
    assert first == await _run(keys)  # new payment ids, same outcomes
    assert len({status for status, _, _ in first}) == 2  # SUCCESS and FAILED both drawn
    assert first != await _run([f"other-{n}" for n in range(30)])


class DownSimulator(FakeSimulator):
    async def load(self, merchant_id: str, baseline: Baseline) -> SimulatorSettings | None:
        raise DependencyUnavailable("mongo", "down")


async def test_settings_unreadable_leaves_the_payment_untouched_for_a_retry() -> None:
    """Read before the claim: a store outage answers 503 with nothing moved (no stuck lease)."""
    gw = fake_gateway()
    payment_id = (await create(gw, payment_method=PLAIN_CARD)).payment_id
    gw.simulator = DownSimulator()
    with pytest.raises(DependencyUnavailable):
        await process_payment(gw, payment_id, 1, message_id="msg-0")
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.status == "CREATED" and payment.attempts == 0
    gw.simulator = FakeSimulator()
    await process_payment(gw, payment_id, 1, message_id="msg-1")
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.attempts == 1

"""The API-fault decision on fakes: the per-key counter is spent only while the dial is on,
forced faults need no counter, reads never fail, and the delay stays under the deadline."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.domain.errors import InvalidRequest
from shared.domain.simulator_settings import (
    AFTER_COMMIT,
    BEFORE_COMMIT,
    ApiFaults,
    LatencyRange,
    SimulatorSettings,
)
from shared.services.api_faults import decide_api_fault, forced_fault, max_delay_ms
from shared.services.context import Gateway
from tests.fakes.edges import FakeCounter
from tests.fakes.gateway import MERCHANT, fake_gateway
from tests.fakes.stores import FakeSimulator


def gateway_with(api: ApiFaults, seed: int | None = 5) -> tuple[Gateway, FakeCounter]:
    gw = fake_gateway(function_timeout_s=10.0)
    settings = replace(SimulatorSettings.defaults(), api=api, seed=seed)
    assert isinstance(gw.simulator, FakeSimulator) and isinstance(gw.counters, FakeCounter)
    gw.simulator.rows[MERCHANT] = settings
    return gw, gw.counters


async def test_no_counter_is_spent_while_the_error_rate_is_zero() -> None:
    gw, counter = gateway_with(ApiFaults(0.0, AFTER_COMMIT, LatencyRange(0, 0)))
    for _ in range(3):
        fault = await decide_api_fault(gw, MERCHANT, key="k", can_fail=True, forced=None)
        assert fault.mode is None
    assert counter.counts == {}


async def test_each_request_with_a_key_draws_with_its_own_number() -> None:
    gw, counter = gateway_with(ApiFaults(1.0, AFTER_COMMIT, LatencyRange(0, 0)))
    for _ in range(2):
        fault = await decide_api_fault(gw, MERCHANT, key="k", can_fail=True, forced=None)
        assert fault.mode == AFTER_COMMIT
    assert list(counter.counts.values()) == [2]


async def test_reads_never_fail_and_forced_faults_need_no_counter() -> None:
    gw, counter = gateway_with(ApiFaults(1.0, AFTER_COMMIT, LatencyRange(0, 0)))
    read = await decide_api_fault(gw, MERCHANT, key="/v1/payments", can_fail=False, forced=None)
    assert read.mode is None
    forced = await decide_api_fault(gw, MERCHANT, key="k", can_fail=True, forced=BEFORE_COMMIT)
    assert forced.mode == BEFORE_COMMIT and counter.counts == {}


async def test_the_added_latency_never_takes_more_than_half_the_deadline() -> None:
    gw, _ = gateway_with(ApiFaults(0.0, BEFORE_COMMIT, LatencyRange(9_000, 9_000)))
    fault = await decide_api_fault(gw, MERCHANT, key="k", can_fail=True, forced=None)
    assert fault.delay_ms == max_delay_ms(10.0) == 5_000


@pytest.mark.parametrize("value", ["", "after", "AFTER_COMMIT", "before_commit "])
def test_a_forced_fault_must_name_a_mode(value: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        forced_fault(value)
    assert raised.value.param == "Paygate-Fault"
    assert forced_fault(None) is None and forced_fault(AFTER_COMMIT) == AFTER_COMMIT

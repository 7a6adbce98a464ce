"""Webhook chaos decisions on fakes: which attempt each dial hits, redeliveries spared, and
the delay rounded up to the whole seconds a QStash delay is given in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shared.domain.errors import DependencyUnavailable
from shared.domain.simulator_settings import Baseline, LatencyRange, SimulatorSettings, WebhookChaos
from shared.services.context import Gateway
from shared.services.webhook_chaos import NO_CHAOS, delivery_chaos, delivery_delays_s
from shared.services.webhook_fanout import fan_out
from tests.fakes.gateway import MERCHANT, fake_gateway
from tests.fakes.stores import FakeSimulator
from tests.unit.conftest import create


def gateway_with(hooks: WebhookChaos) -> Gateway:
    gw = fake_gateway()
    assert isinstance(gw.simulator, FakeSimulator)
    gw.simulator.rows[MERCHANT] = replace(SimulatorSettings.defaults(), webhooks=hooks, seed=1)
    return gw


def delivery(attempts: int = 0, round_: int = 0) -> dict[str, Any]:
    return {
        "_id": "whd_x",
        "merchant_id": MERCHANT,
        "event_id": "msg_x",
        "chaos_key": "key-1:payment.succeeded:g1:0",
        "attempt_count": attempts,
        "round": round_,
    }


ALL_ON = WebhookChaos(1.0, 1.0, 1.0, LatencyRange(0, 0))


async def test_drop_then_bad_signature_then_a_plain_attempt_each_duplicated_on_success() -> None:
    gw = gateway_with(ALL_ON)
    plans = [await delivery_chaos(gw, delivery(attempts=n)) for n in range(3)]
    assert [(p.drop, p.bad_signature) for p in plans] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert all(p.duplicate for p in plans)  # dispatch sends it again only once it succeeded


async def test_without_a_drop_the_bad_signature_hits_the_first_attempt() -> None:
    gw = gateway_with(WebhookChaos(0.0, 0.0, 1.0, LatencyRange(0, 0)))
    assert (await delivery_chaos(gw, delivery(attempts=0))).bad_signature
    assert not (await delivery_chaos(gw, delivery(attempts=1))).bad_signature


async def test_a_redelivery_round_is_sent_plainly() -> None:
    gw = gateway_with(ALL_ON)
    assert await delivery_chaos(gw, delivery(round_=1)) == NO_CHAOS


async def test_delays_are_rounded_up_to_whole_seconds() -> None:
    for span, expected in (((0, 0), None), ((1, 1), 1), ((1000, 1000), 1), ((1001, 1001), 2)):
        gw = gateway_with(WebhookChaos(0.0, 0.0, 0.0, LatencyRange(*span)))
        assert await delivery_delays_s(gw, MERCHANT, [delivery()]) == [expected]


class SettingsDown(FakeSimulator):
    async def load(self, merchant_id: str, baseline: Baseline) -> SimulatorSettings | None:
        raise DependencyUnavailable("mongo", "down")


async def test_a_fan_out_whose_settings_read_fails_writes_nothing() -> None:
    """The delay is drawn before the deliveries are inserted: an outage there leaves no
    delivery without its message (the step is retried whole)."""
    gw = fake_gateway()
    payment = await gw.payments.get((await create(gw, scenario="success")).payment_id)
    assert payment is not None
    gw.simulator = SettingsDown()
    with pytest.raises(DependencyUnavailable):
        await fan_out(gw, payment, "payment.succeeded")
    assert await gw.webhooks.deliveries_of(payment.id) == []

"""`paygate load --simulator`: the run's settings are in force during it and the previous ones
are put back after it — also when it fails, and also when the previous ones were not the
defaults."""

from __future__ import annotations

import httpx
import pytest

from devstack.load_simulator import Chaos, applied
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.load.chaos import MAX_CHAOS, settings

pytestmark = pytest.mark.stack
AUTH = {"Authorization": "Bearer sk_test_demo"}
PREVIOUS = settings(seed=5, api={"latency_ms": {"min": 0, "max": 10}}, webhooks={})


async def test_the_previous_settings_come_back_even_when_the_run_fails(
    stack_cfg: StackConfig, functions_service: ManagedProcess
) -> None:
    async with httpx.AsyncClient(base_url=stack_cfg.functions_url, headers=AUTH) as client:
        assert (await client.put("/v1/simulator", json=PREVIOUS)).status_code == 200
        try:
            with pytest.raises(RuntimeError):
                async with applied(client, MAX_CHAOS) as in_force:
                    assert in_force is not None and Chaos.of(in_force).bad_signatures
                    during = (await client.get("/v1/simulator")).json()
                    assert during["webhooks"] == MAX_CHAOS["webhooks"]
                    raise RuntimeError("the run broke")
            after = (await client.get("/v1/simulator")).json()
            assert after["is_default"] is False and after["seed"] == 5
            assert after["api"] == PREVIOUS["api"] and after["webhooks"] == PREVIOUS["webhooks"]
        finally:
            (await client.delete("/v1/simulator")).raise_for_status()


async def test_defaults_before_the_run_are_defaults_after_it(
    stack_cfg: StackConfig, functions_service: ManagedProcess
) -> None:
    async with httpx.AsyncClient(base_url=stack_cfg.functions_url, headers=AUTH) as client:
        (await client.delete("/v1/simulator")).raise_for_status()
        async with applied(client, MAX_CHAOS):
            assert (await client.get("/v1/simulator")).json()["is_default"] is False
        assert (await client.get("/v1/simulator")).json()["is_default"] is True

"""Setting the demo merchant's simulator dials in a test, and putting them back.

A change is in force at once in the process that made it and within the settings cache's
time to live everywhere else (the relay's functions run on an event loop of their own, with
their own cache): `simulator()` waits that long after each change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from shared.services.simulator_settings import SETTINGS_CACHE_TTL_S

PROPAGATED_S = SETTINGS_CACHE_TTL_S + 0.2  # every process's cached copy has expired


def simulator_body(
    *,
    seed: int | None = None,
    api: dict[str, Any] | None = None,
    webhooks: dict[str, Any] | None = None,
    expires_at: str | None = None,
    gateway_latency_ms: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The whole `PUT /v1/simulator` object: defaults but for the dials given."""
    return {
        "expires_at": expires_at,
        "seed": seed,
        "outcome_weights": {"success": 70, "timeout": 15, "hard_failure": 15},
        "gateway_latency_ms": gateway_latency_ms or {"min": 0, "max": 0},
        "api": {
            "error_rate": 0.0,
            "error_mode": "before_commit",
            "latency_ms": {"min": 0, "max": 0},
            **(api or {}),
        },
        "webhooks": {
            "drop_rate": 0.0,
            "duplicate_rate": 0.0,
            "bad_signature_rate": 0.0,
            "delay_ms": {"min": 0, "max": 0},
            **(webhooks or {}),
        },
    }


async def put_simulator(client: httpx.AsyncClient, /, **dials: Any) -> dict[str, Any]:
    response = await client.put("/v1/simulator", json=simulator_body(**dials))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@asynccontextmanager
async def simulator(client: httpx.AsyncClient, /, **dials: Any) -> AsyncIterator[dict[str, Any]]:
    """The dials in force for the block, the defaults again after it (whatever happened)."""
    settings = await put_simulator(client, **dials)
    await asyncio.sleep(PROPAGATED_S)
    try:
        yield settings
    finally:
        reset = await client.delete("/v1/simulator")
        assert reset.status_code == 200, reset.text
        await asyncio.sleep(PROPAGATED_S)

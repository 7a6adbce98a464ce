"""Setting the demo merchant's simulator dials in a test, and putting them back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx


def simulator_body(
    *,
    seed: int | None = None,
    api: dict[str, Any] | None = None,
    webhooks: dict[str, Any] | None = None,
    expires_at: str | None = None,
) -> dict[str, Any]:
    """The whole `PUT /v1/simulator` object: defaults but for the dials given."""
    return {
        "expires_at": expires_at,
        "seed": seed,
        "outcome_weights": {"success": 70, "timeout": 15, "hard_failure": 15},
        "gateway_latency_ms": {"min": 0, "max": 0},
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


async def put_simulator(api: httpx.AsyncClient, **dials: Any) -> dict[str, Any]:
    response = await api.put("/v1/simulator", json=simulator_body(**dials))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@asynccontextmanager
async def simulator(api: httpx.AsyncClient, **dials: Any) -> AsyncIterator[dict[str, Any]]:
    """The dials in force for the block, the defaults again after it (whatever happened)."""
    settings = await put_simulator(api, **dials)
    try:
        yield settings
    finally:
        reset = await api.delete("/v1/simulator")
        assert reset.status_code == 200, reset.text

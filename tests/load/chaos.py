"""The simulator settings the chaos load tests run under."""

from __future__ import annotations

from typing import Any

from tests.functions.simulator_helpers import simulator_body


def settings(*, seed: int | None, api: dict[str, Any], webhooks: dict[str, Any]) -> dict[str, Any]:
    """A whole `PUT /v1/simulator` object with these API and webhook dials."""
    return simulator_body(
        seed=seed, api=api, webhooks=webhooks, gateway_latency_ms={"min": 0, "max": 20}
    )


# Every webhook dial at its maximum; API faults after the commit at a high rate (at 1 no
# request would ever get an answer): the client retries each with the same key.
MAX_CHAOS = settings(
    seed=13,
    api={"error_rate": 0.5, "error_mode": "after_commit", "latency_ms": {"min": 0, "max": 30}},
    webhooks={
        "drop_rate": 1.0,
        "duplicate_rate": 1.0,
        "bad_signature_rate": 1.0,
        "delay_ms": {"min": 0, "max": 2000},
    },
)

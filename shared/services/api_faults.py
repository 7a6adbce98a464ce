"""Use case: whether the merchant's simulator fails an API request, and how long it waits first.

`api.error_rate` of the merchant's POSTs fail (`before_commit`: refused before anything is done;
`after_commit`: done, then the answer is lost); `api.latency_ms` delays every API request. With
a seed each decision is a pure function of (seed, key, n, purpose): `key` is the request's
Idempotency-Key (its path when it has none) and n counts the requests with that key, so a
client retrying with the same key draws anew each time and gets through at rates below 1. The
counter is spent only while `error_rate` > 0: the dial costs nothing when it is off.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import InvalidRequest
from shared.domain.simulator_settings import ERROR_MODES, chance, draw_ms
from shared.services.context import Gateway
from shared.services.simulator_settings import settings_in_force

FAULT_HEADER = "Paygate-Fault"
COUNTER_TTL_S = 24 * 3600  # as long as an idempotency key is kept
API_ERROR = "api_error"
API_LATENCY = "api_latency"


@dataclass(frozen=True)
class ApiFault:
    """What the simulator does to one request: wait `delay_ms`, then fail it in `mode` (if any)."""

    mode: str | None
    delay_ms: int


def forced_fault(value: str | None) -> str | None:
    """The `Paygate-Fault` header's mode; any value but the two modes is a 400."""
    if value is None:
        return None
    if value not in ERROR_MODES:
        raise InvalidRequest(
            f"{FAULT_HEADER} must be one of {', '.join(ERROR_MODES)}", param=FAULT_HEADER
        )
    return value


def max_delay_ms(function_timeout_s: float) -> int:
    """Added latency never takes more than half the function's deadline (the rest is the work)."""
    return int(function_timeout_s * 1000) // 2


async def decide_api_fault(
    gw: Gateway, merchant_id: str, *, key: str, can_fail: bool, forced: str | None
) -> ApiFault:
    """`can_fail`: a POST the dials apply to; `forced`: the mode `Paygate-Fault` asked for."""
    settings = await settings_in_force(gw, merchant_id)
    api = settings.api
    delay = draw_ms(api.latency_ms, settings.seed, key, 0, API_LATENCY)
    delay = min(delay, max_delay_ms(gw.config.function_timeout_s))
    if not can_fail:
        return ApiFault(None, delay)
    if forced is not None:
        return ApiFault(forced, delay)
    if api.error_rate <= 0:
        return ApiFault(None, delay)
    n = await gw.counters.incr(f"api_fault:{merchant_id}:{key}", COUNTER_TTL_S)
    failed = chance(api.error_rate, settings.seed, key, n, API_ERROR)
    return ApiFault(api.error_mode if failed else None, delay)

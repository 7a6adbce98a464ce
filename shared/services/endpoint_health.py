"""Disabling an endpoint whose last `webhook_disable_after` deliveries all FAILED.

Each delivery that settles counts once (only the step whose guarded update settled it calls
this): a success resets the endpoint's run of failures, a final failure adds one atomically, and
the failure that reaches the threshold disables the endpoint — guarded by the count, so a success
landing in between wins. A crash between settling and counting loses one count at most (the
endpoint is disabled one failure later), never disables a healthy one.
"""

from __future__ import annotations

from shared.domain.clock import utcnow
from shared.services.context import Gateway


async def count_delivery_outcome(
    gw: Gateway, merchant_id: str, endpoint_id: str, *, ok: bool
) -> bool:
    """Count a settled delivery; True if this failure disabled the endpoint."""
    endpoint = await gw.webhooks.count_outcome(endpoint_id, ok=ok)
    threshold = gw.config.webhook_disable_after
    if endpoint is None or endpoint.get("status", "enabled") != "enabled":
        return False
    if endpoint.get("consecutive_failures", 0) < threshold:
        return False
    disabled = await gw.webhooks.disable_endpoint(
        endpoint_id,
        threshold,
        {
            "disabled_reason": f"the last {threshold} deliveries all failed",
            "disabled_at": utcnow(),
        },
    )
    gw.endpoint_cache.drop(merchant_id)
    return disabled is not None

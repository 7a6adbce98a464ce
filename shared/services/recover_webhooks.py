"""Use case: send again every FAILED delivery of one endpoint created since a time.

Claim, then publish: each delivery is claimed by one guarded update (FAILED, round r → PENDING,
round r + 1), so two recoveries racing send each delivery once and each counts only what it
claimed. The claimed batch is then published (deduplication ids derived from the round). If the
publish fails the claims are handed back (PENDING → FAILED, same round) and the call answers 503:
nothing changed, try again; a crash between claim and publish leaves PENDING deliveries that
the sweeper re-publishes (they are stranded: untouched, no message). Nothing is lost.
"""

from __future__ import annotations

from typing import Any

from shared.domain.clock import iso, parse_iso, utcnow
from shared.domain.errors import DependencyUnavailable, InvalidRequest, InvalidState, NotFound
from shared.domain.requests import WebhookRecover
from shared.domain.states import DeliveryStatus
from shared.services.context import Gateway
from shared.services.lifecycle_messages import dispatch_message
from shared.services.validation import parse_model
from shared.services.views import RecoveryOut

BATCH = 100


async def recover_endpoint(
    gw: Gateway, merchant_id: str, endpoint_id: str, raw_body: Any
) -> RecoveryOut:
    request = parse_model(WebhookRecover, raw_body)
    since = parse_iso(request.since)
    if since is None:
        raise InvalidRequest(
            "since must be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z", param="since"
        )
    if since > utcnow():
        raise InvalidRequest("since is in the future", param="since")
    endpoint = await gw.webhooks.endpoint(endpoint_id, merchant_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", param="id")
    if endpoint.get("status") == "disabled":
        raise InvalidState("the endpoint is disabled; enable it before recovering")
    count, after_id = 0, None
    while True:
        # In id order from where the last batch ended: each delivery is visited once, so one
        # that fails again while the call runs is not sent twice by it.
        found = await gw.webhooks.failed_deliveries(
            endpoint_id, since=since, after_id=after_id, limit=BATCH
        )
        if not found:
            break
        after_id = found[-1]["_id"]
        claimed = [c for c in [await _claim(gw, d) for d in found] if c is not None]
        await _publish(gw, claimed)
        count += len(claimed)
    return RecoveryOut(object="recovery", endpoint=endpoint_id, since=iso(since) or "", count=count)


async def _claim(gw: Gateway, delivery: dict[str, Any]) -> dict[str, Any] | None:
    round_ = delivery.get("round", 0)
    return await gw.webhooks.update_delivery(
        delivery["_id"],
        {"round": round_, "status": DeliveryStatus.FAILED.value},
        {"status": DeliveryStatus.PENDING.value, "round": round_ + 1},
    )


async def _publish(gw: Gateway, claimed: list[dict[str, Any]]) -> None:
    if not claimed:
        return
    try:
        await gw.queue.publish_many(
            [dispatch_message(d, gw.config.webhook_max_attempts) for d in claimed]
        )
    except DependencyUnavailable:
        for delivery in claimed:  # hand the claims back: this call changed nothing
            round_ = delivery["round"]
            await gw.webhooks.update_delivery(
                delivery["_id"],
                {"round": round_, "status": DeliveryStatus.PENDING.value},
                {"status": DeliveryStatus.FAILED.value, "round": round_ - 1},
            )
        raise
    for delivery in claimed:
        if delivery["final_event"]:
            await gw.payments.reopen_webhook_status(delivery["payment_id"], delivery["generation"])

"""Use case: send one webhook delivery attempt, signed, and record it.

2xx → the delivery is SUCCESS. Anything else → recorded, and a 5xx back to QStash so it
retries; the last attempt (or QStash's failure callback) marks the delivery FAILED. Each settled
delivery counts towards its endpoint's run of failures (`endpoint_health`); a delivery whose
endpoint is disabled is not sent but FAILED at once (`recover` sends it after `enable`). The body
sent is the one stored when the delivery was created, so every attempt carries the same bytes.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from shared.domain import ids
from shared.domain.clock import utcnow
from shared.domain.states import DeliveryStatus
from shared.domain.webhooks import SendResult, signature_header
from shared.services.context import Gateway
from shared.services.endpoint_health import count_delivery_outcome
from shared.services.results import StepResult
from shared.services.webhook_chaos import DROPPED, delivery_chaos
from shared.services.webhook_fanout import (
    merchant_endpoints,
    refresh_webhook_status,
    settle_webhook_status,
)

# The simulator's bad signature: a well-formed signature by a secret no endpoint has.
WRONG_SECRET = "whsec_" + base64.b64encode(b"paygate simulator: not your secret").decode()


def active_secrets(endpoint: dict[str, Any]) -> list[str]:
    """The current secret, plus the previous one while its rotation overlap lasts."""
    secrets = [endpoint["secret"]]
    previous = endpoint.get("previous_secret")
    expires = endpoint.get("previous_secret_expires_at")
    if previous and expires is not None and expires > utcnow():
        secrets.append(previous)
    return secrets


async def dispatch_webhook(
    gw: Gateway,
    delivery_id: str,
    round_: int,
    *,
    retried: int,
    message_id: str | None,
    max_retries: int | None = None,
) -> StepResult:
    """`retried` is QStash's count of earlier attempts; the last one is `max_retries`
    (by default the webhook retry budget, `webhook_max_attempts` - 1)."""
    if max_retries is None:
        max_retries = gw.config.webhook_max_attempts - 1
    delivery = await gw.webhooks.delivery(delivery_id)
    if delivery is None or round_ < delivery.get("round", 0):
        return StepResult(200, "stale")
    if round_ > delivery.get("round", 0):
        delivery = await _take_round(gw, delivery, round_)
        if delivery is None:
            return StepResult(200, "stale")
    if delivery["status"] != DeliveryStatus.PENDING.value:
        await _settled_again(gw, delivery)
        return StepResult(200, "already_" + delivery["status"].lower())
    endpoint = await _endpoint(gw, delivery)
    if endpoint is None:
        await _mark(gw, delivery, DeliveryStatus.FAILED, {"last_error": "endpoint deleted"})
        return StepResult(200, "endpoint_deleted")
    if endpoint.get("status") == "disabled":
        # The cache may be a moment behind an `enable`: ask the store before failing it.
        endpoint = await gw.webhooks.endpoint(delivery["endpoint_id"]) or endpoint
    if endpoint.get("status") == "disabled":
        await _mark(gw, delivery, DeliveryStatus.FAILED, {"last_error": "endpoint disabled"})
        return StepResult(200, "endpoint_disabled")
    chaos = await delivery_chaos(gw, delivery)
    if chaos.drop:  # the simulator's: not sent, answered like an endpoint that failed
        result = SendResult(None, 0.0, DROPPED)
    else:
        result = await _send(gw, endpoint, delivery, bad_signature=chaos.bad_signature)
    last_attempt = retried >= max_retries
    status = (
        DeliveryStatus.SUCCESS
        if result.ok
        else DeliveryStatus.FAILED
        if last_attempt
        else DeliveryStatus.PENDING
    )
    updated = await gw.webhooks.update_delivery(
        delivery_id,
        {"round": round_, "status": DeliveryStatus.PENDING.value},
        {
            "status": status.value,
            "last_status_code": result.status_code,
            "last_error": result.error,
        },
        inc={"attempt_count": 1},
    )
    await _record_attempt(gw, delivery, updated, round_, retried, message_id, result)
    if chaos.duplicate and updated is not None and status == DeliveryStatus.SUCCESS:
        # The simulator's duplicate: the same webhook-id and body once more, its own attempt.
        again = await _send(gw, endpoint, delivery, bad_signature=False)
        await _record_attempt(gw, delivery, None, round_, retried, message_id, again)
    if updated is not None and status != DeliveryStatus.PENDING:
        await count_delivery_outcome(
            gw, delivery["merchant_id"], delivery["endpoint_id"], ok=result.ok
        )
        if delivery["final_event"]:
            await settle_webhook_status(gw, delivery, status.value)
    if result.ok:
        return StepResult(200, "delivered")
    return StepResult(502, DROPPED if chaos.drop else "endpoint_failed")


async def _send(
    gw: Gateway, endpoint: dict[str, Any], delivery: dict[str, Any], *, bad_signature: bool
) -> SendResult:
    """One signed POST of the delivery's stored body (signed with a wrong secret on request)."""
    timestamp = int(time.time())
    secrets = [WRONG_SECRET] if bad_signature else active_secrets(endpoint)
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery["event_id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets, delivery["event_id"], timestamp, delivery["body"]
        ),
    }
    return await gw.sender.send(endpoint["url"], delivery["body"], headers)


async def _record_attempt(
    gw: Gateway,
    delivery: dict[str, Any],
    updated: dict[str, Any] | None,
    round_: int,
    retried: int,
    message_id: str | None,
    result: SendResult,
) -> None:
    """One attempt row. `updated` is the delivery as this attempt's guarded update left it."""
    delivery_id = delivery["_id"]
    counted = updated
    if counted is None:
        # Settled (or redelivered) meanwhile by a concurrent dispatch of the same delivery; this
        # attempt was sent all the same. Only the atomic counter numbers attempts, so two
        # writers never derive the same attempt id and neither row is dropped.
        counted = await gw.webhooks.update_delivery(delivery_id, {}, {}, inc={"attempt_count": 1})
    attempt_no = counted["attempt_count"] if counted else delivery.get("attempt_count", 0) + 1
    suffix = "" if counted else "_" + ids.new_id(ids.ATTEMPT)
    await gw.webhooks.record_attempt(
        {
            "_id": f"wha_{delivery_id.removeprefix('whd_')}_{attempt_no:03d}{suffix}",
            "delivery_id": delivery_id,
            "payment_id": delivery["payment_id"],
            "merchant_id": delivery["merchant_id"],
            "attempt": attempt_no,
            "round": round_,
            "retried": retried,
            "status_code": result.status_code,
            "duration_ms": result.duration_ms,
            "error": result.error,
            "at": utcnow(),
            "qstash_message_id": message_id,
        }
    )


async def _take_round(gw: Gateway, delivery: dict[str, Any], round_: int) -> dict[str, Any] | None:
    """A redeliver published round `round_` and died before marking the delivery: the message
    itself takes the round (the publish was the redeliver's commit point)."""
    current = delivery.get("round", 0)
    if round_ != current + 1 or delivery["status"] == DeliveryStatus.PENDING.value:
        return None
    taken = await gw.webhooks.update_delivery(
        delivery["_id"],
        {"round": current, "status": delivery["status"]},
        {"status": DeliveryStatus.PENDING.value, "round": round_},
    )
    if taken is None:  # the redeliver marked it meanwhile
        taken = await gw.webhooks.delivery(delivery["_id"])
        return taken if taken is not None and taken.get("round", 0) == round_ else None
    if taken["final_event"]:
        await gw.payments.reopen_webhook_status(taken["payment_id"], taken["generation"])
    return taken


async def _endpoint(gw: Gateway, delivery: dict[str, Any]) -> dict[str, Any] | None:
    """The delivery's endpoint from the merchant's cached endpoints, else from the store."""
    for endpoint in await merchant_endpoints(gw, delivery["merchant_id"]):
        if endpoint["_id"] == delivery["endpoint_id"]:
            return endpoint
    return await gw.webhooks.endpoint(delivery["endpoint_id"])


async def give_up_delivery(gw: Gateway, delivery_id: str, round_: int) -> StepResult:
    """QStash's failure callback: the delivery's attempts are exhausted."""
    delivery = await gw.webhooks.delivery(delivery_id)
    if delivery is None or delivery.get("round", 0) != round_:
        return StepResult(200, "stale")
    if delivery["status"] != DeliveryStatus.PENDING.value:
        await _settled_again(gw, delivery)
        return StepResult(200, "already_" + delivery["status"].lower())
    await _mark(
        gw,
        delivery,
        DeliveryStatus.FAILED,
        {"last_error": delivery.get("last_error") or "retries exhausted"},
        count=True,
    )
    return StepResult(200, "failed")


async def _settled_again(gw: Gateway, delivery: dict[str, Any]) -> None:
    """A redelivered message for a settled delivery: the step that settled it may have died
    before updating the payment's webhook_status, so refresh it (idempotent)."""
    if delivery["final_event"]:
        await refresh_webhook_status(gw, delivery["payment_id"], delivery["generation"])


async def _mark(
    gw: Gateway,
    delivery: dict[str, Any],
    status: DeliveryStatus,
    fields: dict[str, Any],
    *,
    count: bool = False,
) -> None:
    """Settle the delivery (guarded); `count` it towards the endpoint's run of failures."""
    updated = await gw.webhooks.update_delivery(
        delivery["_id"],
        {"round": delivery.get("round", 0), "status": delivery["status"]},
        {"status": status.value, **fields},
    )
    if updated is not None and count:
        await count_delivery_outcome(
            gw,
            delivery["merchant_id"],
            delivery["endpoint_id"],
            ok=status == DeliveryStatus.SUCCESS,
        )
    if updated is not None and delivery["final_event"]:
        await settle_webhook_status(gw, delivery, status.value)

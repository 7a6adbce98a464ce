"""Use case: send a delivered or failed webhook event again (same id, same body)."""

from __future__ import annotations

from shared.domain.errors import InvalidState, NotFound
from shared.domain.states import DeliveryStatus
from shared.services.context import Gateway
from shared.services.lifecycle_messages import dispatch_message
from shared.services.views import WebhookDeliveryOut
from shared.services.webhook_fanout import refresh_webhook_status


async def redeliver_webhook(gw: Gateway, merchant_id: str, delivery_id: str) -> WebhookDeliveryOut:
    delivery = await gw.webhooks.delivery(delivery_id, merchant_id)
    if delivery is None:
        raise NotFound(f"no webhook delivery {delivery_id}", param="id")
    if delivery["status"] == DeliveryStatus.PENDING.value:
        raise InvalidState("this delivery is still being attempted; wait for it to finish")
    round_ = delivery.get("round", 0)
    updated = await gw.webhooks.update_delivery(
        delivery_id,
        {"round": round_, "status": delivery["status"]},
        {"status": DeliveryStatus.PENDING.value, "round": round_ + 1},
    )
    if updated is None:
        raise InvalidState("the delivery changed meanwhile; fetch it and try again")
    await gw.queue.publish(dispatch_message(updated, gw.config.webhook_max_attempts))
    if updated["final_event"]:
        await refresh_webhook_status(gw, updated["payment_id"], updated["generation"])
    attempts = await gw.webhooks.attempts_of([delivery_id])
    return WebhookDeliveryOut.from_record(updated, attempts)

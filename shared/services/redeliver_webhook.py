"""Use case: send a delivered or failed webhook event again (same id, same body).

Publish first, then mark: the message for the next round (its deduplication id derived from
that round) is queued before the delivery moves to PENDING, so a failed publish changes nothing
(503, try again) and a crash after the publish leaves a message that takes the round itself
(see `dispatch_webhook`). Two redelivers racing publish the same id: QStash sends it once.
"""

from __future__ import annotations

from shared.domain.errors import InvalidState, NotFound
from shared.domain.states import DeliveryStatus
from shared.services.context import Gateway
from shared.services.lifecycle_messages import dispatch_message
from shared.services.views import WebhookDeliveryOut


async def redeliver_webhook(gw: Gateway, merchant_id: str, delivery_id: str) -> WebhookDeliveryOut:
    delivery = await gw.webhooks.delivery(delivery_id, merchant_id)
    if delivery is None:
        raise NotFound(f"no webhook delivery {delivery_id}", param="id")
    if delivery["status"] == DeliveryStatus.PENDING.value:
        raise InvalidState("this delivery is still being attempted; wait for it to finish")
    round_ = delivery.get("round", 0)
    next_round = {**delivery, "round": round_ + 1}
    await gw.queue.publish(dispatch_message(next_round, gw.config.webhook_max_attempts))
    updated = await gw.webhooks.update_delivery(
        delivery_id,
        {"round": round_, "status": delivery["status"]},
        {"status": DeliveryStatus.PENDING.value, "round": round_ + 1},
    )
    if updated is not None:
        if updated["final_event"]:
            await gw.payments.reopen_webhook_status(updated["payment_id"], updated["generation"])
    else:
        # The message itself (or a concurrent redeliver) took this round first: fine.
        updated = await gw.webhooks.delivery(delivery_id, merchant_id)
        if updated is None or updated.get("round", 0) < round_ + 1:
            raise InvalidState("the delivery changed meanwhile; fetch it and try again")
    attempts = await gw.webhooks.attempts_of([delivery_id])
    return WebhookDeliveryOut.from_record(updated, attempts)

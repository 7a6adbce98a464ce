"""Use case: QStash gave up on a payment's message (failure callback) — finalise it as FAILED.

Only legal moves are used: CREATED|RETRYING → PROCESSING → FAILED; an expired PROCESSING goes
straight to FAILED. A PROCESSING payment under a live lease is left to its worker.
"""

from __future__ import annotations

from datetime import timedelta

from shared.domain.clock import utcnow
from shared.domain.states import PaymentStatus, is_final
from shared.services.context import Gateway
from shared.services.process_payment import finalise, finish_side_effects
from shared.services.results import StepResult

ABANDONED = {
    "code": "retries_exhausted",
    "message": "The payment could not be processed before the queue gave up on it",
}


async def abandon_payment(
    gw: Gateway, payment_id: str, generation: int, *, message_id: str | None
) -> StepResult:
    payment = await gw.payments.get(payment_id)
    if payment is None or payment.get("generation", 1) != generation:
        return StepResult(200, "nothing_to_do", payment_id)
    if is_final(payment["status"]):
        await finish_side_effects(gw, payment)
        return StepResult(200, "already_final", payment_id, payment["status"])
    if payment["status"] == PaymentStatus.PROCESSING.value:
        lease = payment.get("lease_until")
        if lease is not None and lease > utcnow():
            return StepResult(200, "in_progress", payment_id, payment["status"])
        # Its worker died: write the event of the move into PROCESSING (lost if the worker
        # crashed right after the move) before finalise overwrites last_transition.
        await gw.payments.ensure_event(payment)
    else:
        await gw.payments.ensure_event(payment)
        claimed = await gw.payments.move(
            payment,
            PaymentStatus.PROCESSING,
            actor="process_payment_failure",
            reason="retries_exhausted",
            fields={"lease_until": utcnow() + timedelta(seconds=gw.config.lease_seconds)},
            qstash_message_id=message_id,
        )
        if claimed is None:
            return StepResult(200, "lost_race", payment_id)
        payment = claimed
    return await finalise(
        gw,
        payment,
        PaymentStatus.FAILED,
        dict(ABANDONED),
        message_id,
        actor="process_payment_failure",
    )

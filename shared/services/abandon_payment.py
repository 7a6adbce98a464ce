"""Use case: QStash gave up on a payment's message (failure callback) — finalise it as FAILED.

Only legal moves are used: CREATED|RETRYING → PROCESSING → FAILED; an expired PROCESSING goes
straight to FAILED. A PROCESSING payment under a live lease is left to its worker.
"""

from __future__ import annotations

from datetime import timedelta

from shared.domain.clock import utcnow
from shared.domain.payment import Failure
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway
from shared.services.process_payment import finalise, finish_side_effects
from shared.services.results import StepResult

ACTOR = "process_payment_failure"
ABANDONED = Failure(
    "retries_exhausted", "The payment could not be processed before the queue gave up on it"
)


async def abandon_payment(
    gw: Gateway, payment_id: str, generation: int, *, message_id: str | None
) -> StepResult:
    payment = await gw.payments.get(payment_id)
    if payment is None or payment.generation != generation:
        return StepResult(200, "nothing_to_do", payment_id)
    if payment.is_settled:
        await finish_side_effects(gw, payment)
        return StepResult(200, "already_final", payment_id, payment.status)
    now = utcnow()
    if payment.lease_live(now):
        return StepResult(200, "in_progress", payment_id, payment.status)
    # The moves below write the row of the payment's last move too (a claim's, or one a
    # crash lost) before they replace last_transition.
    if payment.status != PaymentStatus.PROCESSING:
        claimed = await gw.payments.save(
            payment,
            payment.move(
                PaymentStatus.PROCESSING,
                now=now,
                actor=ACTOR,
                reason=ABANDONED.code,
                qstash_message_id=message_id,
                lease_until=now + timedelta(seconds=gw.config.lease_seconds),
            ),
        )
        if claimed is None:
            return StepResult(200, "lost_race", payment_id)
        payment = claimed
    return await finalise(gw, payment, PaymentStatus.FAILED, ABANDONED, message_id, actor=ACTOR)

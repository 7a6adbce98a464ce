"""Use case: one QStash delivery of a refund to the simulated gateway, and its failure callback.

PENDING → make sure its amount is reserved (a crash may have come between the insert and the
reservation; no room left → FAILED `amount_too_large`), ask the simulator, then one guarded
move to SUCCEEDED or FAILED. A final refund — just moved, or seen again on a redelivery — then
has its money settled on the payment (once: `settled_refund_ids`) and its webhook fanned out.
Each of those steps is idempotent, so a delivery that dies half-way is finished by the next.
"""

from __future__ import annotations

from shared.domain.clock import utcnow
from shared.domain.payment import Failure
from shared.domain.refund import GAVE_UP, NO_ROOM, Refund
from shared.domain.simulator import OutcomeKind, refund_outcome
from shared.domain.webhooks import EventSource
from shared.services.context import Gateway
from shared.services.results import StepResult
from shared.services.views import RefundOut
from shared.services.webhook_fanout import fan_out_event

ACTOR = "process_refund"


def refund_source(refund: Refund) -> EventSource:
    return EventSource(
        merchant_id=refund.merchant_id,
        payment_id=refund.payment_id,
        object_id=refund.id,
        data=RefundOut.from_domain(refund).as_json(),
        summarised=False,
        chaos_key="refund:" + refund.idempotency_key,
    )


async def process_refund(gw: Gateway, refund_id: str, *, message_id: str | None) -> StepResult:
    refund = await gw.refunds.get(refund_id)
    if refund is None:
        return StepResult(200, "unknown_refund", None, None)
    if refund.is_final:
        await finish_refund(gw, refund)
        return StepResult(200, "already_final", refund.payment_id, refund.status.value)
    payment = await gw.payments.get(refund.payment_id)
    if payment is None or not await gw.refunds.reserve(refund):
        return await _finalise(gw, refund, NO_ROOM, message_id)
    outcome = refund_outcome(payment.magic)
    failure = None
    if outcome.kind != OutcomeKind.SUCCESS:
        failure = Failure(outcome.code or outcome.kind.value, outcome.message or "")
    return await _finalise(gw, refund, failure, message_id)


async def give_up_refund(gw: Gateway, refund_id: str, *, message_id: str | None) -> StepResult:
    """QStash gave up on the refund's message: FAILED (`processing_error`), released."""
    refund = await gw.refunds.get(refund_id)
    if refund is None:
        return StepResult(200, "unknown_refund", None, None)
    if refund.is_final:
        await finish_refund(gw, refund)
        return StepResult(200, "already_final", refund.payment_id, refund.status.value)
    return await _finalise(gw, refund, GAVE_UP, message_id, actor="process_refund_failure")


async def _finalise(
    gw: Gateway,
    refund: Refund,
    failure: Failure | None,
    message_id: str | None,
    actor: str = ACTOR,
) -> StepResult:
    now = utcnow()
    after = (
        refund.succeeded(now=now, actor=actor, qstash_message_id=message_id)
        if failure is None
        else refund.failed(failure, now=now, actor=actor, qstash_message_id=message_id)
    )
    moved = await gw.refunds.save(refund, after)
    if moved is None:
        return StepResult(200, "lost_race", refund.payment_id)
    await finish_refund(gw, moved)
    return StepResult(200, moved.status.value.lower(), refund.payment_id, moved.status.value)


async def finish_refund(gw: Gateway, refund: Refund) -> None:
    """A final refund's side effects, each idempotent: its audit event, its money on the
    payment, its webhook deliveries (then `fanout_pending` cleared)."""
    await gw.refunds.ensure_event(refund)
    await gw.refunds.settle(refund)
    event_type = refund.event_type
    if event_type is None:
        return
    await fan_out_event(gw, refund_source(refund), event_type)
    if refund.fanout_pending:
        await gw.refunds.finish_fan_out(refund)

"""Use case: one QStash delivery of a refund to the simulated gateway, and its failure callback.

PENDING → make sure its amount is reserved (a crash may have come between the insert and the
reservation; no room left → FAILED `amount_too_large`), ask the simulator, settle the outcome on
the payment (once: the first delivery to settle decides, a later or racing one — the failure
callback after a crash — follows that decision), then one guarded move to SUCCEEDED or FAILED.
So once a refund reads SUCCEEDED its payment's `amount_refunded` already counts it. A final
refund — just moved, or seen again on a redelivery — then has its webhook fanned out. Each step
is idempotent, so a delivery that dies half-way is finished by the next.
"""

from __future__ import annotations

from shared.domain.clock import utcnow
from shared.domain.payment import Failure
from shared.domain.refund import GAVE_UP, NO_ROOM, Refund, RefundStatus
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

    def moved_to(status: RefundStatus, why: Failure | None) -> Refund:
        if status == RefundStatus.SUCCEEDED:
            return refund.succeeded(now=now, actor=actor, qstash_message_id=message_id)
        return refund.failed(why or GAVE_UP, now=now, actor=actor, qstash_message_id=message_id)

    after = moved_to(RefundStatus.FAILED if failure else RefundStatus.SUCCEEDED, failure)
    # An unreserved refund (NO_ROOM) has nothing on its payment to settle.
    decided = None if failure is NO_ROOM else await gw.refunds.settle(after)
    if decided is not None and decided != after.status:
        # Another delivery decided first (a failure it decided was QStash giving up): follow it.
        after = moved_to(decided, None)
    moved = await gw.refunds.save(refund, after)
    if moved is None:
        return StepResult(200, "lost_race", refund.payment_id)
    await fan_out_refund(gw, moved)
    return StepResult(200, moved.status.value.lower(), refund.payment_id, moved.status.value)


async def finish_refund(gw: Gateway, refund: Refund) -> None:
    """A final refund seen again (a redelivery, the sweeper): its audit event and its webhook
    deliveries, each idempotent. Its money was settled on the payment before its move; settling
    again changes nothing then, and finishes a refund that a version which settled after the
    move left unsettled (a crash between the two, before an upgrade)."""
    await gw.refunds.ensure_event(refund)
    await gw.refunds.settle(refund)
    await fan_out_refund(gw, refund)


async def fan_out_refund(gw: Gateway, refund: Refund) -> None:
    """Queue a final refund's webhooks, then clear its `fanout_pending`."""
    event_type = refund.event_type
    if event_type is None:
        return
    await fan_out_event(gw, refund_source(refund), event_type)
    if refund.fanout_pending:
        await gw.refunds.finish_fan_out(refund)

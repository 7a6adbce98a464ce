"""Use cases: a dispute opens on a dispute-card payment, the merchant answers it (evidence) or
accepts it (close), and the simulated card network decides it.

Opening and deciding are delayed, deduplicated QStash messages (`open_dispute_message`,
`decide_dispute_message`) with the sweeper as their backstop, never a poll. Each move is one
guarded save; a move that loses a race changes nothing. A dispute's event (`dispute.created`,
`dispute.closed`) is fanned out after its move, `fanout_pending` marking it owed until then.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.domain import ids
from shared.domain.clock import utcnow
from shared.domain.dispute import Dispute, DisputeStatus
from shared.domain.errors import DependencyUnavailable, InvalidState, NotFound
from shared.domain.payment import Payment
from shared.domain.simulator import MAGIC_DISPUTE
from shared.domain.states import PaymentStatus
from shared.domain.webhooks import EventSource
from shared.services.context import Gateway
from shared.services.lifecycle_messages import decide_dispute_message, open_dispute_message
from shared.services.results import StepResult
from shared.services.validation import parse_model
from shared.services.views import DisputeOut
from shared.services.webhook_fanout import fan_out_event

log = logging.getLogger("paygate.disputes")


def will_be_disputed(payment: Payment) -> bool:
    """A succeeded payment on the dispute card, whose dispute has not opened yet."""
    return (
        payment.status == PaymentStatus.SUCCESS
        and payment.magic == MAGIC_DISPUTE
        and payment.dispute_id is None
    )


async def schedule_dispute(gw: Gateway, payment: Payment) -> None:
    """The delayed message that opens the payment's dispute; a failed publish is left to the
    sweeper, which opens overdue disputes itself."""
    if not will_be_disputed(payment):
        return
    try:
        await gw.queue.publish(open_dispute_message(payment, gw.config.dispute_delay_s))
    except DependencyUnavailable:
        log.warning("dispute left for the sweeper", extra={"payment_id": payment.id})


async def open_dispute(gw: Gateway, payment_id: str) -> StepResult:
    """Idempotent: the payment's one dispute exists, is linked and its event queued."""
    payment = await gw.payments.get(payment_id)
    if payment is None or payment.status != PaymentStatus.SUCCESS:
        return StepResult(200, "nothing_to_do", payment_id)
    if payment.magic != MAGIC_DISPUTE:
        return StepResult(200, "nothing_to_do", payment_id)
    dispute = await gw.disputes.of_payment(payment_id)
    if dispute is None:
        opened = Dispute.opened(
            dispute_id=ids.new_id(ids.DISPUTE),
            payment=payment,
            now=utcnow(),
            evidence_days=gw.config.dispute_evidence_days,
        )
        dispute = await gw.disputes.insert(opened)
    else:
        await gw.disputes.ensure_event(dispute)
    if payment.dispute_id is None:
        await gw.payments.attach_dispute(payment.id, dispute.id)
    if dispute.fanout_pending:
        await complete_dispute_fan_out(gw, dispute)
    return StepResult(200, "opened", payment_id, dispute.status.value)


async def _dispute(gw: Gateway, merchant_id: str, dispute_id: str) -> Dispute:
    dispute = await gw.disputes.get(dispute_id, merchant_id)
    if dispute is None:
        raise NotFound(f"no dispute {dispute_id}", param="id")
    return dispute


async def _needs_response(gw: Gateway, dispute: Dispute, action: str) -> None:
    """Refuse a dispute that already moved, first mending its last move's audit event: a
    request retried after a crash between the move and its event finds the event written."""
    if dispute.status != DisputeStatus.NEEDS_RESPONSE:
        await gw.disputes.ensure_event(dispute)
        raise InvalidState(
            f"only NEEDS_RESPONSE disputes can {action}; this one is {dispute.status}"
        )


async def submit_evidence(gw: Gateway, merchant_id: str, dispute_id: str, body: Any) -> Dispute:
    """NEEDS_RESPONSE → UNDER_REVIEW, and the decision timer."""
    # Imported here: the request models are pydantic models built at import, and only the
    # payments_api route that calls this (whose module already imports them) needs them;
    # the other functions import this module for the dispute timers.
    from shared.domain.requests import DisputeEvidence

    request = parse_model(DisputeEvidence, body)
    dispute = await _dispute(gw, merchant_id, dispute_id)
    await _needs_response(gw, dispute, "take evidence")
    moved = await gw.disputes.save(dispute, dispute.evidence_submitted(request.text, now=utcnow()))
    if moved is None:
        raise InvalidState("the dispute changed meanwhile; fetch it and try again")
    try:
        await gw.queue.publish(decide_dispute_message(moved, gw.config.dispute_decision_delay_s))
    except DependencyUnavailable:
        log.warning("decision left for the sweeper", extra={"dispute_id": moved.id})
    return moved


async def close_dispute(gw: Gateway, merchant_id: str, dispute_id: str, body: Any) -> Dispute:
    """NEEDS_RESPONSE → LOST: the merchant accepts the loss."""
    from shared.domain.requests import DisputeClose  # see submit_evidence

    parse_model(DisputeClose, body)
    dispute = await _dispute(gw, merchant_id, dispute_id)
    await _needs_response(gw, dispute, "be closed")
    moved = await gw.disputes.save(dispute, dispute.accepted(now=utcnow()))
    if moved is None:
        raise InvalidState("the dispute changed meanwhile; fetch it and try again")
    await _fan_out_tolerating_outage(gw, moved)
    return moved


async def decide_dispute(gw: Gateway, dispute_id: str) -> StepResult:
    """The decision timer (or the sweeper): UNDER_REVIEW → WON | LOST; idempotent."""
    dispute = await gw.disputes.get(dispute_id)
    if dispute is None:
        return StepResult(200, "nothing_to_do")
    if dispute.status == DisputeStatus.UNDER_REVIEW:
        await gw.disputes.ensure_event(dispute)  # the evidence move's, if a crash lost it
        moved = await gw.disputes.save(dispute, dispute.decided(now=utcnow()))
        if moved is None:
            return StepResult(200, "lost_race", dispute.payment_id)
        dispute = moved
    else:
        await gw.disputes.ensure_event(dispute)
    if dispute.fanout_pending:
        await complete_dispute_fan_out(gw, dispute)
    return StepResult(200, dispute.status.value.lower(), dispute.payment_id, dispute.status.value)


def dispute_source(dispute: Dispute, payment_key: str | None = None) -> EventSource:
    """A dispute's event: listed with its payment, carrying the dispute; `payment_key` is the
    payment's idempotency key (the simulator's draw key)."""
    return EventSource(
        merchant_id=dispute.merchant_id,
        payment_id=dispute.payment_id,
        object_id=dispute.id,
        data=DisputeOut.from_domain(dispute).as_json(),
        summarised=False,
        chaos_key=None if payment_key is None else "dispute:" + payment_key,
    )


async def complete_dispute_fan_out(gw: Gateway, dispute: Dispute) -> None:
    """Queue the webhooks of every event the dispute may still owe, then clear its flag.

    The flag says an event is owed, not which: a dispute closed before its `dispute.created`
    fan-out finished owes both, so a closed one sends `dispute.created` first (idempotent: a
    sent event's deliveries exist, and their messages are deduplicated)."""
    payment = await gw.payments.get(dispute.payment_id)
    source = dispute_source(dispute, payment.idempotency_key if payment is not None else None)
    for event_type in dispute.owed_event_types:
        await fan_out_event(gw, source, event_type)
    await gw.disputes.finish_fan_out(dispute)


async def _fan_out_tolerating_outage(gw: Gateway, dispute: Dispute) -> None:
    """After a merchant's move: the move happened; an outage leaves the event to the sweeper."""
    try:
        await complete_dispute_fan_out(gw, dispute)
    except DependencyUnavailable:
        log.warning("dispute webhooks left for the sweeper", extra={"dispute_id": dispute.id})

"""Use case: one QStash delivery of a payment to the simulated gateway.

Terminal payment → nothing to do (but finish its side effects, idempotently). CREATED or
RETRYING → PROCESSING under a lease, ask the simulator, then SUCCESS / FAILED, or RETRYING
and a 503 so QStash retries with its backoff. The payment's own `attempts` decides when the
last attempt is reached, not the delivery header.
"""

from __future__ import annotations

import asyncio
import logging
import time

from shared.domain.clock import utcnow
from shared.domain.errors import DependencyUnavailable
from shared.domain.payment import Failure, Payment
from shared.domain.simulator import (
    Outcome,
    OutcomeKind,
    SimulationInput,
    decide_outcome,
    simulated_latency_s,
)
from shared.domain.simulator_settings import DEADLINE_MARGIN_S, SimulatorSettings
from shared.domain.states import PaymentStatus, WebhookStatus
from shared.domain.webhooks import RETRYING
from shared.services.context import Gateway
from shared.services.disputes import schedule_dispute
from shared.services.lifecycle_messages import watchdog_message
from shared.services.results import StepResult
from shared.services.settling import commit_settling_move, schedule_expiry
from shared.services.simulator_settings import settings_in_force
from shared.services.webhook_fanout import complete_fan_out, fan_out

log = logging.getLogger("paygate.process_payment")


async def process_payment(
    gw: Gateway,
    payment_id: str,
    generation: int,
    *,
    message_id: str | None,
    deadline: float | None = None,
) -> StepResult:
    """`deadline` (monotonic seconds) defaults to this invocation's function timeout from now."""
    if deadline is None:
        deadline = time.monotonic() + gw.config.function_timeout_s
    payment = await gw.payments.get(payment_id)
    if payment is None:
        return StepResult(200, "unknown_payment", payment_id)
    if payment.generation != generation:
        return StepResult(200, "stale_generation", payment_id, payment.status)
    if payment.is_settled:
        await finish_side_effects(gw, payment)
        return StepResult(200, "already_final", payment_id, payment.status)
    # Read before the claim: if the store is down now, nothing has moved and QStash retries.
    settings = await settings_in_force(gw, payment.merchant_id)
    claimed = await _claim(gw, payment, message_id)
    if claimed is None:
        await _watch(gw, payment)
        return StepResult(200, "in_progress", payment_id, PaymentStatus.PROCESSING.value)
    outcome = await _simulate(claimed, settings, deadline)
    return await _settle(gw, claimed, outcome, message_id)


async def _claim(gw: Gateway, payment: Payment, message_id: str | None) -> Payment | None:
    """Move to PROCESSING with a fresh lease, or take over an expired one; None if held."""
    now = utcnow()
    owner = message_id or "unknown"
    lease_s = gw.config.lease_seconds
    if payment.status == PaymentStatus.PROCESSING:
        if payment.lease_live(now):
            return None
        taken = await gw.payments.take_over_lease(
            payment, payment.lease_taken_over(now=now, lease_s=lease_s, owner=owner), now
        )
        if taken is not None:
            log.warning("took over an expired lease", extra={"payment_id": payment.id})
        return taken
    # The save writes the row of the payment's previous move too, if a crash lost it.
    return await gw.payments.save(
        payment,
        payment.claimed(now=now, lease_s=lease_s, owner=owner, qstash_message_id=message_id),
    )


async def _watch(gw: Gateway, payment: Payment) -> None:
    """Held by another delivery: queue a watchdog for when its lease runs out (the holder
    may have died); if QStash cannot take it now, the sweeper is the backstop."""
    try:
        await gw.queue.publish(watchdog_message(payment, utcnow(), gw.config.lease_seconds))
    except DependencyUnavailable:
        log.warning(
            "watchdog publish failed; left for the sweeper", extra={"payment_id": payment.id}
        )


async def _simulate(payment: Payment, settings: SimulatorSettings, deadline: float) -> Outcome:
    simulate = payment.simulate
    sim = SimulationInput(
        idempotency_key=payment.idempotency_key,
        attempt=payment.attempts,
        number=payment.attempt_number,
        scenario=payment.scenario,
        magic=payment.magic,
        script=simulate.attempts if simulate else None,
        method_type=payment.payment_method.get("type", "card"),
    )
    outcome = decide_outcome(sim, settings.outcome_weights.as_list(), settings.seed)
    budget = deadline - time.monotonic()
    delay = simulated_latency_s(
        sim,
        settings.gateway_latency_ms,
        settings.seed,
        budget - DEADLINE_MARGIN_S,
        fixed_ms=simulate.gateway_latency_ms if simulate else None,
    )
    if delay > 0:
        await asyncio.sleep(delay)
    return outcome


async def _settle(
    gw: Gateway, payment: Payment, outcome: Outcome, message_id: str | None
) -> StepResult:
    if outcome.kind == OutcomeKind.SUCCESS:
        return await finalise(gw, payment, PaymentStatus.SUCCESS, None, message_id)
    failure = Failure(
        outcome.code or outcome.kind.value, outcome.message or "", outcome.advice_code
    )
    if not outcome.retryable:
        return await finalise(gw, payment, PaymentStatus.FAILED, failure, message_id)
    if payment.on_last_attempt:
        message = f"{outcome.message} (gave up after {payment.attempts} attempts)"
        gave_up = Failure(failure.code, message, failure.advice_code)
        return await finalise(gw, payment, PaymentStatus.FAILED, gave_up, message_id)
    moved = await gw.payments.save(
        payment,
        payment.retrying(
            failure, now=utcnow(), actor="process_payment", qstash_message_id=message_id
        ),
    )
    if moved is None:
        return StepResult(200, "lost_race", payment.id)
    await fan_out(gw, moved, RETRYING)
    return StepResult(503, "retrying", payment.id, PaymentStatus.RETRYING.value)


async def finalise(
    gw: Gateway,
    payment: Payment,
    status: PaymentStatus,
    failure: Failure | None,
    message_id: str | None,
    actor: str = "process_payment",
) -> StepResult:
    """PROCESSING → SUCCESS | FAILED (or REQUIRES_CAPTURE), then queue the event's webhooks."""
    target = payment.settles_as(status)
    moved = await commit_settling_move(
        gw,
        payment,
        target,
        lambda webhook_status: payment.finalised(
            status,
            failure,
            now=utcnow(),
            actor=actor,
            webhook_status=webhook_status,
            qstash_message_id=message_id,
            authorization_ttl_s=gw.config.authorization_ttl_s,
        ),
    )
    if moved is None:
        return StepResult(200, "lost_race", payment.id)
    return StepResult(200, target.value.lower(), payment.id, target.value)


async def finish_side_effects(gw: Gateway, payment: Payment) -> None:
    """A settled payment seen again (QStash redelivery): make sure its event, its webhooks and
    (for an authorization) its expiry timer exist."""
    await gw.payments.ensure_event(payment)
    if payment.status == PaymentStatus.REQUIRES_CAPTURE:
        await schedule_expiry(gw, payment)
    await schedule_dispute(gw, payment)
    if payment.fanout_pending:
        await complete_fan_out(gw, payment)
        return
    if payment.webhook_status == WebhookStatus.SKIPPED:
        return
    await fan_out(gw, payment, payment.final_event_type)

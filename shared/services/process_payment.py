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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.domain.clock import utcnow
from shared.domain.simulator import (
    Outcome,
    OutcomeKind,
    SimulationInput,
    decide_outcome,
    simulated_latency_s,
)
from shared.domain.states import PaymentStatus, WebhookStatus, is_final
from shared.domain.webhooks import FAILED, RETRYING, SUCCEEDED
from shared.services.context import Gateway
from shared.services.webhook_fanout import complete_fan_out, fan_out, subscribed_endpoints

log = logging.getLogger("paygate.process_payment")
DEADLINE_MARGIN_S = 1.0


@dataclass(frozen=True)
class StepResult:
    """What the function answers QStash: 2xx = done, 5xx = retry me."""

    http_status: int
    outcome: str
    payment_id: str | None = None
    status: str | None = None


async def process_payment(
    gw: Gateway,
    payment_id: str,
    generation: int,
    *,
    message_id: str | None,
    deadline: float | None = None,
) -> StepResult:
    payment = await gw.payments.get(payment_id)
    if payment is None:
        return StepResult(200, "unknown_payment", payment_id)
    if payment.get("generation", 1) != generation:
        return StepResult(200, "stale_generation", payment_id, payment["status"])
    if is_final(payment["status"]):
        await finish_side_effects(gw, payment)
        return StepResult(200, "already_final", payment_id, payment["status"])
    claimed = await _claim(gw, payment, message_id)
    if claimed is None:
        return StepResult(200, "in_progress", payment_id, PaymentStatus.PROCESSING.value)
    outcome = await _simulate(gw, claimed, deadline)
    return await _settle(gw, claimed, outcome, message_id)


async def _claim(
    gw: Gateway, payment: dict[str, Any], message_id: str | None
) -> dict[str, Any] | None:
    """Move to PROCESSING with a fresh lease, or take over an expired one; None if held."""
    lease_until = utcnow() + timedelta(seconds=gw.config.lease_seconds)
    owner = message_id or "unknown"
    if payment["status"] == PaymentStatus.PROCESSING.value:
        lease = payment.get("lease_until")
        if lease is not None and lease > utcnow():
            return None
        taken = await gw.payments.renew_lease(payment, lease_until, owner)
        if taken is not None:
            log.warning("took over an expired lease", extra={"payment_id": payment["_id"]})
            await gw.payments.ensure_event(taken)
        return taken
    first_ever = payment.get("attempts", 0) == 0 and payment.get("generation", 1) == 1
    await gw.payments.ensure_event(payment)
    return await gw.payments.move(
        payment,
        PaymentStatus.PROCESSING,
        actor="process_payment",
        fields={"lease_until": lease_until, "lease_owner": owner},
        inc={"attempts": 1, "retry_count": 0 if first_ever else 1},
        qstash_message_id=message_id,
    )


async def _simulate(gw: Gateway, payment: dict[str, Any], deadline: float | None) -> Outcome:
    cfg = gw.config
    sim = SimulationInput(
        payment_id=payment["_id"],
        generation=payment.get("generation", 1),
        attempt=payment["attempts"],
        scenario=payment.get("scenario"),
        magic=payment.get("magic"),
    )
    outcome = decide_outcome(sim, list(cfg.outcome_weights), cfg.simulator_seed)
    budget = cfg.function_timeout_s if deadline is None else deadline - time.monotonic()
    delay = simulated_latency_s(
        sim, list(cfg.gateway_latency_ms), cfg.simulator_seed, budget - DEADLINE_MARGIN_S
    )
    if delay > 0:
        await asyncio.sleep(delay)
    return outcome


async def _settle(
    gw: Gateway, payment: dict[str, Any], outcome: Outcome, message_id: str | None
) -> StepResult:
    pid = payment["_id"]
    if outcome.kind == OutcomeKind.SUCCESS:
        return await finalise(gw, payment, PaymentStatus.SUCCESS, None, message_id)
    failure = {"code": outcome.code, "message": outcome.message}
    if not outcome.retryable:
        return await finalise(gw, payment, PaymentStatus.FAILED, failure, message_id)
    if payment["attempts"] >= payment["max_attempts"]:
        failure["message"] = f"{outcome.message} (gave up after {payment['attempts']} attempts)"
        return await finalise(gw, payment, PaymentStatus.FAILED, failure, message_id)
    moved = await gw.payments.move(
        payment,
        PaymentStatus.RETRYING,
        actor="process_payment",
        reason=outcome.code,
        fields={"lease_until": None, "failure": failure},
        qstash_message_id=message_id,
    )
    if moved is None:
        return StepResult(200, "lost_race", pid)
    await fan_out(gw, moved, RETRYING)
    return StepResult(503, "retrying", pid, PaymentStatus.RETRYING.value)


async def finalise(
    gw: Gateway,
    payment: dict[str, Any],
    status: PaymentStatus,
    failure: dict[str, Any] | None,
    message_id: str | None,
    actor: str = "process_payment",
) -> StepResult:
    """PROCESSING → SUCCESS | FAILED, then queue the final event's webhooks."""
    event_type = SUCCEEDED if status == PaymentStatus.SUCCESS else FAILED
    endpoints = await subscribed_endpoints(gw, payment["merchant_id"], event_type)
    now = utcnow()
    latency_ms = int((now - payment["created_at"]).total_seconds() * 1000)
    moved = await gw.payments.move(
        payment,
        status,
        actor=actor,
        reason=failure["code"] if failure else None,
        fields={
            "failure": failure,
            "finalized_at": now,
            "latency_ms": latency_ms,
            "lease_until": None,
            "webhook_status": (WebhookStatus.PENDING if endpoints else WebhookStatus.SKIPPED).value,
            "webhook_epoch": 0,
            # Cleared once the fan-out is done; the sweeper finishes one a crash cut short.
            "fanout_pending": bool(endpoints),
        },
        qstash_message_id=message_id,
    )
    if moved is None:
        return StepResult(200, "lost_race", payment["_id"])
    if endpoints:
        await fan_out(gw, moved, event_type, endpoints)
        await gw.payments.set_fields(
            moved["_id"],
            {"fanout_pending": False},
            guard={"generation": moved.get("generation", 1)},
        )
    return StepResult(200, status.value.lower(), payment["_id"], status.value)


async def finish_side_effects(gw: Gateway, payment: dict[str, Any]) -> None:
    """A final payment seen again (QStash redelivery): make sure its event and webhooks exist."""
    await gw.payments.ensure_event(payment)
    if payment.get("webhook_status") == WebhookStatus.SKIPPED.value:
        return
    if payment.get("fanout_pending"):
        await complete_fan_out(gw, payment)
        return
    event_type = SUCCEEDED if payment["status"] == PaymentStatus.SUCCESS.value else FAILED
    await fan_out(gw, payment, event_type)

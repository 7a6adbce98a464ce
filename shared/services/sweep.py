"""Use case: the scheduled sweeper re-drives payments and webhooks a crash or an outage left
behind.

Payments: CREATED or RETRYING payments whose publish failed (marked `published: False`) or that
are older than `stale_after_s`, and PROCESSING payments whose lease expired, are published to
process_payment again. The deduplication id includes the payment's version, so sweeping the
same unchanged payment twice within QStash's window queues it once.

Refunds: PENDING refunds unpublished or untouched for `stale_after_s` are published to
process_refund again; final refunds whose fan-out never finished are finished.

Authorizations: REQUIRES_CAPTURE payments past their expiry (their timer's publish failed)
are canceled.

Webhooks: settled payments whose fan-out never finished (`fanout_pending`, set by the final move
and cleared after the fan-out, older than `stale_after_s`) are fanned out again; PENDING
deliveries whose publish failed (`published: False`) are published with their own
deduplication id; PENDING deliveries untouched for longer than `webhook_redrive_after_s` (past
QStash's whole retry budget and the failure callback's: their message is gone) are published
once more and touched, so the next sweep leaves them alone.

Disputes: see `dispute_sweep` (late openings, late decisions, unfinished fan-outs).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from shared.domain.clock import utcnow
from shared.domain.errors import DependencyUnavailable
from shared.services.capture_payment import expire_authorization
from shared.services.context import Gateway
from shared.services.dispute_sweep import (
    sweep_dispute_decisions,
    sweep_dispute_fan_outs,
    sweep_dispute_openings,
)
from shared.services.lifecycle_messages import dispatch_message, process_message, refund_message
from shared.services.process_refund import finish_refund
from shared.services.sweep_report import SweepReport
from shared.services.webhook_fanout import complete_fan_out

log = logging.getLogger("paygate.sweeper")
SWEEP_BATCH = 500


async def sweep(gw: Gateway) -> SweepReport:
    report = SweepReport(0, 0)
    for step in SWEEP_STEPS:
        report = report + await step(gw)
    return report


async def _sweep_payments(gw: Gateway) -> SweepReport:
    now = utcnow()
    stale = await gw.payments.stale(
        unpublished_before=now - timedelta(seconds=gw.config.stale_after_s),
        lease_expired_before=now,
        limit=SWEEP_BATCH,
    )
    republished = failed = 0
    for payment in stale:
        try:
            await gw.queue.publish(process_message(payment, suffix=f"-v{payment.version}"))
        except DependencyUnavailable:
            failed += 1
            continue
        republished += 1
        if not payment.published:
            await gw.payments.mark_published(payment.id, True, version=payment.version)
        log.info("republished", extra={"payment_id": payment.id, "status": payment.status})
    return SweepReport(republished, failed)


async def _sweep_expired_authorizations(gw: Gateway) -> SweepReport:
    """Authorizations past their expiry whose timer message never arrived (its publish
    failed): canceled here, `stale_after_s` after they were due."""
    due = utcnow() - timedelta(seconds=gw.config.stale_after_s)
    expired = failed = 0
    for payment in await gw.payments.expired_authorizations(before=due, limit=SWEEP_BATCH):
        try:
            result = await expire_authorization(gw, payment.id, payment.generation)
        except DependencyUnavailable:
            failed += 1
            continue
        if result.outcome == "expired":
            expired += 1
            log.info("expired an authorization", extra={"payment_id": payment.id})
    return SweepReport(expired, failed)


async def _sweep_fan_outs(gw: Gateway) -> SweepReport:
    before = utcnow() - timedelta(seconds=gw.config.stale_after_s)
    republished = failed = 0
    for payment in await gw.payments.fanout_pending(finalized_before=before, limit=SWEEP_BATCH):
        try:
            await complete_fan_out(gw, payment)
        except DependencyUnavailable:
            failed += 1
            continue
        republished += 1
        log.info("fanned out again", extra={"payment_id": payment.id})
    return SweepReport(republished, failed)


async def _sweep_deliveries(gw: Gateway) -> SweepReport:
    before = utcnow() - timedelta(seconds=gw.config.webhook_redrive_after_s)
    stranded = await gw.webhooks.stranded(unpublished_or_before=before, limit=SWEEP_BATCH)
    republished = failed = 0
    for delivery in stranded:
        try:
            await _redrive_delivery(gw, delivery)
        except DependencyUnavailable:
            failed += 1
            continue
        republished += 1
        log.info(
            "republished delivery",
            extra={"delivery_id": delivery["_id"], "payment_id": delivery["payment_id"]},
        )
    return SweepReport(republished, failed)


async def _redrive_delivery(gw: Gateway, delivery: dict[str, Any]) -> None:
    attempts = gw.config.webhook_max_attempts
    guard = {"round": delivery.get("round", 0), "status": delivery["status"]}
    if delivery.get("published") is False:
        # Never published: its own deduplication id (two sweeps queue it once).
        await gw.queue.publish(dispatch_message(delivery, attempts))
        await gw.webhooks.update_delivery(delivery["_id"], guard, {"published": True})
        return
    # Its message is gone: a new one, named by how far the delivery got, and the delivery is
    # touched so the next sweeps wait another whole retry budget before looking again.
    count = delivery.get("attempt_count", 0)
    await gw.queue.publish(dispatch_message(delivery, attempts, suffix=f"-a{count}"))
    await gw.webhooks.update_delivery(delivery["_id"], {**guard, "attempt_count": count}, {})


async def _sweep_refunds(gw: Gateway) -> SweepReport:
    """PENDING refunds never published, or untouched for `stale_after_s` (their message was
    lost, or a crash came between the insert and the reservation), are published again under
    a deduplication id named by their version; they are touched so the next sweep waits."""
    now = utcnow()
    before = now - timedelta(seconds=gw.config.stale_after_s)
    republished = failed = 0
    for refund in await gw.refunds.stale(unpublished_or_before=before, limit=SWEEP_BATCH):
        message = refund_message(refund, gw.config.max_attempts, suffix=f"-v{refund.version}")
        try:
            await gw.queue.publish(message)
        except DependencyUnavailable:
            failed += 1
            continue
        republished += 1
        if not refund.published:
            await gw.refunds.mark_published(refund.id, True, version=refund.version)
        await gw.refunds.touch(refund, now)
        log.info("republished refund", extra={"refund_id": refund.id})
    return SweepReport(republished, failed)


async def _sweep_refund_fan_outs(gw: Gateway) -> SweepReport:
    """Final refunds whose webhooks were left unfinished by a crash."""
    before = utcnow() - timedelta(seconds=gw.config.stale_after_s)
    done = failed = 0
    for refund in await gw.refunds.fanout_pending(finalized_before=before, limit=SWEEP_BATCH):
        try:
            await finish_refund(gw, refund)
        except DependencyUnavailable:
            failed += 1
            continue
        done += 1
        log.info("finished a refund again", extra={"refund_id": refund.id})
    return SweepReport(done, failed)


SWEEP_STEPS: tuple[Callable[[Gateway], Awaitable[SweepReport]], ...] = (
    _sweep_payments,
    _sweep_expired_authorizations,
    _sweep_fan_outs,
    _sweep_deliveries,
    _sweep_refunds,
    _sweep_refund_fan_outs,
    sweep_dispute_openings,
    sweep_dispute_decisions,
    sweep_dispute_fan_outs,
)

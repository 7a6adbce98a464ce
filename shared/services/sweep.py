"""Use case: the scheduled sweeper re-drives payments a crash or an outage left behind.

CREATED payments whose publish failed (or that are older than `stale_after_s`), RETRYING
payments older than that, and PROCESSING payments whose lease expired are published to
process_payment again. The deduplication id includes the payment's version, so sweeping the
same unchanged payment twice within QStash's window queues it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from shared.domain.clock import utcnow
from shared.domain.errors import DependencyUnavailable
from shared.services.context import Gateway
from shared.services.lifecycle_messages import process_message

log = logging.getLogger("paygate.sweeper")
SWEEP_BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    republished: int
    failed: int


async def sweep(gw: Gateway) -> SweepReport:
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

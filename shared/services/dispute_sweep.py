"""The sweeper's dispute steps: the backstop of the two dispute timers and of their events.

A dispute-card payment still without a dispute `stale_after_s` past its opening delay (its
message's publish failed, or the message was lost) is opened here; an UNDER_REVIEW dispute
undecided `stale_after_s` past its decision delay is decided here; a dispute whose event's
fan-out never finished is fanned out again. Each query is on an index (payments: magic,
dispute_id; disputes: status, updated_at; fanout_pending).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from shared.domain.clock import utcnow
from shared.domain.errors import DependencyUnavailable
from shared.domain.simulator import MAGIC_DISPUTE
from shared.services.context import Gateway
from shared.services.disputes import complete_dispute_fan_out, decide_dispute, open_dispute
from shared.services.sweep_report import SweepReport

log = logging.getLogger("paygate.sweeper")
SWEEP_BATCH = 500


async def _each(
    what: str, object_ids: list[str], step: Callable[[str], Awaitable[object]]
) -> SweepReport:
    done = failed = 0
    for object_id in object_ids:
        try:
            await step(object_id)
        except DependencyUnavailable:
            failed += 1
            continue
        done += 1
        log.info(what, extra={"object_id": object_id})
    return SweepReport(done, failed)


async def sweep_dispute_openings(gw: Gateway) -> SweepReport:
    late = gw.config.stale_after_s + gw.config.dispute_delay_s
    payments = await gw.payments.undisputed(
        magic=MAGIC_DISPUTE,
        finalized_before=utcnow() - timedelta(seconds=late),
        limit=SWEEP_BATCH,
    )
    return await _each(
        "opened a late dispute", [p.id for p in payments], lambda pid: open_dispute(gw, pid)
    )


async def sweep_dispute_decisions(gw: Gateway) -> SweepReport:
    late = gw.config.stale_after_s + gw.config.dispute_decision_delay_s
    disputes = await gw.disputes.under_review(
        updated_before=utcnow() - timedelta(seconds=late), limit=SWEEP_BATCH
    )
    return await _each(
        "decided a late dispute", [d.id for d in disputes], lambda did: decide_dispute(gw, did)
    )


async def sweep_dispute_fan_outs(gw: Gateway) -> SweepReport:
    before = utcnow() - timedelta(seconds=gw.config.stale_after_s)
    disputes = {
        d.id: d for d in await gw.disputes.fanout_pending(updated_before=before, limit=SWEEP_BATCH)
    }

    async def again(dispute_id: str) -> None:
        await complete_dispute_fan_out(gw, disputes[dispute_id])

    return await _each("fanned out a dispute event again", list(disputes), again)

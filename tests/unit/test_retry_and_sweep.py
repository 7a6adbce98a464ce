"""retry_payment and sweep against fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.domain.clock import utcnow
from shared.domain.errors import InvalidState, NotFound
from shared.services.lifecycle_messages import PROCESS_PATH
from shared.services.retry_payment import retry_payment
from shared.services.sweep import sweep
from tests.fakes import fake_gateway
from tests.fakes.gateway import MERCHANT
from tests.unit.conftest import create, process_until_final, queue


async def test_a_manual_retry_starts_a_new_generation_and_keeps_the_retry_count() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="timeout")).payment_id
    await process_until_final(gw, payment_id)
    retried = await retry_payment(gw, MERCHANT, payment_id)
    assert retried.status == "RETRYING" and retried.generation == 2 and retried.attempts == 0
    assert retried.retry_count == 2 and retried.failure is None
    messages = queue(gw).take(PROCESS_PATH)
    assert [m.body for m in messages] == [{"payment_id": payment_id, "generation": 2}]
    assert messages[0].deduplication_id.endswith("-g2")


async def test_only_failed_payments_can_be_retried_and_only_by_their_merchant() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="success")).payment_id
    with pytest.raises(InvalidState):
        await retry_payment(gw, MERCHANT, payment_id)
    with pytest.raises(NotFound):
        await retry_payment(gw, "mer_other", payment_id)


async def test_the_sweeper_republishes_unpublished_stale_and_expired_work_once() -> None:
    gw = fake_gateway()
    queue(gw).down = True
    unpublished = (await create(gw, key="k-unpublished")).payment_id
    queue(gw).down = False
    stuck = (await create(gw, key="k-stuck")).payment_id
    fresh = (await create(gw, key="k-fresh")).payment_id
    queue(gw).take(PROCESS_PATH)
    rows = gw.payments.rows  # type: ignore[attr-defined]
    rows[stuck] = replace(rows[stuck], created_at=utcnow() - timedelta(minutes=5))
    report = await sweep(gw)
    assert report.republished == 2 and report.failed == 0
    swept = {m.body["payment_id"] for m in queue(gw).take(PROCESS_PATH)}
    assert swept == {unpublished, stuck} and fresh not in swept
    assert rows[unpublished].published
    again = await sweep(gw)
    assert again.republished == 1  # the old one is still stale; the dedup id keeps it queued once
    assert queue(gw).take(PROCESS_PATH) == []


async def test_a_sweep_whose_publish_fails_counts_it_and_keeps_the_mark() -> None:
    gw = fake_gateway()
    queue(gw).down = True
    payment_id = (await create(gw)).payment_id
    report = await sweep(gw)
    assert (report.republished, report.failed) == (0, 1)
    assert not gw.payments.rows[payment_id].published  # type: ignore[attr-defined]

"""process_payment against fakes: outcomes, retry arithmetic, leases, redeliveries."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.clock import utcnow
from shared.domain.states import TRANSITIONS, PaymentStatus
from shared.services.lifecycle_messages import DISPATCH_PATH
from shared.services.process_payment import process_payment
from tests.fakes import fake_gateway
from tests.unit.conftest import create, process_until_final, queue, run_process


async def test_a_success_moves_created_processing_success_and_queues_its_webhook() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="success")).payment_id
    assert await process_until_final(gw, payment_id) == [200]
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.status == "SUCCESS" and payment.attempts == 1
    trail = [(e["from"], e["to"]) for e in await gw.payments.events_of(payment)]
    assert trail == [("CREATED", "PROCESSING"), ("PROCESSING", "SUCCESS")]
    dispatches = queue(gw).take(DISPATCH_PATH)
    assert len(dispatches) == 1 and payment.webhook_status == "PENDING"


async def test_always_timing_out_answers_503_503_then_200_failed_with_the_last_code() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="timeout")).payment_id
    assert await process_until_final(gw, payment_id) == [503, 503, 200]
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.status == "FAILED" and payment.attempts == 3
    assert payment.failure is not None and payment.failure.code == "timeout"
    assert payment.retry_count == 2
    moves = [(e["from"], e["to"]) for e in await gw.payments.events_of(payment)]
    assert all(PaymentStatus(b) in TRANSITIONS[PaymentStatus(a)] for a, b in moves)
    assert moves[-1] == ("PROCESSING", "FAILED") and len(moves) == 6


async def test_a_decline_is_final_at_once() -> None:
    gw = fake_gateway()
    card = {"type": "card", "card_number": "4000000000000002"}
    payment_id = (await create(gw, payment_method=card)).payment_id
    assert await process_until_final(gw, payment_id) == [200]
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.status == "FAILED" and payment.attempts == 1
    assert payment.failure is not None and payment.failure.code == "card_declined"


async def test_flaky_succeeds_on_the_second_attempt() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="flaky")).payment_id
    assert await process_until_final(gw, payment_id) == [503, 200]
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.status == "SUCCESS" and payment.attempts == 2


async def test_a_redelivery_of_a_final_payment_changes_nothing() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="success")).payment_id
    await run_process(gw)
    before = await gw.payments.get(payment_id)
    again = await process_payment(gw, payment_id, 1, message_id="dup")
    assert again.http_status == 200 and again.outcome == "already_final"
    assert await gw.payments.get(payment_id) == before


async def test_a_live_lease_is_left_alone_and_an_expired_one_is_taken_over() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="success")).payment_id
    payment = await gw.payments.get(payment_id)
    assert payment is not None
    now = utcnow()
    held = payment.claimed(now=now, lease_s=30, owner="worker-a", qstash_message_id="a")
    assert await gw.payments.save(payment, held) is not None
    busy = await process_payment(gw, payment_id, 1, message_id="b")
    assert busy.outcome == "in_progress"
    await process_payment(gw, payment_id, 1, message_id="b-again")  # same lease: one watchdog
    [watchdog] = [m for m in gw.queue.published if "-w" in m.deduplication_id]  # type: ignore[attr-defined]
    assert (
        watchdog.path == "/internal/process_payment" and watchdog.body["payment_id"] == payment_id
    )
    assert watchdog.delay_s is not None and 30 <= watchdog.delay_s <= 32
    expired = held.lease_taken_over(now=now - timedelta(seconds=60), lease_s=30, owner="a")
    gw.payments.rows[payment_id] = expired  # type: ignore[attr-defined]
    done = await process_payment(gw, payment_id, 1, message_id="c")
    assert done.outcome == "success"


async def test_a_stale_generation_is_ignored() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw, scenario="success")).payment_id
    result = await process_payment(gw, payment_id, 2, message_id="old")
    assert result.outcome == "stale_generation"
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.status == "CREATED"

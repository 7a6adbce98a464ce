"""create_refund, process_refund and the refund sweep against fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from shared.domain.errors import IdempotencyKeyReused, InvalidRequest, InvalidState, NotFound
from shared.domain.refund import RefundStatus
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway
from shared.services.create_refund import create_refund
from shared.services.lifecycle_messages import REFUND_PATH
from shared.services.process_refund import give_up_refund, process_refund
from shared.services.sweep import sweep
from tests.fakes import fake_gateway
from tests.fakes.gateway import MERCHANT
from tests.fakes.refunds import FakeRefunds
from tests.unit.conftest import create, queue, run_process


async def succeeded_payment(gw: Gateway, **overrides: Any) -> str:
    created = await create(
        gw, key=f"pay-{len(queue(gw).published)}", scenario="success", **overrides
    )
    await run_process(gw)
    payment = await gw.payments.get(created.payment_id)
    assert payment is not None and payment.status == PaymentStatus.SUCCESS
    return payment.id


def refunds(gw: Gateway) -> FakeRefunds:
    assert isinstance(gw.refunds, FakeRefunds)
    return gw.refunds


async def deliver(gw: Gateway) -> list[str]:
    outcomes = []
    for message in queue(gw).take(REFUND_PATH):
        result = await process_refund(gw, message.body["refund_id"], message_id="m")
        outcomes.append(result.outcome)
    return outcomes


async def test_refunds_reserve_then_settle_once() -> None:
    gw = fake_gateway()
    pid = await succeeded_payment(gw, amount=1000)
    first = await create_refund(gw, MERCHANT, "r1", {"payment": pid, "amount": 600})
    assert first.status_code == 201 and refunds(gw).ledger(pid).reserved == 600
    with pytest.raises(InvalidRequest) as raised:
        await create_refund(gw, MERCHANT, "r2", {"payment": pid, "amount": 401})
    assert raised.value.code == "amount_too_large"
    assert len(refunds(gw).rows) == 1  # the refused one is gone
    assert await deliver(gw) == ["succeeded"]
    payment = await gw.payments.get(pid)
    assert payment is not None and payment.amount_refunded == 600
    again = await process_refund(gw, first.payment_id, message_id="m2")
    assert again.outcome == "already_final"
    payment = await gw.payments.get(pid)
    assert payment is not None and payment.amount_refunded == 600


async def test_replay_and_reuse_of_a_refund_key() -> None:
    gw = fake_gateway()
    pid = await succeeded_payment(gw)
    first = await create_refund(gw, MERCHANT, "r1", {"payment": pid})
    replay = await create_refund(gw, MERCHANT, "r1", {"payment": pid})
    assert replay.replayed and replay.body == first.body
    with pytest.raises(IdempotencyKeyReused):
        await create_refund(gw, MERCHANT, "r1", {"payment": pid, "amount": 1})


async def test_only_a_known_success_payment_is_refunded() -> None:
    gw = fake_gateway()
    created = await create(gw, scenario="hard_failure")
    await run_process(gw)
    with pytest.raises(InvalidState):
        await create_refund(gw, MERCHANT, "r1", {"payment": created.payment_id})
    with pytest.raises(NotFound):
        await create_refund(gw, MERCHANT, "r2", {"payment": "pay_unknown"})
    with pytest.raises(NotFound):
        await create_refund(gw, "mer_other", "r3", {"payment": created.payment_id})


async def test_a_failing_refund_releases_its_reservation() -> None:
    gw = fake_gateway()
    card = {"type": "card", "card_number": "4000000000005126"}
    pid = await succeeded_payment(gw, amount=500, payment_method=card)
    await create_refund(gw, MERCHANT, "r1", {"payment": pid})
    assert await deliver(gw) == ["failed"]
    assert refunds(gw).ledger(pid).reserved == 0
    (refund,) = refunds(gw).rows.values()
    assert refund.failure is not None and refund.failure.code == "expired_or_canceled_card"


async def test_an_unreserved_refund_is_reserved_or_failed_by_processing() -> None:
    gw = fake_gateway()
    pid = await succeeded_payment(gw, amount=1000)
    await create_refund(gw, MERCHANT, "r1", {"payment": pid, "amount": 700})
    (taken,) = refunds(gw).rows.values()
    # As a crash between insert and reservation leaves it: a second PENDING refund, unreserved.
    lost = replace(taken, id="re_lost", idempotency_key="r2", amount=400, published=False)
    refunds(gw).rows[lost.id] = lost
    refunds(gw).responses[lost.id] = refunds(gw).responses[taken.id]
    report = await sweep(gw)
    assert report.republished == 1  # the unpublished one (the other is fresh and queued)
    await deliver(gw)
    assert refunds(gw).rows["re_lost"].status == RefundStatus.FAILED
    failure = refunds(gw).rows["re_lost"].failure
    assert failure is not None and failure.code == "amount_too_large"
    assert refunds(gw).rows[taken.id].status == RefundStatus.SUCCEEDED
    assert refunds(gw).ledger(pid).reserved == 700


async def test_the_failure_callback_fails_and_releases() -> None:
    gw = fake_gateway()
    pid = await succeeded_payment(gw, amount=300)
    created = await create_refund(gw, MERCHANT, "r1", {"payment": pid})
    result = await give_up_refund(gw, created.payment_id, message_id="cb")
    assert result.outcome == "failed"
    refund = refunds(gw).rows[created.payment_id]
    assert refund.failure is not None and refund.failure.code == "processing_error"
    assert refunds(gw).ledger(pid).reserved == 0


async def test_sweeper_finishes_an_unfinished_fan_out() -> None:
    gw = fake_gateway()
    pid = await succeeded_payment(gw)
    created = await create_refund(gw, MERCHANT, "r1", {"payment": pid})
    await deliver(gw)
    stored = refunds(gw).rows[created.payment_id]
    old = stored.finalized_at - timedelta(hours=1) if stored.finalized_at else None
    refunds(gw).rows[stored.id] = replace(stored, fanout_pending=True, finalized_at=old)
    report = await sweep(gw)
    assert report.republished >= 1
    assert not refunds(gw).rows[stored.id].fanout_pending


async def test_a_refund_reads_succeeded_only_once_its_payment_counts_it() -> None:
    gw = fake_gateway()
    pid = await succeeded_payment(gw, amount=800)
    created = await create_refund(gw, MERCHANT, "r1", {"payment": pid, "amount": 300})
    counted_at_move: list[int] = []
    save = refunds(gw).save

    async def save_seeing_the_payment(before: Any, after: Any) -> Any:
        payment = await gw.payments.get(pid)
        assert payment is not None
        counted_at_move.append(payment.amount_refunded)
        return await save(before, after)

    refunds(gw).save = save_seeing_the_payment  # type: ignore[method-assign]
    assert await deliver(gw) == ["succeeded"]
    assert counted_at_move == [300]
    assert refunds(gw).rows[created.payment_id].status == RefundStatus.SUCCEEDED


async def test_the_failure_callback_after_a_settled_success_follows_it() -> None:
    """The processing delivery settled SUCCEEDED on the payment, then died before its move;
    QStash then gives up on the message: the refund ends SUCCEEDED, as its payment counts."""
    gw = fake_gateway()
    pid = await succeeded_payment(gw, amount=500)
    created = await create_refund(gw, MERCHANT, "r1", {"payment": pid, "amount": 200})
    pending = refunds(gw).rows[created.payment_id]
    decided = await refunds(gw).settle(replace(pending, status=RefundStatus.SUCCEEDED))
    assert decided == RefundStatus.SUCCEEDED
    result = await give_up_refund(gw, pending.id, message_id="cb")
    assert result.outcome == "succeeded"
    refund = refunds(gw).rows[pending.id]
    assert refund.status == RefundStatus.SUCCEEDED and refund.failure is None
    payment = await gw.payments.get(pid)
    assert payment is not None and payment.amount_refunded == 200
    assert refunds(gw).ledger(pid).reserved == 200


async def test_a_final_refund_left_unsettled_is_settled_when_seen_again() -> None:
    """A refund moved SUCCEEDED but never settled (as a version that settled after the move
    left it when it crashed between the two): its redelivery counts it, once."""
    gw = fake_gateway()
    pid = await succeeded_payment(gw, amount=700)
    created = await create_refund(gw, MERCHANT, "r1", {"payment": pid, "amount": 250})
    pending = refunds(gw).rows[created.payment_id]
    refunds(gw).rows[pending.id] = pending.succeeded(
        now=pending.created_at, actor="process_refund", qstash_message_id="m"
    )
    for _ in range(2):
        result = await process_refund(gw, pending.id, message_id="m2")
        assert result.outcome == "already_final"
    payment = await gw.payments.get(pid)
    assert payment is not None and payment.amount_refunded == 250

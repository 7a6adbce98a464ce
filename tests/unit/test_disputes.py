"""Disputes against fakes: opened by their timer, answered, accepted, decided, swept."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import cast

import pytest

from shared.domain.clock import utcnow
from shared.domain.dispute import Dispute, DisputeStatus
from shared.domain.errors import InvalidRequest, InvalidState, NotFound
from shared.services.context import Gateway
from shared.services.dispute_queries import get_dispute, list_disputes
from shared.services.disputes import close_dispute, decide_dispute, open_dispute, submit_evidence
from shared.services.lifecycle_messages import (
    DECIDE_DISPUTE_PATH,
    DISPATCH_PATH,
    OPEN_DISPUTE_PATH,
)
from shared.services.queries import get_payment
from shared.services.sweep import sweep
from tests.fakes import FakeDisputes, FakePayments, FakeWebhooks, fake_gateway
from tests.fakes.gateway import MERCHANT
from tests.unit.conftest import create, process_until_final, queue

DISPUTE_CARD = {"type": "card", "card_number": "4000000000000259"}
D = DisputeStatus


def event_types(gw: Gateway) -> list[str]:
    """The event types of the deliveries queued since the last call."""
    webhooks = cast(FakeWebhooks, gw.webhooks)
    return [
        json.loads(webhooks.deliveries[m.body["delivery_id"]]["body"])["type"]
        for m in queue(gw).take(DISPATCH_PATH)
    ]


async def disputed_payment(gw: Gateway, key: str = "key-1", **overrides: object) -> str:
    """A dispute-card payment that succeeded; its dispute timer is queued."""
    payment_id = (await create(gw, key, payment_method=DISPUTE_CARD, **overrides)).payment_id
    assert await process_until_final(gw, payment_id) == [200]
    event_types(gw)  # its payment.succeeded
    return payment_id


async def opened(gw: Gateway, key: str = "key-1") -> Dispute:
    payment_id = await disputed_payment(gw, key)
    [timer] = queue(gw).take(OPEN_DISPUTE_PATH)
    assert (await open_dispute(gw, timer.body["payment_id"])).outcome == "opened"
    dispute = await gw.disputes.of_payment(payment_id)
    assert dispute is not None
    return dispute


async def test_a_dispute_card_payment_succeeds_then_its_timer_opens_one_dispute() -> None:
    gw = fake_gateway(dispute_delay_s=42, dispute_evidence_days=3)
    payment_id = await disputed_payment(gw)
    [timer] = queue(gw).take(OPEN_DISPUTE_PATH)
    assert timer.body == {"payment_id": payment_id} and timer.delay_s == 42
    assert timer.deduplication_id == f"dispute-open-{payment_id}"
    assert await gw.disputes.of_payment(payment_id) is None  # not before the timer
    for _ in range(2):  # delivered twice: one dispute, one event, one created webhook
        await open_dispute(gw, payment_id)
    disputes = cast(FakeDisputes, gw.disputes)
    [dispute] = disputes.rows.values()
    payment = await gw.payments.get(payment_id)
    assert payment is not None and payment.dispute_id == dispute.id
    assert dispute.id.startswith("dp_") and dispute.status == D.NEEDS_RESPONSE
    assert dispute.amount == payment.amount_captured == 1999 and dispute.currency == "USD"
    assert abs(dispute.evidence_due_by - (utcnow() + timedelta(days=3))) < timedelta(seconds=5)
    assert not dispute.fanout_pending
    assert event_types(gw) == ["dispute.created"]


async def test_an_ordinary_success_opens_nothing() -> None:
    gw = fake_gateway()
    payment_id = (await create(gw)).payment_id
    assert await process_until_final(gw, payment_id) == [200]
    assert queue(gw).take(OPEN_DISPUTE_PATH) == []
    assert (await open_dispute(gw, payment_id)).outcome == "nothing_to_do"
    assert await gw.disputes.of_payment(payment_id) is None


async def test_a_manual_capture_of_a_dispute_card_starts_the_timer_on_capture() -> None:
    from shared.services.capture_payment import capture_payment

    gw = fake_gateway()
    payment_id = (await create(gw, payment_method=DISPUTE_CARD, capture_method="manual")).payment_id
    assert await process_until_final(gw, payment_id) == [200]
    assert queue(gw).take(OPEN_DISPUTE_PATH) == []  # authorised only: nothing to dispute yet
    await capture_payment(gw, MERCHANT, payment_id, {"amount": 500})
    [timer] = queue(gw).take(OPEN_DISPUTE_PATH)
    await open_dispute(gw, timer.body["payment_id"])
    dispute = await gw.disputes.of_payment(payment_id)
    assert dispute is not None and dispute.amount == 500


@pytest.mark.parametrize(("text", "verdict"), [("winning_evidence: ok", D.WON), ("no", D.LOST)])
async def test_evidence_is_reviewed_then_decided_by_its_timer(
    text: str, verdict: DisputeStatus
) -> None:
    gw = fake_gateway(dispute_decision_delay_s=9)
    dispute = await opened(gw)
    event_types(gw)
    review = await submit_evidence(gw, MERCHANT, dispute.id, {"text": text})
    assert (review.status, review.evidence) == (D.UNDER_REVIEW, text)
    assert event_types(gw) == []  # under review sends nothing
    [timer] = queue(gw).take(DECIDE_DISPUTE_PATH)
    assert timer.body == {"dispute_id": dispute.id} and timer.delay_s == 9
    result = await decide_dispute(gw, dispute.id)
    assert (result.http_status, result.status) == (200, verdict.value)
    assert (await decide_dispute(gw, dispute.id)).status == verdict.value  # a redelivery
    decided = await gw.disputes.get(dispute.id)
    assert decided is not None and decided.status == verdict and decided.closed_at is not None
    assert event_types(gw) == ["dispute.closed"]
    with pytest.raises(InvalidState):
        await submit_evidence(gw, MERCHANT, dispute.id, {"text": "more"})


async def test_close_accepts_the_loss_once() -> None:
    gw = fake_gateway()
    dispute = await opened(gw)
    event_types(gw)
    lost = await close_dispute(gw, MERCHANT, dispute.id, {})
    assert lost.status == D.LOST and event_types(gw) == ["dispute.closed"]
    with pytest.raises(InvalidState):
        await close_dispute(gw, MERCHANT, dispute.id, {})
    with pytest.raises(InvalidState):
        await submit_evidence(gw, MERCHANT, dispute.id, {"text": "too late"})


async def test_under_review_cannot_be_closed_and_unknown_or_foreign_ids_are_404() -> None:
    gw = fake_gateway()
    dispute = await opened(gw)
    await submit_evidence(gw, MERCHANT, dispute.id, {"text": "x"})
    with pytest.raises(InvalidState):
        await close_dispute(gw, MERCHANT, dispute.id, {})
    for call in (
        lambda: get_dispute(gw, "mer_other", dispute.id),
        lambda: close_dispute(gw, "mer_other", dispute.id, {}),
        lambda: submit_evidence(gw, MERCHANT, "dp_nope", {"text": "x"}),
    ):
        with pytest.raises(NotFound):
            await call()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "   "},
        {"text": 5},
        {"text": ["winning_evidence"]},
        {"text": "x" * 10_001},
        {"text": "a\x00b"},
        {"text": "ok", "extra": 1},
        "winning_evidence",
    ],
)
async def test_bad_evidence_is_refused_and_changes_nothing(body: object) -> None:
    gw = fake_gateway()
    dispute = await opened(gw)
    with pytest.raises(InvalidRequest):
        await submit_evidence(gw, MERCHANT, dispute.id, body)
    assert (await gw.disputes.get(dispute.id)) == dispute


async def test_evidence_may_span_lines_and_be_ten_thousand_characters() -> None:
    gw = fake_gateway()
    dispute = await opened(gw)
    text = "line one\n\tline two " + "y" * (10_000 - 19)
    assert (await submit_evidence(gw, MERCHANT, dispute.id, {"text": text})).evidence == text


async def test_the_payment_detail_shows_the_dispute_and_its_moves() -> None:
    gw = fake_gateway()
    dispute = await opened(gw)
    await close_dispute(gw, MERCHANT, dispute.id, {})
    detail = await get_payment(gw, MERCHANT, dispute.payment_id)
    assert detail.dispute is not None and detail.dispute.status == "LOST"
    moves = [(e.object_type, e.from_, e.to) for e in detail.events if e.object_type == "dispute"]
    assert moves == [("dispute", None, "NEEDS_RESPONSE"), ("dispute", "NEEDS_RESPONSE", "LOST")]
    assert detail.events[-1].object_id == dispute.id


async def test_list_filters_and_pages_newest_first() -> None:
    gw = fake_gateway()
    first, second, third = [await opened(gw, f"key-{n}") for n in range(3)]
    await close_dispute(gw, MERCHANT, second.id, {})
    page = await list_disputes(gw, MERCHANT, limit=2)
    assert [d.id for d in page.data] == [third.id, second.id] and page.has_more
    rest = await list_disputes(gw, MERCHANT, limit=2, starting_after=second.id)
    assert [d.id for d in rest.data] == [first.id] and not rest.has_more
    lost = await list_disputes(gw, MERCHANT, status="LOST")
    assert [d.id for d in lost.data] == [second.id]
    mine = await list_disputes(gw, MERCHANT, payment=first.payment_id)
    assert [d.id for d in mine.data] == [first.id]
    assert (await list_disputes(gw, "mer_other")).data == []
    for bad in ({"limit": 0}, {"limit": 101}, {"status": "OPEN"}, {"starting_after": "pay_x"}):
        with pytest.raises(InvalidRequest):
            await list_disputes(gw, MERCHANT, **bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest):
        await list_disputes(gw, MERCHANT, payment="dp_x")


async def test_the_sweeper_opens_a_lost_timer_decides_a_late_one_and_refans() -> None:
    gw = fake_gateway(stale_after_s=30, dispute_delay_s=5, dispute_decision_delay_s=5)
    payment_id = await disputed_payment(gw)
    queue(gw).take(OPEN_DISPUTE_PATH)  # the timer is lost
    await sweep(gw)
    assert await gw.disputes.of_payment(payment_id) is None  # not late yet
    payments = cast(FakePayments, gw.payments)
    late = utcnow() - timedelta(seconds=36)
    payments.rows[payment_id] = replace(payments.rows[payment_id], finalized_at=late)
    await sweep(gw)
    dispute = await gw.disputes.of_payment(payment_id)
    assert dispute is not None and dispute.status == D.NEEDS_RESPONSE
    assert event_types(gw) == ["dispute.created"]

    await submit_evidence(gw, MERCHANT, dispute.id, {"text": "winning_evidence"})
    queue(gw).take(DECIDE_DISPUTE_PATH)  # the decision timer is lost too
    disputes = cast(FakeDisputes, gw.disputes)
    review = disputes.rows[dispute.id]
    disputes.rows[dispute.id] = replace(review, updated_at=utcnow() - timedelta(seconds=36))
    queue(gw).down = True  # and the decision's fan-out fails
    report = await sweep(gw)
    assert report.failed >= 1
    decided = disputes.rows[dispute.id]
    assert decided.status == D.WON and decided.fanout_pending
    queue(gw).down = False
    disputes.rows[dispute.id] = replace(decided, updated_at=utcnow() - timedelta(seconds=31))
    await sweep(gw)
    assert not disputes.rows[dispute.id].fanout_pending
    assert event_types(gw) == ["dispute.closed"]


async def test_a_queue_outage_after_a_merchant_move_leaves_the_rest_to_the_sweeper() -> None:
    gw = fake_gateway()
    closing, answering = await opened(gw, "key-1"), await opened(gw, "key-2")
    event_types(gw)
    queue(gw).down = True
    lost = await close_dispute(gw, MERCHANT, closing.id, {})
    assert lost.status == D.LOST and lost.fanout_pending  # moved; its event is owed
    review = await submit_evidence(gw, MERCHANT, answering.id, {"text": "x"})
    assert review.status == D.UNDER_REVIEW  # moved; its decision is the sweeper's to make
    assert queue(gw).take(DECIDE_DISPUTE_PATH) == []


async def test_a_dispute_closed_before_its_created_fan_out_sends_both_events() -> None:
    """Opened (its `dispute.created` owed, the opening's fan-out cut short by a crash), then
    accepted by the merchant: the closing's fan-out sends the owed `dispute.created` too."""
    gw = fake_gateway()
    payment_id = await disputed_payment(gw)
    payment = await gw.payments.get(payment_id)
    assert payment is not None
    dispute = await gw.disputes.insert(
        Dispute.opened(dispute_id="dp_cut", payment=payment, now=utcnow(), evidence_days=7)
    )
    assert dispute.fanout_pending and event_types(gw) == []
    lost = await close_dispute(gw, MERCHANT, dispute.id, {})
    assert lost.status == D.LOST
    assert event_types(gw) == ["dispute.created", "dispute.closed"]
    stored = await gw.disputes.get(dispute.id)
    assert stored is not None and not stored.fanout_pending

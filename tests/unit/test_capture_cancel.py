"""Manual capture, cancel and authorization expiry against fakes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

import pytest

from shared.domain.clock import utcnow
from shared.domain.errors import InvalidRequest, InvalidState, NotFound
from shared.domain.payment import Payment
from shared.domain.states import PaymentStatus
from shared.services.capture_payment import (
    cancel_payment,
    capture_payment,
    expire_authorization,
)
from shared.services.context import Gateway
from shared.services.lifecycle_messages import DISPATCH_PATH, EXPIRE_PATH
from shared.services.sweep import sweep
from tests.fakes import fake_gateway
from tests.fakes.gateway import MERCHANT
from tests.fakes.stores import FakePayments, FakeWebhooks
from tests.unit.conftest import create, process_until_final, queue


async def authorised(gw: Gateway, amount: int = 1000) -> Payment:
    payment_id = (await create(gw, amount=amount, capture_method="manual")).payment_id
    assert await process_until_final(gw, payment_id) == [200]
    payment = await gw.payments.get(payment_id)
    assert payment is not None
    return payment


def event_types(gw: Gateway) -> list[str]:
    """The event types of the deliveries queued since the last call."""
    webhooks = cast(FakeWebhooks, gw.webhooks)
    return [
        json.loads(webhooks.deliveries[m.body["delivery_id"]]["body"])["type"]
        for m in queue(gw).take(DISPATCH_PATH)
    ]


def overdue(gw: Gateway, payment: Payment, expired_at: datetime) -> None:
    """Pretend the authorization's time ran out (the stored expiry moved to the past)."""
    payments = cast(FakePayments, gw.payments)
    payments.rows[payment.id] = replace(payment, authorization_expires_at=expired_at)


async def test_a_manual_payment_is_authorised_held_and_timed() -> None:
    gw = fake_gateway(authorization_ttl_s=600)
    payment = await authorised(gw)
    assert payment.status == PaymentStatus.REQUIRES_CAPTURE
    assert payment.amount_captured == 0 and payment.authorization_expires_at is not None
    expected = utcnow() + timedelta(seconds=600)
    assert abs((payment.authorization_expires_at - expected).total_seconds()) < 5
    [timer] = queue(gw).take(EXPIRE_PATH)
    assert timer.delay_s is not None and 595 <= timer.delay_s <= 600
    assert timer.deduplication_id == f"expire-{payment.id}-g1"
    assert event_types(gw) == ["payment.requires_capture"]


async def test_a_partial_capture_succeeds_with_the_captured_amount() -> None:
    gw = fake_gateway()
    payment = await authorised(gw)
    queue(gw).take(DISPATCH_PATH)
    captured = await capture_payment(gw, MERCHANT, payment.id, {"amount": 600})
    assert captured.status == PaymentStatus.SUCCESS and captured.amount_captured == 600
    assert captured.authorization_expires_at is None
    assert event_types(gw) == ["payment.succeeded"]
    trail = [(e["from"], e["to"]) for e in await gw.payments.events_of(captured)]
    assert trail[-2:] == [("PROCESSING", "REQUIRES_CAPTURE"), ("REQUIRES_CAPTURE", "SUCCESS")]


async def test_a_capture_without_amount_takes_it_all() -> None:
    gw = fake_gateway()
    payment = await authorised(gw, amount=777)
    captured = await capture_payment(gw, MERCHANT, payment.id, {})
    assert captured.amount_captured == 777


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": 1001}, "amount_too_large"),
        ({"amount": 0}, "parameter_invalid"),
        ({"amount": -5}, "parameter_invalid"),
        ({"amount": "10"}, "parameter_invalid"),
        ({"amount": 1.5}, "parameter_invalid"),
        ({"amount": 10, "extra": 1}, "parameter_unknown"),
        ([], "parameter_invalid"),
    ],
)
async def test_a_bad_capture_is_refused_and_changes_nothing(body: object, code: str) -> None:
    gw = fake_gateway()
    payment = await authorised(gw)
    with pytest.raises(InvalidRequest) as refused:
        await capture_payment(gw, MERCHANT, payment.id, body)
    assert refused.value.code == code
    assert await gw.payments.get(payment.id) == payment


async def test_capture_and_cancel_of_the_wrong_state_or_merchant() -> None:
    gw = fake_gateway()
    auto = (await create(gw, key="auto", scenario="success")).payment_id
    await process_until_final(gw, auto)
    with pytest.raises(InvalidState):
        await capture_payment(gw, MERCHANT, auto, {})
    with pytest.raises(InvalidState):
        await cancel_payment(gw, MERCHANT, auto, {})
    with pytest.raises(NotFound):
        await capture_payment(gw, "mer_other", auto, {})
    with pytest.raises(NotFound):
        await cancel_payment(gw, MERCHANT, "pay_missing", {})
    payment = await authorised(gw)
    await capture_payment(gw, MERCHANT, payment.id, {})
    with pytest.raises(InvalidState):  # captured once only
        await capture_payment(gw, MERCHANT, payment.id, {})


async def test_cancel_an_authorization_and_before_the_gateway_answered() -> None:
    gw = fake_gateway()
    payment = await authorised(gw)
    queue(gw).take(DISPATCH_PATH)
    canceled = await cancel_payment(gw, MERCHANT, payment.id, {"reason": "duplicate"})
    assert canceled.status == PaymentStatus.CANCELED
    assert canceled.cancellation_reason == "duplicate"
    assert event_types(gw) == ["payment.canceled"]
    fresh = (await create(gw, key="early")).payment_id
    early = await cancel_payment(gw, MERCHANT, fresh, {})
    assert early.status == PaymentStatus.CANCELED
    assert early.cancellation_reason == "requested_by_customer"
    # The process message that was already queued finds it final and changes nothing.
    assert await process_until_final(gw, fresh) == [200]
    again = await gw.payments.get(fresh)
    assert again is not None and again.status == PaymentStatus.CANCELED
    with pytest.raises(InvalidRequest):
        await cancel_payment(gw, MERCHANT, payment.id, {"reason": "bored"})


async def test_a_cancel_losing_to_the_gateway_answers_409_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gw = fake_gateway()
    payment_id = (await create(gw)).payment_id
    stale = await gw.payments.get(payment_id)
    assert stale is not None
    await process_until_final(gw, payment_id)
    won = await gw.payments.get(payment_id)

    # The cancel read CREATED; the gateway's answer landed first: its guarded save misses.
    async def stale_read(pid: str, merchant_id: str | None = None) -> Payment | None:
        return stale

    with monkeypatch.context() as patched:
        patched.setattr(gw.payments, "get", stale_read)
        with pytest.raises(InvalidState):
            await cancel_payment(gw, MERCHANT, payment_id, {})
    assert await gw.payments.get(payment_id) == won


async def test_expiry_cancels_only_a_due_uncaptured_authorization() -> None:
    gw = fake_gateway(authorization_ttl_s=3600)
    payment = await authorised(gw)
    early = await expire_authorization(gw, payment.id, 1)
    assert early.http_status == 503 and early.outcome == "not_yet_due"
    due = payment.authorization_expires_at
    assert due is not None
    overdue(gw, payment, utcnow() - timedelta(seconds=1))
    result = await expire_authorization(gw, payment.id, 1)
    assert result.outcome == "expired"
    expired = await gw.payments.get(payment.id)
    assert expired is not None and expired.status == PaymentStatus.CANCELED
    assert expired.cancellation_reason == "expired"
    assert (await expire_authorization(gw, payment.id, 1)).outcome == "not_authorized"


async def test_the_sweeper_expires_an_authorization_whose_timer_was_lost() -> None:
    gw = fake_gateway(authorization_ttl_s=60, stale_after_s=30)
    payment = await authorised(gw)
    queue(gw).take(EXPIRE_PATH)  # the timer message is lost
    assert (await sweep(gw)).republished == 0  # not due yet
    long_ago = utcnow() - timedelta(seconds=31)
    overdue(gw, payment, long_ago)
    await sweep(gw)
    swept = await gw.payments.get(payment.id)
    assert swept is not None and swept.status == PaymentStatus.CANCELED

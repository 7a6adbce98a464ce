"""Use cases: a merchant captures or cancels a payment; an uncaptured authorization expires.

Each is one guarded move (`commit_settling_move`): a capture or cancel racing the gateway's
answer, another capture or the expiry timer either wins or changes nothing and answers 409.
"""

from __future__ import annotations

from typing import Any

from shared.domain.clock import utcnow
from shared.domain.errors import InvalidRequest, InvalidState, NotFound
from shared.domain.payment import EXPIRED, Payment
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway
from shared.services.results import StepResult
from shared.services.settling import commit_settling_move
from shared.services.validation import parse_model

CANCEL_REASON_DEFAULT = "requested_by_customer"


async def _payment(gw: Gateway, merchant_id: str, payment_id: str) -> Payment:
    payment = await gw.payments.get(payment_id, merchant_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}", param="id")
    return payment


async def _refuse(gw: Gateway, payment: Payment, message: str) -> InvalidState:
    """The 409 for a payment in the wrong state, its last move's audit row written first if a
    crash lost it (a move and its row are two writes): a capture or cancel retried after dying
    between them finds the move made and answers 409, so it mends the trail before it answers.
    (A move that goes ahead writes that row itself, in its own insert.)"""
    await gw.payments.ensure_event(payment)
    return InvalidState(message)


def capture_amount(payment: Payment, requested: int | None) -> int:
    """The amount to capture: all of it by default, else 1..amount."""
    if requested is None:
        return payment.amount
    if requested <= 0:
        raise InvalidRequest("amount must be a positive integer (minor units)", param="amount")
    if requested > payment.amount:
        raise InvalidRequest(
            f"amount {requested} is more than the {payment.amount} authorised",
            code="amount_too_large",
            param="amount",
        )
    return requested


async def capture_payment(gw: Gateway, merchant_id: str, payment_id: str, body: Any) -> Payment:
    # Imported here: the request models are pydantic models built at import, and only the
    # payments_api route that calls this (whose module already imports them) needs them;
    # the other functions import this module for its lifecycle steps.
    from shared.domain.requests import PaymentCapture

    request = parse_model(PaymentCapture, body)
    payment = await _payment(gw, merchant_id, payment_id)
    if payment.status != PaymentStatus.REQUIRES_CAPTURE:
        raise await _refuse(
            gw,
            payment,
            f"only REQUIRES_CAPTURE payments can be captured; this one is {payment.status}",
        )
    amount = capture_amount(payment, request.amount)
    moved = await commit_settling_move(
        gw,
        payment,
        PaymentStatus.SUCCESS,
        lambda webhook_status: payment.captured(
            amount, now=utcnow(), webhook_status=webhook_status
        ),
        tolerate_outage=True,
    )
    if moved is None:
        raise InvalidState("the payment changed while capturing it; fetch it and try again")
    return moved


async def cancel_payment(gw: Gateway, merchant_id: str, payment_id: str, body: Any) -> Payment:
    from shared.domain.requests import PaymentCancel  # see capture_payment

    request = parse_model(PaymentCancel, body)
    payment = await _payment(gw, merchant_id, payment_id)
    if not payment.can_cancel:
        raise await _refuse(
            gw,
            payment,
            "only CREATED, RETRYING and REQUIRES_CAPTURE payments can be canceled; "
            f"this one is {payment.status}",
        )
    moved = await _cancel(gw, payment, request.reason or CANCEL_REASON_DEFAULT, "cancel_payment")
    if moved is None:
        raise InvalidState("the payment changed while canceling it; fetch it and try again")
    return moved


async def _cancel(gw: Gateway, payment: Payment, reason: str, actor: str) -> Payment | None:
    return await commit_settling_move(
        gw,
        payment,
        PaymentStatus.CANCELED,
        lambda webhook_status: payment.canceled(
            reason, now=utcnow(), actor=actor, webhook_status=webhook_status
        ),
        tolerate_outage=True,
    )


async def expire_authorization(gw: Gateway, payment_id: str, generation: int) -> StepResult:
    """The expiry timer (or the sweeper): cancel the authorization if it is still uncaptured
    and due; early or already settled → nothing to do."""
    payment = await gw.payments.get(payment_id)
    if payment is None or payment.generation != generation:
        return StepResult(200, "nothing_to_do", payment_id)
    if payment.status != PaymentStatus.REQUIRES_CAPTURE:
        return StepResult(200, "not_authorized", payment_id, payment.status)
    expires = payment.authorization_expires_at
    if expires is not None and expires > utcnow():
        return StepResult(503, "not_yet_due", payment_id, payment.status)
    moved = await _cancel(gw, payment, EXPIRED, "expire_authorization")
    if moved is None:
        return StepResult(200, "lost_race", payment_id)
    return StepResult(200, "expired", payment_id, moved.status)

"""Read-side use cases: one payment with its timeline and deliveries, and the payment list."""

from __future__ import annotations

from shared.domain.errors import InvalidRequest, NotFound
from shared.domain.ids import PAYMENT, has_prefix
from shared.domain.simulator import MAGIC_DISPUTE
from shared.domain.states import PaymentStatus
from shared.services.context import Gateway
from shared.services.views import (
    DisputeOut,
    PaymentDetailOut,
    PaymentEventOut,
    PaymentListOut,
    PaymentOut,
    RefundOut,
    WebhookDeliveryOut,
)

MAX_PAGE = 100


async def get_payment(gw: Gateway, merchant_id: str, payment_id: str) -> PaymentDetailOut:
    payment = await gw.payments.get(payment_id, merchant_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}", param="id")
    events = await gw.payments.events_of(payment)
    deliveries = await gw.webhooks.deliveries_of(payment_id)
    attempts = await gw.webhooks.attempts_of([d["_id"] for d in deliveries])
    # Only a dispute-card payment can have one (linked once opened).
    disputable = payment.dispute_id is not None or payment.magic == MAGIC_DISPUTE
    dispute = await gw.disputes.of_payment(payment_id) if disputable else None
    return PaymentDetailOut(
        **PaymentOut.from_domain(payment).model_dump(),
        events=[PaymentEventOut.from_record(e) for e in events],
        webhook_deliveries=[WebhookDeliveryOut.from_record(d, attempts) for d in deliveries],
        refunds=[RefundOut.from_domain(r) for r in await gw.refunds.of_payment(payment_id)],
        dispute=DisputeOut.from_domain(dispute) if dispute else None,
    )


def _cursor(value: str | None, name: str) -> str | None:
    if value is not None and not has_prefix(value, PAYMENT):
        raise InvalidRequest(f"{name} must be a payment id (pay_…)", param=name)
    return value


async def list_payments(
    gw: Gateway,
    merchant_id: str,
    *,
    limit: int = 10,
    status: str | None = None,
    user_id: str | None = None,
    starting_after: str | None = None,
    ending_before: str | None = None,
) -> PaymentListOut:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}", param="limit")
    if status is not None and status not in PaymentStatus.__members__:
        raise InvalidRequest(
            f"status must be one of {', '.join(PaymentStatus.__members__)}", param="status"
        )
    if starting_after and ending_before:
        raise InvalidRequest(
            "starting_after and ending_before are mutually exclusive", param="ending_before"
        )
    page, has_more = await gw.payments.page(
        merchant_id,
        limit=limit,
        status=status,
        user_id=user_id,
        starting_after=_cursor(starting_after, "starting_after"),
        ending_before=_cursor(ending_before, "ending_before"),
    )
    return PaymentListOut(
        object="list",
        url="/v1/payments",
        data=[PaymentOut.from_domain(p) for p in page],
        has_more=has_more,
    )

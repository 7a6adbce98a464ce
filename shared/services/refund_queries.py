"""Read-side use cases of refunds: one refund, and the refund list."""

from __future__ import annotations

from shared.domain.errors import InvalidRequest, NotFound
from shared.domain.ids import PAYMENT, REFUND, has_prefix
from shared.domain.refund import RefundStatus
from shared.services.context import Gateway
from shared.services.views import RefundListOut, RefundOut

MAX_PAGE = 100


async def get_refund(gw: Gateway, merchant_id: str, refund_id: str) -> RefundOut:
    refund = await gw.refunds.get(refund_id, merchant_id)
    if refund is None:
        raise NotFound(f"no refund {refund_id}", param="id")
    return RefundOut.from_domain(refund)


async def list_refunds(
    gw: Gateway,
    merchant_id: str,
    *,
    limit: int = 10,
    payment: str | None = None,
    status: str | None = None,
    starting_after: str | None = None,
) -> RefundListOut:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}", param="limit")
    if status is not None and status not in RefundStatus.__members__:
        raise InvalidRequest(
            f"status must be one of {', '.join(RefundStatus.__members__)}", param="status"
        )
    if payment is not None and not has_prefix(payment, PAYMENT):
        raise InvalidRequest("payment must be a payment id (pay_…)", param="payment")
    if starting_after is not None and not has_prefix(starting_after, REFUND):
        raise InvalidRequest("starting_after must be a refund id (re_…)", param="starting_after")
    page, has_more = await gw.refunds.page(
        merchant_id, limit=limit, payment_id=payment, status=status, starting_after=starting_after
    )
    return RefundListOut(
        object="list",
        url="/v1/refunds",
        data=[RefundOut.from_domain(r) for r in page],
        has_more=has_more,
    )

"""Read-side use cases of disputes: one dispute, and the dispute list."""

from __future__ import annotations

from shared.domain.dispute import DisputeStatus
from shared.domain.errors import InvalidRequest, NotFound
from shared.domain.ids import DISPUTE, PAYMENT, has_prefix
from shared.services.context import Gateway
from shared.services.views import DisputeListOut, DisputeOut

MAX_PAGE = 100


async def get_dispute(gw: Gateway, merchant_id: str, dispute_id: str) -> DisputeOut:
    dispute = await gw.disputes.get(dispute_id, merchant_id)
    if dispute is None:
        raise NotFound(f"no dispute {dispute_id}", param="id")
    return DisputeOut.from_domain(dispute)


async def list_disputes(
    gw: Gateway,
    merchant_id: str,
    *,
    limit: int = 10,
    payment: str | None = None,
    status: str | None = None,
    starting_after: str | None = None,
) -> DisputeListOut:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}", param="limit")
    if status is not None and status not in DisputeStatus.__members__:
        raise InvalidRequest(
            f"status must be one of {', '.join(DisputeStatus.__members__)}", param="status"
        )
    if payment is not None and not has_prefix(payment, PAYMENT):
        raise InvalidRequest("payment must be a payment id (pay_…)", param="payment")
    if starting_after is not None and not has_prefix(starting_after, DISPUTE):
        raise InvalidRequest("starting_after must be a dispute id (dp_…)", param="starting_after")
    page, has_more = await gw.disputes.page(
        merchant_id,
        limit=limit,
        payment_id=payment,
        status=status,
        starting_after=starting_after,
    )
    return DisputeListOut(
        object="list",
        url="/v1/disputes",
        data=[DisputeOut.from_domain(d) for d in page],
        has_more=has_more,
    )

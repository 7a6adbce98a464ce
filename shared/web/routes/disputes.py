"""Disputes: list, get, answer with evidence, accept (close)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.domain.requests import DisputeClose, DisputeEvidence
from shared.services.dispute_queries import get_dispute, list_disputes
from shared.services.disputes import close_dispute, submit_evidence
from shared.web import logs
from shared.web.deps import GatewayDep, JsonBody, Merchant, OptionalJsonBody
from shared.web.openapi import errors, json_request_body
from shared.web.schemas import DisputeListOut, DisputeOut

router = APIRouter(tags=["disputes"])


@router.get(
    "/v1/disputes",
    summary="List disputes, newest first",
    response_model=DisputeListOut,
    responses=errors(),
)
async def get_disputes(
    gw: GatewayDep,
    merchant: Merchant,
    payment: Annotated[str | None, Query(max_length=64, description="A payment id")] = None,
    status: Annotated[str | None, Query(description="NEEDS_RESPONSE|UNDER_REVIEW|WON|LOST")] = None,
    limit: Annotated[int, Query()] = 10,
    starting_after: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    return await list_disputes(
        gw,
        merchant["_id"],
        limit=limit,
        payment=payment,
        status=status,
        starting_after=starting_after,
    )


@router.get(
    "/v1/disputes/{dispute_id}",
    summary="A dispute",
    response_model=DisputeOut,
    responses=errors(404),
)
async def get_one_dispute(dispute_id: str, gw: GatewayDep, merchant: Merchant) -> Any:
    logs.bind(dispute_id=dispute_id)
    return await get_dispute(gw, merchant["_id"], dispute_id)


@router.post(
    "/v1/disputes/{dispute_id}/evidence",
    summary="Answer a NEEDS_RESPONSE dispute with evidence",
    description="The dispute moves to UNDER_REVIEW and is decided a few seconds later (text "
    "containing `winning_evidence` wins, anything else loses; `dispute.closed`). A dispute in "
    "any other state is 409 `invalid_state`.",
    response_model=DisputeOut,
    responses=errors(404, 409, 415),
    openapi_extra=json_request_body(DisputeEvidence),
)
async def post_evidence(dispute_id: str, gw: GatewayDep, merchant: Merchant, body: JsonBody) -> Any:
    logs.bind(dispute_id=dispute_id)
    moved = await submit_evidence(gw, merchant["_id"], dispute_id, body)
    return DisputeOut.from_domain(moved)


@router.post(
    "/v1/disputes/{dispute_id}/close",
    summary="Accept a NEEDS_RESPONSE dispute as lost",
    description="The dispute moves to LOST (`dispute.closed`); a dispute in any other state "
    "is 409 `invalid_state`.",
    response_model=DisputeOut,
    responses=errors(404, 409, 415),
    openapi_extra=json_request_body(DisputeClose, required=False),
)
async def post_close(
    dispute_id: str, gw: GatewayDep, merchant: Merchant, body: OptionalJsonBody
) -> Any:
    logs.bind(dispute_id=dispute_id)
    return DisputeOut.from_domain(await close_dispute(gw, merchant["_id"], dispute_id, body))

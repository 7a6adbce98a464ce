"""Disputes in MongoDB; their moves in the payment's trail (`payment_events`).

A payment has at most one dispute: a unique index on `payment_id` makes a repeated or
concurrent opening insert nothing (the first one is returned). Moves are written like a
payment's: one `find_one_and_update` guarded by (id, status, version), then the move's event
(id derived from the version, `object_type: "dispute"`), re-written idempotently by whoever
sees the dispute next, so a crash between the two loses nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.adapters.mongo import insert_once, translate_all
from shared.domain.dispute import Dispute, DisputeMove, DisputeStatus

Doc = dict[str, Any]
FIELDS = (
    "merchant_id",
    "payment_id",
    "amount",
    "currency",
    "reason",
    "evidence",
    "evidence_due_by",
    "created_at",
    "updated_at",
    "closed_at",
    "version",
    "fanout_pending",
)


def _move_document(move: DisputeMove | None) -> Doc | None:
    if move is None:
        return None
    return {
        "event_id": move.event_id,
        "from": move.from_status.value if move.from_status else None,
        "to": move.to.value,
        "at": move.at,
        "actor": move.actor,
        "reason": move.reason,
    }


def to_document(dispute: Dispute) -> Doc:
    doc: Doc = {"_id": dispute.id, **{name: getattr(dispute, name) for name in FIELDS}}
    doc["status"] = dispute.status.value
    doc["last_move"] = _move_document(dispute.last_move)
    return doc


def from_document(doc: Doc) -> Dispute:
    move = doc.get("last_move")
    return Dispute(
        id=doc["_id"],
        **{name: doc[name] for name in FIELDS if name in doc},
        status=DisputeStatus(doc["status"]),
        last_move=DisputeMove(
            event_id=move["event_id"],
            from_status=DisputeStatus(move["from"]) if move.get("from") else None,
            to=DisputeStatus(move["to"]),
            at=move["at"],
            actor=move["actor"],
            reason=move.get("reason"),
        )
        if move
        else None,
    )


def event_document(dispute: Dispute) -> Doc | None:
    """The audit event of the dispute's last move, in its payment's trail."""
    move = _move_document(dispute.last_move)
    if move is None:
        return None
    return {
        "_id": move.pop("event_id"),
        "payment_id": dispute.payment_id,
        "merchant_id": dispute.merchant_id,
        "object_type": "dispute",
        "object_id": dispute.id,
        **move,
    }


@translate_all
class DisputeRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.disputes = db["disputes"]
        self.events = db["payment_events"]

    async def get(self, dispute_id: str, merchant_id: str | None = None) -> Dispute | None:
        query: Doc = {"_id": dispute_id}
        if merchant_id is not None:
            query["merchant_id"] = merchant_id
        doc = await self.disputes.find_one(query)
        return from_document(doc) if doc else None

    async def of_payment(self, payment_id: str) -> Dispute | None:
        doc = await self.disputes.find_one({"payment_id": payment_id})
        return from_document(doc) if doc else None

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        payment_id: str | None = None,
        status: str | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[Dispute], bool]:
        """Newest first (ids are time-ordered ULIDs); returns (page, has_more)."""
        query: Doc = {"merchant_id": merchant_id}
        if payment_id:
            query["payment_id"] = payment_id
        if status:
            query["status"] = status
        if starting_after:
            query["_id"] = {"$lt": starting_after}
        docs = (
            await self.disputes.find(query)
            .sort("_id", DESCENDING)
            .limit(limit + 1)
            .to_list(length=limit + 1)
        )
        return [from_document(d) for d in docs[:limit]], len(docs) > limit

    async def insert(self, dispute: Dispute) -> Dispute:
        """The payment's dispute: this one, or the one an earlier opening stored."""
        try:
            await self.disputes.insert_one(to_document(dispute))
        except DuplicateKeyError:
            existing = await self.of_payment(dispute.payment_id)
            if existing is None:  # the duplicate was its id, not its payment: not ours to hide
                raise
            await self.ensure_event(existing)
            return existing
        await self.ensure_event(dispute)
        return dispute

    async def save(self, before: Dispute, after: Dispute) -> Dispute | None:
        """Write the fields the move changed. `fanout_pending` is out-of-band (cleared by
        `finish_fan_out` at the same version), so `before` may hold a stale True: a move that
        owes an event writes it whatever `before` says, or its event would never be sent."""
        query = {"_id": before.id, "status": before.status.value, "version": before.version}
        was, will = to_document(before), to_document(after)
        changed = {
            name: value
            for name, value in will.items()
            if name != "_id" and (value != was.get(name) or (name == "fanout_pending" and value))
        }
        stored = await self.disputes.find_one_and_update(
            query, {"$set": changed}, return_document=ReturnDocument.AFTER
        )
        if stored is None:
            return None
        saved = from_document(stored)
        await self.ensure_event(saved)
        return saved

    async def ensure_event(self, dispute: Dispute) -> None:
        event = event_document(dispute)
        if event is not None:
            await insert_once(self.events, event)

    async def finish_fan_out(self, dispute: Dispute) -> None:
        await self.disputes.update_one(
            {"_id": dispute.id, "version": dispute.version}, {"$set": {"fanout_pending": False}}
        )

    async def under_review(self, *, updated_before: datetime, limit: int) -> list[Dispute]:
        query = {
            "status": DisputeStatus.UNDER_REVIEW.value,
            "updated_at": {"$lt": updated_before},
        }
        docs = await self.disputes.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

    async def fanout_pending(self, *, updated_before: datetime, limit: int) -> list[Dispute]:
        query = {"fanout_pending": True, "updated_at": {"$lt": updated_before}}
        docs = await self.disputes.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

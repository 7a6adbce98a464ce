"""Refunds in MongoDB, and the refund bookkeeping on their payment's document.

A payment document carries `refund_reserved` (the sum of its pending and succeeded refunds),
`refund_ids` (every refund ever reserved), `settled_refund_ids` (every refund whose outcome was
decided) and `refunded_ids` (those decided SUCCEEDED). `reserve` is one conditional update —
room left, refund not yet reserved — so however many requests race, the reservations never
exceed `amount_captured`, and running it again for the same refund changes nothing. `settle` is
guarded the same way by `settled_refund_ids`, so a redelivered step counts a refund once, and it
answers the outcome the payment counted: the refund's move follows it, so a refund never reads
SUCCEEDED before its payment counts it, and two racing deliveries cannot settle it one way and
move it the other. ("Not in the array" is `$nin`: nx-27017 matches `{array: {$ne: x}}` even
when the array holds x; and with `$expr` it ignores every other filter field, so `reserve`
states all of its conditions in `$expr`.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.adapters.mongo import insert_once, translate_all
from shared.adapters.refund_documents import (
    changed_fields,
    event_document,
    from_document,
    response_of,
    to_document,
)
from shared.domain.errors import DuplicateRefund
from shared.domain.payment import StoredResponse
from shared.domain.refund import Refund, RefundStatus
from shared.domain.states import PaymentStatus

Doc = dict[str, Any]
RESERVED = {"$ifNull": ["$refund_reserved", 0]}


@translate_all
class RefundRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.refunds = db["refunds"]
        self.payments = db["payments"]
        self.events = db["payment_events"]

    # --- reads ----------------------------------------------------------------------
    async def get(self, refund_id: str, merchant_id: str | None = None) -> Refund | None:
        query: Doc = {"_id": refund_id}
        if merchant_id is not None:
            query["merchant_id"] = merchant_id
        doc = await self.refunds.find_one(query)
        return from_document(doc) if doc else None

    async def find_by_key(
        self, merchant_id: str, idempotency_key: str
    ) -> tuple[Refund, StoredResponse] | None:
        doc = await self.refunds.find_one(
            {"merchant_id": merchant_id, "idempotency_key": idempotency_key}
        )
        return (from_document(doc), response_of(doc)) if doc else None

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        payment_id: str | None = None,
        status: str | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[Refund], bool]:
        """Newest first (ids are time-ordered ULIDs); returns (page, has_more)."""
        query: Doc = {"merchant_id": merchant_id}
        if payment_id:
            query["payment_id"] = payment_id
        if status:
            query["status"] = status
        if starting_after:
            query["_id"] = {"$lt": starting_after}
        docs = (
            await self.refunds.find(query)
            .sort("_id", DESCENDING)
            .limit(limit + 1)
            .to_list(length=limit + 1)
        )
        return [from_document(d) for d in docs[:limit]], len(docs) > limit

    async def of_payment(self, payment_id: str) -> list[Refund]:
        docs = await self.refunds.find({"payment_id": payment_id}).sort("_id", 1).to_list(None)
        return [from_document(d) for d in docs]

    async def stale(self, *, unpublished_or_before: datetime, limit: int) -> list[Refund]:
        query = {
            "$or": [
                {"status": RefundStatus.PENDING.value, "published": False},
                {
                    "status": RefundStatus.PENDING.value,
                    "updated_at": {"$lt": unpublished_or_before},
                },
            ]
        }
        docs = await self.refunds.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

    async def fanout_pending(self, *, finalized_before: datetime, limit: int) -> list[Refund]:
        query = {"fanout_pending": True, "finalized_at": {"$lt": finalized_before}}
        docs = await self.refunds.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

    async def reserved_of(self, payment_id: str) -> int:
        doc = await self.payments.find_one({"_id": payment_id}, {"refund_reserved": 1})
        return int((doc or {}).get("refund_reserved") or 0)

    # --- writes ---------------------------------------------------------------------
    async def insert(self, refund: Refund, response: StoredResponse) -> None:
        try:
            await self.refunds.insert_one(to_document(refund, response))
        except DuplicateKeyError as exc:
            raise DuplicateRefund(refund.idempotency_key) from exc

    async def discard(self, refund: Refund) -> None:
        """Delete a PENDING refund that was never reserved (its request answered 400)."""
        await self.refunds.delete_one(
            {"_id": refund.id, "status": RefundStatus.PENDING.value, "version": refund.version}
        )

    async def reserve(self, refund: Refund) -> bool:
        """Reserve the refund's amount on its SUCCESS payment if there is room; True when it
        is reserved (now or before), False when there is no room (nothing changed)."""
        # Every condition inside $expr: nx-27017 ignores the plain filter fields (even _id!)
        # of a query that also has $expr. Real MongoDB reads it the same way.
        conditions = [
            {"$eq": ["$_id", refund.payment_id]},
            {"$eq": ["$status", PaymentStatus.SUCCESS.value]},
            {"$not": [{"$in": [refund.id, {"$ifNull": ["$refund_ids", []]}]}]},
            {"$lte": [{"$add": [RESERVED, refund.amount]}, "$amount_captured"]},
        ]
        stored = await self.payments.find_one_and_update(
            {"_id": refund.payment_id, "$expr": {"$and": conditions}},
            {"$inc": {"refund_reserved": refund.amount}, "$push": {"refund_ids": refund.id}},
            projection={"_id": 1},
            return_document=ReturnDocument.AFTER,
        )
        if stored is not None:
            return True
        again = await self.payments.find_one(
            {"_id": refund.payment_id, "refund_ids": refund.id}, {"_id": 1}
        )
        return again is not None

    async def settle(self, refund: Refund) -> RefundStatus | None:
        """Decide a refund's outcome on its payment, once: the first call counts `refund`'s
        status (SUCCEEDED adds to `amount_refunded`, FAILED releases its reservation) and
        every later call gets that decision back, whatever status it brings. None: the
        refund was never reserved, so the payment has nothing to decide."""
        succeeded = refund.status == RefundStatus.SUCCEEDED
        inc = (
            {"amount_refunded": refund.amount} if succeeded else {"refund_reserved": -refund.amount}
        )
        push: Doc = {"settled_refund_ids": refund.id}
        if succeeded:
            push["refunded_ids"] = refund.id
        result = await self.payments.update_one(
            {
                "_id": refund.payment_id,
                "refund_ids": refund.id,
                "settled_refund_ids": {"$nin": [refund.id]},
            },
            {"$inc": inc, "$push": push},
        )
        if result.modified_count == 1:
            return refund.status
        decided = await self.payments.find_one(
            {"_id": refund.payment_id, "settled_refund_ids": refund.id}, {"refunded_ids": 1}
        )
        if decided is None:
            return None
        won = refund.id in decided.get("refunded_ids", [])
        return RefundStatus.SUCCEEDED if won else RefundStatus.FAILED

    async def save(self, before: Refund, after: Refund) -> Refund | None:
        """Write `after` if the stored refund is still `before` (status and version)."""
        stored = await self.refunds.find_one_and_update(
            {"_id": before.id, "status": before.status.value, "version": before.version},
            {"$set": changed_fields(before, after)},
            return_document=ReturnDocument.AFTER,
        )
        if stored is None:
            return None
        saved = from_document(stored)
        await self.ensure_event(saved)
        return saved

    async def ensure_event(self, refund: Refund) -> None:
        event = event_document(refund)
        if event is not None:
            await insert_once(self.events, event)

    async def mark_published(
        self, refund_id: str, published: bool, *, version: int | None = None
    ) -> bool:
        guard: Doc = {"_id": refund_id}
        if version is not None:
            guard["version"] = version
        result = await self.refunds.update_one(guard, {"$set": {"published": published}})
        return result.matched_count == 1

    async def touch(self, refund: Refund, now: datetime) -> None:
        """Mark a PENDING refund looked at (the sweeper waits `stale_after_s` again)."""
        await self.refunds.update_one(
            {"_id": refund.id, "version": refund.version}, {"$set": {"updated_at": now}}
        )

    async def finish_fan_out(self, refund: Refund) -> None:
        await self.refunds.update_one(
            {"_id": refund.id, "version": refund.version}, {"$set": {"fanout_pending": False}}
        )

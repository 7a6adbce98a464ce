"""Payments and their audit trail in MongoDB.

Every state move is one guarded `find_one_and_update` on (id, status, version): a move that
loses a race matches nothing and returns None. The move also stores `last_transition`; its
event document (`payment_events`, id derived from the version) is written right after and
re-written idempotently by whoever sees the payment next, so a crash between the two loses
nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.adapters.mongo import insert_once, translate_all
from shared.domain.clock import utcnow
from shared.domain.states import PaymentStatus, check_move

Doc = dict[str, Any]


class DuplicatePayment(Exception):
    """A payment with this (merchant, idempotency key) already exists."""


def event_id(payment_id: str, version: int) -> str:
    return f"evt_{payment_id.removeprefix('pay_')}_{version:04d}"


@translate_all
class PaymentRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.payments = db["payments"]
        self.events = db["payment_events"]

    # --- reads ----------------------------------------------------------------------
    async def get(self, payment_id: str, merchant_id: str | None = None) -> Doc | None:
        query: Doc = {"_id": payment_id}
        if merchant_id is not None:
            query["merchant_id"] = merchant_id
        return await self.payments.find_one(query)

    async def find_by_key(self, merchant_id: str, idempotency_key: str) -> Doc | None:
        return await self.payments.find_one(
            {"merchant_id": merchant_id, "idempotency_key": idempotency_key}
        )

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        status: str | None = None,
        user_id: str | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> tuple[list[Doc], bool]:
        """Newest first (ids are time-ordered ULIDs); returns (page, has_more)."""
        query: Doc = {"merchant_id": merchant_id}
        if status:
            query["status"] = status
        if user_id:
            query["user_id"] = user_id
        if starting_after:
            query["_id"] = {"$lt": starting_after}
        if ending_before:
            query["_id"] = {"$gt": ending_before}
            cursor = self.payments.find(query).sort("_id", 1).limit(limit + 1)
            docs = await cursor.to_list(length=limit + 1)
            return list(reversed(docs[:limit])), len(docs) > limit
        docs = (
            await self.payments.find(query)
            .sort("_id", DESCENDING)
            .limit(limit + 1)
            .to_list(length=limit + 1)
        )
        return docs[:limit], len(docs) > limit

    async def events_of(self, payment_id: str) -> list[Doc]:
        return await self.events.find({"payment_id": payment_id}).sort("_id", 1).to_list(None)

    async def stale(
        self, *, unpublished_before: datetime, lease_expired_before: datetime, limit: int
    ) -> list[Doc]:
        """CREATED and RETRYING payments never (or not known to be) published, and expired
        PROCESSING leases."""
        query = {
            "$or": [
                {"status": "CREATED", "published": False},
                {"status": "CREATED", "created_at": {"$lt": unpublished_before}},
                {"status": "RETRYING", "published": False},
                {"status": "RETRYING", "updated_at": {"$lt": unpublished_before}},
                {"status": "PROCESSING", "lease_until": {"$lt": lease_expired_before}},
            ]
        }
        return await self.payments.find(query).limit(limit).to_list(length=limit)

    async def fanout_pending(self, *, finalized_before: datetime, limit: int) -> list[Doc]:
        """Final payments whose webhook fan-out never finished (flag set by the final move)."""
        query = {"fanout_pending": True, "finalized_at": {"$lt": finalized_before}}
        return await self.payments.find(query).limit(limit).to_list(length=limit)

    async def webhook_state(self, payment_id: str) -> Doc | None:
        return await self.payments.find_one(
            {"_id": payment_id}, {"generation": 1, "webhook_status": 1, "webhook_epoch": 1}
        )

    # --- writes ---------------------------------------------------------------------
    async def insert(self, record: Doc) -> None:
        try:
            await self.payments.insert_one(record)
        except DuplicateKeyError as exc:
            raise DuplicatePayment(record["idempotency_key"]) from exc

    async def set_fields(self, payment_id: str, fields: Doc, guard: Doc | None = None) -> bool:
        result = await self.payments.update_one(
            {"_id": payment_id, **(guard or {})}, {"$set": fields}
        )
        return result.matched_count == 1

    async def update_fields(
        self, payment_id: str, fields: Doc, *, inc: Doc, guard: Doc | None = None
    ) -> bool:
        result = await self.payments.update_one(
            {"_id": payment_id, **(guard or {})}, {"$set": fields, "$inc": inc}
        )
        return result.matched_count == 1

    async def move(
        self,
        current: Doc,
        to: PaymentStatus,
        *,
        actor: str,
        reason: str | None = None,
        fields: Doc | None = None,
        inc: Doc | None = None,
        qstash_message_id: str | None = None,
    ) -> Doc | None:
        """Move `current` (as last read) to `to`; None if someone else moved it first."""
        check_move(current["status"], to)
        now = utcnow()
        new_fields = {**(fields or {})}
        attempts = current.get("attempts", 0) + (inc or {}).get("attempts", 0)
        if "attempts" in new_fields:
            attempts = new_fields["attempts"]
        version = current.get("version", 0)
        transition = {
            "event_id": event_id(current["_id"], version + 1),
            "from": current["status"],
            "to": to.value,
            "at": now,
            "attempt": attempts,
            "generation": new_fields.get("generation", current.get("generation", 1)),
            "reason": reason,
            "actor": actor,
            "qstash_message_id": qstash_message_id,
        }
        update: Doc = {
            "$set": {
                "status": to.value,
                "updated_at": now,
                "last_transition": transition,
                **new_fields,
            },
            "$inc": {"version": 1, **(inc or {})},
        }
        guard = {"_id": current["_id"], "status": current["status"], "version": version}
        moved = await self.payments.find_one_and_update(
            guard, update, return_document=ReturnDocument.AFTER
        )
        if moved is not None:
            await self.ensure_event(moved)
        return moved

    async def renew_lease(self, current: Doc, lease_until: datetime, owner: str) -> Doc | None:
        """Take over a PROCESSING payment whose lease has expired (its worker died)."""
        return await self.payments.find_one_and_update(
            {
                "_id": current["_id"],
                "status": "PROCESSING",
                "version": current.get("version", 0),
                "lease_until": {"$lt": utcnow()},
            },
            {
                "$set": {"lease_until": lease_until, "lease_owner": owner, "updated_at": utcnow()},
                "$inc": {"version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def ensure_event(self, payment: Doc) -> None:
        """Write the audit event of the payment's last move, once."""
        transition = payment.get("last_transition")
        if not transition:
            return
        event = {
            "_id": transition["event_id"],
            "payment_id": payment["_id"],
            "merchant_id": payment["merchant_id"],
            **{key: value for key, value in transition.items() if key != "event_id"},
        }
        await insert_once(self.events, event)

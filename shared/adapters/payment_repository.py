"""Payments and their audit trail in MongoDB.

Every state move is computed by the domain (`Payment.move`) and written here by `save`: one
guarded `find_one_and_update` on (id, status, version) of the state it was computed from, so a
move that loses a race matches nothing and returns None. The move also stores
`last_transition` (and the move before it, `previous_transition`); its audit row
(`payment_events`, id derived from the version) is written right after, in one insert with the
rows of the moves before it (already there, unless a crash lost them: the insert is
idempotent), so a crash between the two loses nothing — whoever sees the payment next writes
them (`ensure_event`). A claim (a move into PROCESSING) leaves its row to the move that ends
the attempt, a moment later — or, if the worker died, to the one that takes over the lease:
one Mongo operation per attempt saved. Reads of the trail (`events_of`) include that row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.adapters.mongo import insert_all_once, translate_all
from shared.adapters.payment_documents import (
    audit_rows,
    from_document,
    move_update,
    response_of,
    to_document,
)
from shared.domain.errors import DuplicatePayment
from shared.domain.payment import Payment, StoredResponse
from shared.domain.states import PaymentStatus, WebhookStatus

Doc = dict[str, Any]


@translate_all
class PaymentRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.payments = db["payments"]
        self.events = db["payment_events"]

    # --- reads ----------------------------------------------------------------------
    async def get(self, payment_id: str, merchant_id: str | None = None) -> Payment | None:
        query: Doc = {"_id": payment_id}
        if merchant_id is not None:
            query["merchant_id"] = merchant_id
        doc = await self.payments.find_one(query)
        return from_document(doc) if doc else None

    async def find_by_key(
        self, merchant_id: str, idempotency_key: str
    ) -> tuple[Payment, StoredResponse] | None:
        """The payment made with this key, and how its creation was answered."""
        doc = await self.payments.find_one(
            {"merchant_id": merchant_id, "idempotency_key": idempotency_key}
        )
        return (from_document(doc), response_of(doc)) if doc else None

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        status: str | None = None,
        user_id: str | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> tuple[list[Payment], bool]:
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
            return [from_document(d) for d in reversed(docs[:limit])], len(docs) > limit
        docs = (
            await self.payments.find(query)
            .sort("_id", DESCENDING)
            .limit(limit + 1)
            .to_list(length=limit + 1)
        )
        return [from_document(d) for d in docs[:limit]], len(docs) > limit

    async def events_of(self, payment: Payment) -> list[Doc]:
        """The payment's trail, with its last move's row even before it is written."""
        rows = await self.events.find({"payment_id": payment.id}).sort("_id", 1).to_list(None)
        stored = {row["_id"] for row in rows}
        rows += [row for row in audit_rows(payment, pending=True) if row["_id"] not in stored]
        return rows

    async def stale(
        self, *, unpublished_before: datetime, lease_expired_before: datetime, limit: int
    ) -> list[Payment]:
        """CREATED and RETRYING payments never (or not known to be) published or older than
        `unpublished_before`, and expired PROCESSING leases."""
        S = PaymentStatus
        query = {
            "$or": [
                {"status": S.CREATED.value, "published": False},
                {"status": S.CREATED.value, "created_at": {"$lt": unpublished_before}},
                {"status": S.RETRYING.value, "published": False},
                {"status": S.RETRYING.value, "updated_at": {"$lt": unpublished_before}},
                {"status": S.PROCESSING.value, "lease_until": {"$lt": lease_expired_before}},
            ]
        }
        docs = await self.payments.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

    async def expired_authorizations(self, *, before: datetime, limit: int) -> list[Payment]:
        query = {
            "status": PaymentStatus.REQUIRES_CAPTURE.value,
            "authorization_expires_at": {"$lt": before},
        }
        docs = await self.payments.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

    async def fanout_pending(self, *, finalized_before: datetime, limit: int) -> list[Payment]:
        """Final payments whose webhook fan-out never finished (flag set by the final move)."""
        query = {"fanout_pending": True, "finalized_at": {"$lt": finalized_before}}
        docs = await self.payments.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

    async def undisputed(
        self, *, magic: str, finalized_before: datetime, limit: int
    ) -> list[Payment]:
        """SUCCESS payments carrying `magic` (a dispute card) whose dispute never opened."""
        query = {
            "magic": magic,
            "dispute_id": None,
            "status": PaymentStatus.SUCCESS.value,
            "finalized_at": {"$lt": finalized_before},
        }
        docs = await self.payments.find(query).limit(limit).to_list(length=limit)
        return [from_document(d) for d in docs]

    # --- writes ---------------------------------------------------------------------
    async def insert(self, payment: Payment, response: StoredResponse) -> None:
        """Store a new payment with the answer replays of its key get."""
        doc = to_document(payment)
        doc["response"] = {"status_code": response.status_code, "body": response.body}
        # The metrics' per-minute series groups on this (nx-27017 cannot group on dates).
        doc["created_minute"] = response.body["created_at"][:16]
        try:
            await self.payments.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicatePayment(payment.idempotency_key) from exc

    async def mark_published(
        self, payment_id: str, published: bool, *, version: int | None = None
    ) -> bool:
        """Record whether the payment's next step is known to be queued (the sweeper's cue);
        with `version`, only if the payment is still at that version."""
        guard: Doc = {"_id": payment_id}
        if version is not None:
            guard["version"] = version
        result = await self.payments.update_one(guard, {"$set": {"published": published}})
        return result.matched_count == 1

    async def settle_webhook_status(self, payment: Payment, status: WebhookStatus) -> bool:
        """PENDING → `status`, only while generation, status and epoch are as `payment` read."""
        result = await self.payments.update_one(
            {
                "_id": payment.id,
                "generation": payment.generation,
                "webhook_status": payment.webhook_status.value,
                "webhook_epoch": payment.webhook_epoch,
            },
            {"$set": {"webhook_status": status.value}},
        )
        return result.matched_count == 1

    async def settle_lone_webhook_status(
        self, payment_id: str, generation: int, epoch: int, status: WebhookStatus
    ) -> bool:
        """PENDING → `status` while the generation and webhook epoch are still `epoch`'s."""
        result = await self.payments.update_one(
            {
                "_id": payment_id,
                "generation": generation,
                "webhook_status": WebhookStatus.PENDING.value,
                "webhook_epoch": epoch,
            },
            {"$set": {"webhook_status": status.value}},
        )
        return result.matched_count == 1

    async def reopen_webhook_status(self, payment_id: str, generation: int) -> None:
        """A final event is sent again: PENDING, and a new epoch so older summaries miss."""
        await self.payments.update_one(
            {"_id": payment_id, "generation": generation},
            {"$set": {"webhook_status": WebhookStatus.PENDING.value}, "$inc": {"webhook_epoch": 1}},
        )

    async def finish_fan_out(self, payment: Payment, *, skipped: bool) -> None:
        """The final event's deliveries are queued (or there is no endpoint left: SKIPPED)."""
        fields: Doc = {"fanout_pending": False}
        if skipped:
            fields["webhook_status"] = WebhookStatus.SKIPPED.value
        await self.payments.update_one(
            {"_id": payment.id, "version": payment.version}, {"$set": fields}
        )

    async def attach_dispute(self, payment_id: str, dispute_id: str) -> None:
        """Link the payment's dispute (not a move: the payment stays SUCCESS, same version)."""
        await self.payments.update_one(
            {"_id": payment_id, "dispute_id": None}, {"$set": {"dispute_id": dispute_id}}
        )

    async def save(self, before: Payment, after: Payment) -> Payment | None:
        """Write `after`, computed from `before` as last read; None if `before` is stale."""
        return await self._save(before, after)

    async def take_over_lease(
        self, before: Payment, after: Payment, now: datetime
    ) -> Payment | None:
        """Save `after` only if `before`'s lease had expired by `now` (its worker died)."""
        return await self._save(before, after, {"lease_until": {"$lt": now}})

    async def _save(
        self, before: Payment, after: Payment, guard: Doc | None = None
    ) -> Payment | None:
        query = {
            "_id": before.id,
            "status": before.status.value,
            "version": before.version,
            **(guard or {}),
        }
        stored = await self.payments.find_one_and_update(
            query, move_update(before, after), return_document=ReturnDocument.AFTER
        )
        if stored is None:
            return None
        saved = from_document(stored)
        # One insert: this move's row, and any of the two before it a crash (or a claim) left.
        rows = {row["_id"]: row for row in audit_rows(before) + audit_rows(saved)}
        await insert_all_once(self.events, list(rows.values()))
        return saved

    async def ensure_event(self, payment: Payment) -> None:
        """Write the audit rows of the payment's last moves, once (one insert)."""
        await insert_all_once(self.events, audit_rows(payment))

"""Webhook events (one per occurrence), endpoints, deliveries (one per event and endpoint) and
delivery attempts.

Events are listed newest first by `sort_key` (`t<created_at ISO ms>|<id>`): one string field
orders them by time with the id breaking ties, so a cursor is a single `$lt`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import insert_all_once, insert_once, translate_all
from shared.domain.clock import utcnow

Doc = dict[str, Any]
# Not `{"$ne": True}`: nx-27017 never matches `$ne` on a missing field in an update's filter,
# so delete and rotate_secret answered 404 for every endpoint.
NOT_DELETED: Doc = {"$in": [None, False]}


@translate_all
class WebhookRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.endpoints = db["webhook_endpoints"]
        self.deliveries = db["webhook_deliveries"]
        self.attempts = db["webhook_attempts"]
        self.events = db["events"]

    # --- events ---------------------------------------------------------------------
    async def insert_event(self, event: Doc) -> Doc:
        """Store the event once; a retried fan-out gets the stored one (same bytes) back."""
        if await insert_once(self.events, event):
            return event
        stored = await self.events.find_one({"_id": event["_id"]})
        return stored if stored is not None else event

    async def event(self, event_id: str, merchant_id: str) -> Doc | None:
        return await self.events.find_one({"_id": event_id, "merchant_id": merchant_id})

    async def events_page(
        self,
        merchant_id: str,
        *,
        limit: int,
        event_type: str | None = None,
        payment_id: str | None = None,
        before_key: str | None = None,
        from_key: str | None = None,
    ) -> tuple[list[Doc], bool]:
        """Newest first; `before_key` excludes it and newer, `from_key` keeps it and newer."""
        query: Doc = {"merchant_id": merchant_id}
        if event_type is not None:
            query["type"] = event_type
        if payment_id is not None:
            query["payment_id"] = payment_id
        bounds: Doc = {}
        if before_key is not None:
            bounds["$lt"] = before_key
        if from_key is not None:
            bounds["$gte"] = from_key
        if bounds:
            query["sort_key"] = bounds
        cursor = self.events.find(query).sort("sort_key", DESCENDING).limit(limit + 1)
        docs = await cursor.to_list(length=limit + 1)
        return docs[:limit], len(docs) > limit

    # --- endpoints ------------------------------------------------------------------
    async def insert_endpoint(self, endpoint: Doc) -> None:
        await insert_once(self.endpoints, endpoint)

    async def endpoint(self, endpoint_id: str, merchant_id: str | None = None) -> Doc | None:
        query: Doc = {"_id": endpoint_id, "deleted": NOT_DELETED}
        if merchant_id is not None:
            query["merchant_id"] = merchant_id
        return await self.endpoints.find_one(query)

    async def endpoints_of(self, merchant_id: str) -> list[Doc]:
        query = {"merchant_id": merchant_id, "deleted": NOT_DELETED}
        return await self.endpoints.find(query).sort("_id", DESCENDING).to_list(None)

    async def update_endpoint(self, endpoint_id: str, merchant_id: str, fields: Doc) -> Doc | None:
        return await self.endpoints.find_one_and_update(
            {"_id": endpoint_id, "merchant_id": merchant_id, "deleted": NOT_DELETED},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
        )

    async def count_outcome(self, endpoint_id: str, *, ok: bool) -> Doc | None:
        """A delivery to the endpoint settled: a success resets its run of failures, a failure
        adds one (atomically); the endpoint after a failure, None after a success."""
        if ok:
            await self.endpoints.update_one(
                {"_id": endpoint_id, "consecutive_failures": {"$gt": 0}},
                {"$set": {"consecutive_failures": 0}},
            )
            return None
        return await self.endpoints.find_one_and_update(
            {"_id": endpoint_id, "deleted": NOT_DELETED},
            {"$inc": {"consecutive_failures": 1}},
            return_document=ReturnDocument.AFTER,
        )

    async def disable_endpoint(self, endpoint_id: str, threshold: int, fields: Doc) -> Doc | None:
        """Disable an enabled endpoint whose run of failures still reaches `threshold` (a
        success meanwhile reset it: then nothing changes)."""
        return await self.endpoints.find_one_and_update(
            {
                "_id": endpoint_id,
                "status": "enabled",
                "deleted": NOT_DELETED,
                "consecutive_failures": {"$gte": threshold},
            },
            {"$set": {"status": "disabled", **fields}},
            return_document=ReturnDocument.AFTER,
        )

    # --- deliveries -----------------------------------------------------------------
    async def insert_deliveries(self, deliveries: list[Doc]) -> None:
        """Insert each delivery once; ones that already exist (a retried step) are kept."""
        await insert_all_once(self.deliveries, deliveries)

    async def delivery(self, delivery_id: str, merchant_id: str | None = None) -> Doc | None:
        query: Doc = {"_id": delivery_id}
        if merchant_id is not None:
            query["merchant_id"] = merchant_id
        return await self.deliveries.find_one(query)

    async def deliveries_of(self, payment_id: str) -> list[Doc]:
        return await self.deliveries.find({"payment_id": payment_id}).sort("_id", 1).to_list(None)

    async def final_delivery_statuses(self, payment_id: str, generation: int) -> list[str]:
        cursor = self.deliveries.find(
            {"payment_id": payment_id, "generation": generation, "final_event": True},
            {"status": 1},
        )
        return [doc["status"] for doc in await cursor.to_list(None)]

    async def update_delivery(
        self, delivery_id: str, guard: Doc, fields: Doc, inc: Doc | None = None
    ) -> Doc | None:
        update: Doc = {"$set": {**fields, "updated_at": utcnow()}}
        if inc:
            update["$inc"] = inc
        return await self.deliveries.find_one_and_update(
            {"_id": delivery_id, **guard}, update, return_document=ReturnDocument.AFTER
        )

    async def deliveries_of_event(self, event_id: str, merchant_id: str) -> list[Doc]:
        query = {"event_id": event_id, "merchant_id": merchant_id}
        return await self.deliveries.find(query).sort("_id", 1).to_list(None)

    async def failed_deliveries(
        self, endpoint_id: str, *, since: datetime, after_id: str | None, limit: int
    ) -> list[Doc]:
        """FAILED deliveries of the endpoint created since `since`, in id order after
        `after_id` (so one recovery visits each once, never what it re-sent itself)."""
        query: Doc = {"endpoint_id": endpoint_id, "status": "FAILED", "created_at": {"$gte": since}}
        if after_id is not None:
            query["_id"] = {"$gt": after_id}
        return await self.deliveries.find(query).sort("_id", 1).limit(limit).to_list(limit)

    async def mark_unpublished(self, delivery_ids: list[str]) -> None:
        """Their publish failed: the sweeper publishes PENDING deliveries marked so."""
        await self.deliveries.update_many(
            {"_id": {"$in": delivery_ids}, "status": "PENDING"}, {"$set": {"published": False}}
        )

    async def stranded(self, *, unpublished_or_before: datetime, limit: int) -> list[Doc]:
        """PENDING deliveries whose publish failed, or untouched since before the given time
        (their QStash message, and its failure callback, are gone)."""
        query = {
            "status": "PENDING",
            "$or": [{"published": False}, {"updated_at": {"$lt": unpublished_or_before}}],
        }
        return await self.deliveries.find(query).limit(limit).to_list(length=limit)

    # --- attempts -------------------------------------------------------------------
    async def record_attempt(self, attempt: Doc) -> None:
        await insert_once(self.attempts, attempt)

    async def attempts_of(self, delivery_ids: list[str]) -> list[Doc]:
        if not delivery_ids:
            return []
        cursor = self.attempts.find({"delivery_id": {"$in": delivery_ids}}).sort("_id", 1)
        return await cursor.to_list(None)

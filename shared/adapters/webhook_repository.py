"""Webhook endpoints, deliveries (one per endpoint and event) and delivery attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.adapters.mongo import insert_once, translate_all
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

    # --- deliveries -----------------------------------------------------------------
    async def insert_deliveries(self, deliveries: list[Doc]) -> None:
        """Insert each delivery once; ones that already exist (a retried step) are kept."""
        if not deliveries:
            return
        try:
            await self.deliveries.insert_many(deliveries, ordered=False)
        except BulkWriteError as exc:
            if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
                raise

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

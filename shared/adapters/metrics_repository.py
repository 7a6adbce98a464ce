"""Aggregations behind `GET /v1/metrics` (the subset of the pipeline nx-27017 supports)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import translate_all

Doc = dict[str, Any]


@translate_all
class MetricsRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.payments = db["payments"]
        self.deliveries = db["webhook_deliveries"]
        self.refunds = db["refunds"]

    async def _group_count(self, collection: Any, merchant_id: str, field: str) -> dict[str, int]:
        cursor = await collection.aggregate(
            [
                {"$match": {"merchant_id": merchant_id}},
                {"$group": {"_id": f"${field}", "count": {"$sum": 1}}},
            ]
        )
        return {
            str(row["_id"]): int(row["count"]) async for row in cursor if row["_id"] is not None
        }

    async def status_counts(self, merchant_id: str) -> dict[str, int]:
        return await self._group_count(self.payments, merchant_id, "status")

    async def method_counts(self, merchant_id: str) -> dict[str, int]:
        return await self._group_count(self.payments, merchant_id, "payment_method.type")

    async def delivery_counts(self, merchant_id: str) -> dict[str, int]:
        return await self._group_count(self.deliveries, merchant_id, "status")

    async def average_retries(self, merchant_id: str) -> float | None:
        cursor = await self.payments.aggregate(
            [
                {"$match": {"merchant_id": merchant_id}},
                {"$group": {"_id": None, "avg": {"$avg": "$retry_count"}}},
            ]
        )
        rows = [row async for row in cursor]
        return float(rows[0]["avg"]) if rows and rows[0].get("avg") is not None else None

    async def latency_percentiles(
        self, merchant_id: str, quantiles: tuple[float, ...]
    ) -> dict[float, int | None]:
        query = {
            "merchant_id": merchant_id,
            "latency_ms": {"$gte": 0},
            "status": {"$in": ["SUCCESS", "FAILED"]},
        }
        total = await self.payments.count_documents(query)
        result: dict[float, int | None] = {}
        for q in quantiles:
            if total == 0:
                result[q] = None
                continue
            rank = min(total - 1, max(0, round(q * (total - 1))))
            rows = (
                await self.payments.find(query, {"latency_ms": 1})
                .sort("latency_ms", 1)
                .skip(rank)
                .limit(1)
                .to_list(1)
            )
            result[q] = int(rows[0]["latency_ms"]) if rows else None
        return result

    async def per_minute(self, merchant_id: str, since_minute: str) -> dict[str, int]:
        cursor = await self.payments.aggregate(
            [
                {"$match": {"merchant_id": merchant_id, "created_minute": {"$gte": since_minute}}},
                {"$group": {"_id": "$created_minute", "count": {"$sum": 1}}},
            ]
        )
        return {str(row["_id"]): int(row["count"]) async for row in cursor}

    async def refund_counts(self, merchant_id: str) -> dict[str, int]:
        return await self._group_count(self.refunds, merchant_id, "status")

    async def amount_refunded(self, merchant_id: str) -> dict[str, int]:
        cursor = await self.refunds.aggregate(
            [
                {"$match": {"merchant_id": merchant_id, "status": "SUCCEEDED"}},
                {"$group": {"_id": "$currency", "sum": {"$sum": "$amount"}}},
            ]
        )
        return {str(row["_id"]): int(row["sum"] or 0) async for row in cursor}

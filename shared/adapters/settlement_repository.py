"""The settlement queries: payments that became final during a UTC day, per merchant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters import refund_documents
from shared.adapters.mongo import translate_all
from shared.adapters.payment_documents import from_document
from shared.domain.payment import Payment
from shared.domain.refund import Refund
from shared.domain.settlement import FINAL_REFUND_STATUSES, FINAL_STATUSES

Doc = dict[str, Any]


def _finalized_between(start: datetime, end: datetime) -> Doc:
    return {"status": {"$in": list(FINAL_STATUSES)}, "finalized_at": {"$gte": start, "$lt": end}}


@translate_all
class SettlementRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.payments = db["payments"]
        self.refunds = db["refunds"]

    async def merchants_with_final_payments(self, start: datetime, end: datetime) -> list[str]:
        """Merchants with at least one payment finalized in [start, end), sorted.

        `distinct`, not an aggregation: nx-27017 (the local Mongo) matches datetime ranges in
        find/distinct but not inside `$match`.
        """
        found = await self.payments.distinct("merchant_id", _finalized_between(start, end))
        return sorted(str(merchant) for merchant in found if merchant is not None)

    async def final_payments(
        self, merchant_id: str, start: datetime, end: datetime
    ) -> list[Payment]:
        """The merchant's payments finalized in [start, end), oldest first."""
        query = {"merchant_id": merchant_id, **_finalized_between(start, end)}
        cursor = self.payments.find(query).sort("finalized_at", 1)
        return [from_document(doc) for doc in await cursor.to_list(None)]

    async def merchants_with_final_refunds(self, start: datetime, end: datetime) -> list[str]:
        query = {
            "status": {"$in": list(FINAL_REFUND_STATUSES)},
            "finalized_at": {"$gte": start, "$lt": end},
        }
        found = await self.refunds.distinct("merchant_id", query)
        return sorted(str(merchant) for merchant in found if merchant is not None)

    async def final_refunds(self, merchant_id: str, start: datetime, end: datetime) -> list[Refund]:
        """The merchant's refunds that became final in [start, end), oldest first."""
        query = {
            "merchant_id": merchant_id,
            "status": {"$in": list(FINAL_REFUND_STATUSES)},
            "finalized_at": {"$gte": start, "$lt": end},
        }
        cursor = self.refunds.find(query).sort("finalized_at", 1)
        return [refund_documents.from_document(doc) for doc in await cursor.to_list(None)]

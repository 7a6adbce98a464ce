"""Merchants, found by the SHA-256 of their API key (keys are never stored in clear)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import insert_once, translate_all

Doc = dict[str, Any]


@translate_all
class MerchantRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.merchants = db["merchants"]

    async def by_key_hash(self, api_key_hash: str) -> Doc | None:
        return await self.merchants.find_one({"api_key_hash": api_key_hash})

    async def insert_if_absent(self, merchant: Doc) -> None:
        await insert_once(self.merchants, merchant)

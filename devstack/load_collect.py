"""Gathering what the invariant checker needs from a running stack: API, Mongo and receiver.

A load run tags its payments with one `user_id`, so the run's payments are found with one
query whatever else the database holds. With a Mongo URI the trail and deliveries are read
from `payment_events` / `webhook_deliveries` / `webhook_attempts` (field names as in
`shared/adapters/*_repository.py`), stored delivery bodies included; without one, from
`GET /v1/payments/{id}` (bodies then unknown, so the stored-body comparison is skipped).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from pymongo import AsyncMongoClient

Doc = dict[str, Any]
CHUNK = 400
FINAL = ("SUCCESS", "FAILED")
DETAIL_CONCURRENCY = 16
# (events by payment, deliveries by payment, attempts by delivery): the trail of a run.
Trail = tuple[dict[str, list[Doc]], dict[str, list[Doc]], dict[str, list[Doc]]]


@dataclass
class Collected:
    payments: dict[str, Doc]
    events: dict[str, list[Doc]]
    deliveries: dict[str, list[Doc]]
    attempts: dict[str, list[Doc]]  # by delivery id
    receiver_records: list[Doc]
    api_payments: dict[str, Doc] | None


@dataclass(frozen=True)
class Progress:
    """How far a run is: `total` is only counted once nothing is left unsettled."""

    total: int | None
    unfinished: int  # not SUCCESS / FAILED yet
    unsettled: int  # webhook_status still PENDING (unfinished ones included)


def _event(doc: Doc) -> Doc:
    fields = ("from", "to", "at", "attempt", "generation", "reason", "actor")
    return {"id": doc.get("_id", doc.get("id")), **{name: doc.get(name) for name in fields}}


def _delivery(doc: Doc) -> Doc:
    fields = (
        "event_id",
        "event_type",
        "status",
        "generation",
        "attempt_count",
        "final_event",
        "endpoint_id",
    )
    return {
        "id": doc.get("_id", doc.get("id")),
        "body": doc.get("body"),
        **{name: doc.get(name) for name in fields},
    }


def _payment(doc: Doc) -> Doc:
    return {**doc, "id": doc.get("_id", doc.get("id"))}


class MongoSource:
    """The run's documents straight from the database."""

    def __init__(self, uri: str, db: str = "paygate") -> None:
        self.client: AsyncMongoClient[Doc] = AsyncMongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=5_000
        )
        self.db = self.client[db]

    async def close(self) -> None:
        await self.client.close()

    async def progress(self, user_id: str) -> Progress:
        # Plain finds with a projection: nx-27017 answers them in SQL, while count_documents
        # runs a Python aggregation over every matching document (measurable load on the
        # stack being measured). A payment is settled once webhook_status leaves PENDING.
        payments = self.db["payments"]
        pending = await payments.find(
            {"user_id": user_id, "webhook_status": "PENDING"}, {"status": 1}
        ).to_list(None)
        unfinished = sum(1 for doc in pending if doc.get("status") not in FINAL)
        if pending:
            return Progress(None, unfinished, len(pending))
        total = await payments.find({"user_id": user_id}, {"_id": 1}).to_list(None)
        return Progress(len(total), 0, 0)

    async def payments(self, user_id: str) -> dict[str, Doc]:
        docs = await self.db["payments"].find({"user_id": user_id}).to_list(None)
        return {doc["_id"]: _payment(doc) for doc in docs}

    async def _by(self, collection: str, field: str, ids: list[str]) -> list[Doc]:
        found: list[Doc] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found += await self.db[collection].find({field: {"$in": chunk}}).to_list(None)
        return found

    async def trail(self, payment_ids: list[str]) -> Trail:
        events: dict[str, list[Doc]] = {pid: [] for pid in payment_ids}
        for doc in await self._by("payment_events", "payment_id", payment_ids):
            events.setdefault(doc["payment_id"], []).append(_event(doc))
        deliveries: dict[str, list[Doc]] = {pid: [] for pid in payment_ids}
        raw = await self._by("webhook_deliveries", "payment_id", payment_ids)
        for doc in raw:
            deliveries.setdefault(doc["payment_id"], []).append(_delivery(doc))
        attempts: dict[str, list[Doc]] = {}
        for doc in await self._by("webhook_attempts", "delivery_id", [d["_id"] for d in raw]):
            attempts.setdefault(doc["delivery_id"], []).append(doc)
        return events, deliveries, attempts


class ApiSource:
    """The run's payments through the public API only (no database access)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def close(self) -> None:
        return None

    async def progress(self, user_id: str) -> Progress:
        listed = await list_payments(self.client, user_id)
        unfinished = [p for p in listed.values() if p.get("status") not in FINAL]
        unsettled = [p for p in listed.values() if p.get("webhook_status") == "PENDING"]
        return Progress(len(listed), len(unfinished), len(unsettled))

    async def payments(self, user_id: str) -> dict[str, Doc]:
        return await list_payments(self.client, user_id)

    async def trail(self, payment_ids: list[str]) -> Trail:
        limit = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def detail(payment_id: str) -> Doc:
            async with limit:
                response = await self.client.get(f"/v1/payments/{payment_id}")
                response.raise_for_status()
                payment: Doc = response.json()
                return payment

        details = await asyncio.gather(*(detail(pid) for pid in payment_ids))
        events = {d["id"]: [_event(e) for e in d.get("events", [])] for d in details}
        deliveries = {
            d["id"]: [_delivery(w) for w in d.get("webhook_deliveries", [])] for d in details
        }
        attempts = {
            w["id"]: w.get("attempts", []) for d in details for w in d.get("webhook_deliveries", [])
        }
        return events, deliveries, attempts


async def list_payments(client: httpx.AsyncClient, user_id: str) -> dict[str, Doc]:
    """Every payment of `user_id` through `GET /v1/payments` (cursor pagination)."""
    found: dict[str, Doc] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"user_id": user_id, "limit": 100}
        if cursor:
            params["starting_after"] = cursor
        response = await client.get("/v1/payments", params=params)
        response.raise_for_status()
        page = response.json()
        for payment in page["data"]:
            found[payment["id"]] = payment
        if not page.get("has_more") or not page["data"]:
            return found
        cursor = page["data"][-1]["id"]


async def receiver_records(receiver_url: str | None) -> list[Doc]:
    if not receiver_url:
        return []
    async with httpx.AsyncClient(base_url=receiver_url, timeout=30.0) as client:
        response = await client.get("/deliveries", params={"limit": 100_000})
        response.raise_for_status()
        records: list[Doc] = response.json()["data"]
        return records


async def collect(
    source: MongoSource | ApiSource,
    api: httpx.AsyncClient,
    user_id: str,
    receiver_url: str | None,
) -> Collected:
    payments = await source.payments(user_id)
    events, deliveries, attempts = await source.trail(sorted(payments))
    api_payments = await list_payments(api, user_id) if isinstance(source, MongoSource) else None
    records = await receiver_records(receiver_url)
    return Collected(payments, events, deliveries, attempts, records, api_payments)

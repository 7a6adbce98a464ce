"""Gathering what the invariant checker needs from a running stack: API, Mongo and receiver.

A load run tags its payments with one `user_id`, so the run's payments are found with one
query whatever else the database holds; their refunds and disputes by payment id. With a
Mongo URI the trail and deliveries are read from `payment_events` / `webhook_deliveries` /
`webhook_attempts` / `refunds` / `disputes` / `events` (field names as in `shared/adapters/*`),
stored delivery and event bodies included; without one, from `GET /v1/payments/{id}` (bodies
and stored events then unknown, so the stored-body and stored-event rules are skipped).

Both sources also answer the run's own questions while it goes: how far the payments are
(`progress`), where the payments with money movements stand (`states`, `disputes_of`) and
how many of their refunds, disputes and webhook deliveries are still open (`money_open`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from devstack import load_docs
from devstack.load_docs import DISPUTE_FINAL, PAYMENT_FINAL, REFUND_FINAL

Doc = dict[str, Any]
CHUNK = 400
FINAL = PAYMENT_FINAL
DETAIL_CONCURRENCY = 16
STATE_FIELDS = {"status": 1, "amount": 1, "amount_captured": 1, "webhook_status": 1}


@dataclass
class Trail:
    """The moves and deliveries of a run's payments and of their refunds and disputes."""

    events: dict[str, list[Doc]]  # the payments' own moves, by payment id
    deliveries: dict[str, list[Doc]]  # by payment id (refund and dispute events included)
    attempts: dict[str, list[Doc]]  # by delivery id
    refunds: dict[str, Doc] = field(default_factory=dict)
    disputes: dict[str, Doc] = field(default_factory=dict)
    object_events: dict[str, list[Doc]] = field(default_factory=dict)  # refund/dispute id
    stored_events: dict[str, Doc] | None = None  # `events` by id; None: not readable here


@dataclass
class Collected:
    payments: dict[str, Doc]
    events: dict[str, list[Doc]]
    deliveries: dict[str, list[Doc]]
    attempts: dict[str, list[Doc]]  # by delivery id
    receiver_records: list[Doc]
    api_payments: dict[str, Doc] | None
    refunds: dict[str, Doc] = field(default_factory=dict)
    disputes: dict[str, Doc] = field(default_factory=dict)
    object_events: dict[str, list[Doc]] = field(default_factory=dict)
    api_refunds: dict[str, Doc] | None = None
    stored_events: dict[str, Doc] | None = None  # the `events` documents by id (Mongo only)


@dataclass(frozen=True)
class Progress:
    """How far a run is: `total` is only counted once nothing is left unsettled."""

    total: int | None
    unfinished: int  # not final yet (REQUIRES_CAPTURE included)
    unsettled: int  # unfinished, or webhook_status still PENDING


def _split_events(docs: list[Doc], payment_ids: list[str]) -> tuple[dict[str, list[Doc]], ...]:
    """(the payments' own moves by payment id, refund and dispute moves by object id)."""
    own: dict[str, list[Doc]] = {pid: [] for pid in payment_ids}
    objects: dict[str, list[Doc]] = defaultdict(list)
    seen: set[Any] = set()
    for doc in docs:
        event = load_docs.event(doc)
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        if event["object_type"] == "payment":
            own.setdefault(doc.get("payment_id") or event["object_id"], []).append(event)
        else:
            objects[event["object_id"]].append(event)
    return own, dict(objects)


def _open(objects: list[Doc], final: Collection[str]) -> int:
    """How many refunds or disputes are not final, or still owe their last move's event."""
    return sum(1 for d in objects if d.get("status") not in final or d.get("fanout_pending"))


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
        # stack being measured). A payment is settled once webhook_status leaves PENDING and
        # it is final (an authorised one waits for its capture or cancel).
        payments = self.db["payments"]
        pending = await payments.find(
            {"user_id": user_id, "webhook_status": "PENDING"}, {"status": 1}
        ).to_list(None)
        authorised = await payments.find(
            {"user_id": user_id, "status": "REQUIRES_CAPTURE"}, {"webhook_status": 1}
        ).to_list(None)
        held = [doc for doc in authorised if doc.get("webhook_status") != "PENDING"]
        unfinished = sum(1 for doc in pending if doc.get("status") not in FINAL) + len(held)
        if pending or held:
            return Progress(None, unfinished, len(pending) + len(held))
        # A settling move with no endpoint to send to is SKIPPED at once, but its event is
        # still owed (`fanout_pending`) until stored: not settled before that either.
        owed = await payments.find(
            {"user_id": user_id, "fanout_pending": True}, {"_id": 1}
        ).to_list(None)
        if owed:
            return Progress(None, 0, len(owed))
        total = await payments.find({"user_id": user_id}, {"_id": 1}).to_list(None)
        return Progress(len(total), 0, 0)

    async def payments(self, user_id: str) -> dict[str, Doc]:
        docs = await self.db["payments"].find({"user_id": user_id}).to_list(None)
        return {doc["_id"]: load_docs.payment(doc) for doc in docs}

    async def _by(
        self, collection: str, name: str, ids: list[str], projection: Doc | None = None
    ) -> list[Doc]:
        found: list[Doc] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found += (
                await self.db[collection].find({name: {"$in": chunk}}, projection).to_list(None)
            )
        return found

    async def states(self, payment_ids: list[str]) -> dict[str, Doc]:
        docs = await self._by("payments", "_id", payment_ids, STATE_FIELDS)
        return {doc["_id"]: load_docs.payment(doc) for doc in docs}

    async def disputes_of(self, payment_ids: list[str]) -> dict[str, list[Doc]]:
        found: dict[str, list[Doc]] = defaultdict(list)
        for doc in await self._by("disputes", "payment_id", payment_ids):
            dispute = load_docs.dispute(doc)
            found[dispute["payment"]].append(dispute)
        return dict(found)

    async def money_open(self, payment_ids: list[str]) -> int:
        """Refunds still PENDING, disputes not closed, refunds and disputes whose last move's
        event is still owed (`fanout_pending`: its deliveries are not written yet, e.g. a
        crash between the move and the fan-out left it to the sweeper), webhook deliveries
        still PENDING."""
        fields = {"status": 1, "fanout_pending": 1}
        refunds = await self._by("refunds", "payment_id", payment_ids, fields)
        disputes = await self._by("disputes", "payment_id", payment_ids, fields)
        deliveries = await self._by("webhook_deliveries", "payment_id", payment_ids, {"status": 1})
        return (
            _open(refunds, REFUND_FINAL)
            + _open(disputes, DISPUTE_FINAL)
            + sum(1 for d in deliveries if d.get("status") == "PENDING")
        )

    async def trail(self, payment_ids: list[str]) -> Trail:
        refunds = [
            load_docs.refund(d) for d in await self._by("refunds", "payment_id", payment_ids)
        ]
        disputes = [
            load_docs.dispute(d) for d in await self._by("disputes", "payment_id", payment_ids)
        ]
        object_ids = [d["id"] for d in refunds + disputes]
        raw_events = await self._by("payment_events", "payment_id", payment_ids)
        raw_events += await self._by("payment_events", "object_id", object_ids)
        events, object_events = _split_events(raw_events, payment_ids)
        deliveries: dict[str, list[Doc]] = {pid: [] for pid in payment_ids}
        raw = await self._by("webhook_deliveries", "payment_id", payment_ids)
        for doc in raw:
            deliveries.setdefault(doc["payment_id"], []).append(load_docs.delivery(doc))
        attempts: dict[str, list[Doc]] = {}
        for doc in await self._by("webhook_attempts", "delivery_id", [d["_id"] for d in raw]):
            attempts.setdefault(doc["delivery_id"], []).append(doc)
        stored = await self._by("events", "payment_id", payment_ids, {"body": 1, "type": 1})
        return Trail(
            events,
            deliveries,
            attempts,
            refunds={r["id"]: r for r in refunds},
            disputes={d["id"]: d for d in disputes},
            object_events=object_events,
            stored_events={doc["_id"]: doc for doc in stored},
        )


class ApiSource:
    """The run's payments through the public API only (no database access)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def close(self) -> None:
        return None

    async def progress(self, user_id: str) -> Progress:
        listed = await list_payments(self.client, user_id)
        unfinished = [p for p in listed.values() if p.get("status") not in FINAL]
        unsettled = [
            p
            for p in listed.values()
            if p.get("webhook_status") == "PENDING" or p.get("status") not in FINAL
        ]
        return Progress(len(listed), len(unfinished), len(unsettled))

    async def payments(self, user_id: str) -> dict[str, Doc]:
        return await list_payments(self.client, user_id)

    async def details(self, payment_ids: list[str]) -> list[Doc]:
        limit = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def detail(payment_id: str) -> Doc:
            async with limit:
                response = await self.client.get(f"/v1/payments/{payment_id}")
                response.raise_for_status()
                payment: Doc = response.json()
                return payment

        return list(await asyncio.gather(*(detail(pid) for pid in payment_ids)))

    async def states(self, payment_ids: list[str]) -> dict[str, Doc]:
        return {d["id"]: d for d in await self.details(payment_ids)}

    async def disputes_of(self, payment_ids: list[str]) -> dict[str, list[Doc]]:
        return {
            d["id"]: [load_docs.dispute(d["dispute"])]
            for d in await self.details(payment_ids)
            if d.get("dispute")
        }

    async def money_open(self, payment_ids: list[str]) -> int:
        open_ = 0
        for d in await self.details(payment_ids):
            open_ += sum(1 for r in d.get("refunds", []) if r.get("status") not in REFUND_FINAL)
            dispute = d.get("dispute") or {}
            open_ += int(bool(dispute) and dispute.get("status") not in DISPUTE_FINAL)
            open_ += sum(1 for w in d.get("webhook_deliveries", []) if w["status"] == "PENDING")
        return open_

    async def trail(self, payment_ids: list[str]) -> Trail:
        details = await self.details(payment_ids)
        raw_events = [{**e, "payment_id": d["id"]} for d in details for e in d.get("events", [])]
        events, object_events = _split_events(raw_events, payment_ids)
        deliveries = {
            d["id"]: [load_docs.delivery(w) for w in d.get("webhook_deliveries", [])]
            for d in details
        }
        attempts = {
            w["id"]: w.get("attempts", []) for d in details for w in d.get("webhook_deliveries", [])
        }
        refunds = [load_docs.refund(r) for d in details for r in d.get("refunds", [])]
        disputes = [load_docs.dispute(d["dispute"]) for d in details if d.get("dispute")]
        return Trail(
            events,
            deliveries,
            attempts,
            refunds={r["id"]: r for r in refunds},
            disputes={d["id"]: d for d in disputes},
            object_events=object_events,
        )


async def _pages(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> list[Doc]:
    """Every item of a cursor-paginated list."""
    found: list[Doc] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 100, **({"starting_after": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        response.raise_for_status()
        page = response.json()
        found += page["data"]
        if not page.get("has_more") or not page["data"]:
            return found
        cursor = page["data"][-1]["id"]


async def list_payments(client: httpx.AsyncClient, user_id: str) -> dict[str, Doc]:
    """Every payment of `user_id` through `GET /v1/payments` (cursor pagination)."""
    return {p["id"]: p for p in await _pages(client, "/v1/payments", {"user_id": user_id})}


async def list_refunds(client: httpx.AsyncClient, payment_ids: list[str]) -> dict[str, Doc]:
    """The refunds of these payments through `GET /v1/refunds?payment=`."""
    limit = asyncio.Semaphore(DETAIL_CONCURRENCY)

    async def of(payment_id: str) -> list[Doc]:
        async with limit:
            return await _pages(client, "/v1/refunds", {"payment": payment_id})

    pages = await asyncio.gather(*(of(pid) for pid in payment_ids))
    return {r["id"]: load_docs.refund(r) for page in pages for r in page}


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
    refunded: list[str] | None = None,
) -> Collected:
    """`refunded`: the payments whose refunds the API is asked for (to compare with Mongo)."""
    payments = await source.payments(user_id)
    trail = await source.trail(sorted(payments))
    api_payments = api_refunds = None
    if isinstance(source, MongoSource):
        api_payments = await list_payments(api, user_id)
        wanted = sorted(set(refunded or ()) | {r["payment"] for r in trail.refunds.values()})
        api_refunds = await list_refunds(api, wanted) if wanted else {}
    records = await receiver_records(receiver_url)
    return Collected(
        payments,
        trail.events,
        trail.deliveries,
        trail.attempts,
        records,
        api_payments,
        refunds=trail.refunds,
        disputes=trail.disputes,
        object_events=trail.object_events,
        api_refunds=api_refunds,
        stored_events=trail.stored_events,
    )

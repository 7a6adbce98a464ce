"""Every MongoDB operation paygate relies on, through pymongo's async client, against nx-27017.

nx-27017 is MongoDB's wire protocol over SQLite; it implements a subset. This suite is
that subset: if the server gets one of these wrong, a test here fails before a payment
does. Known gaps we stay away from ($push of sub-documents, $setOnInsert on upsert) are
not exercised; the pattern we use instead (append to a separate collection) is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from devstack.processes import ManagedProcess, free_port
from devstack.stack import StackConfig, mongo_process
from shared.adapters.dispute_repository import DisputeRepository
from shared.adapters.refund_repository import RefundRepository
from shared.domain.dispute import Dispute, DisputeMove, dispute_event_id
from shared.domain.dispute import DisputeStatus as D
from shared.domain.refund import Refund, RefundStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _client(uri: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def db(
    stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client = _client(stack_cfg.mongodb_uri)
    database = client[f"contract_{uuid.uuid4().hex[:12]}"]
    try:
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def coll(db: AsyncDatabase[dict[str, Any]]) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    """A fresh collection per test."""
    collection = db[f"c_{uuid.uuid4().hex[:10]}"]
    yield collection
    await collection.drop()


def _payment(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"pay_{n:04d}",
        "merchant_id": "mer_1",
        "idempotency_key": f"key-{n}",
        "status": "CREATED",
        "amount": 100 * n,
        "attempts": 0,
        "payment_method": {"type": "card", "brand": "visa", "last4": "4242"},
        "created_at": T0 + timedelta(seconds=n),
        **fields,
    }


async def _ids(coll: AsyncCollection[dict[str, Any]], query: dict[str, Any]) -> list[str]:
    # Not coll.distinct("_id", ...): nx-27017 answers "JSON path error near '_id'".
    return [doc["_id"] for doc in await coll.find(query, {"_id": 1}).sort("_id", 1).to_list()]


# --- indexes and uniqueness ------------------------------------------------------------


async def test_create_index_compound_unique_is_idempotent(
    coll: AsyncCollection[dict[str, Any]],
) -> None:
    keys = [("merchant_id", ASCENDING), ("idempotency_key", ASCENDING)]
    first = await coll.create_index(keys, unique=True, name="merchant_idem")
    second = await coll.create_index(keys, unique=True, name="merchant_idem")
    await coll.create_index("status")
    await coll.create_index([("status", ASCENDING), ("created_at", DESCENDING)])
    assert first == second == "merchant_idem"
    # nx-27017 names indexes itself (idx_<coll>_<fields>) and reports every direction as
    # 1; we rely on neither, only on which fields are indexed and on uniqueness.
    by_fields = {
        tuple(field for field, _ in spec["key"]): spec
        for spec in (await coll.index_information()).values()
    }
    assert set(by_fields) == {
        ("_id",),
        ("merchant_id", "idempotency_key"),
        ("status",),
        ("status", "created_at"),
    }
    assert by_fields[("merchant_id", "idempotency_key")].get("unique") is True
    assert not by_fields[("status",)].get("unique")


async def test_insert_one_duplicate_unique_pair_raises_and_writes_nothing(
    coll: AsyncCollection[dict[str, Any]],
) -> None:
    await coll.create_index([("merchant_id", 1), ("idempotency_key", 1)], unique=True)
    await coll.insert_one(_payment(1, idempotency_key="k"))
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one(_payment(2, idempotency_key="k"))
    assert await coll.count_documents({}) == 1
    assert await coll.find_one({"_id": "pay_0002"}) is None
    # Same key, other merchant: allowed.
    await coll.insert_one(_payment(3, idempotency_key="k", merchant_id="mer_2"))
    assert await coll.count_documents({"idempotency_key": "k"}) == 2


async def test_duplicate_id_raises(coll: AsyncCollection[dict[str, Any]]) -> None:
    await coll.insert_one(_payment(1))
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one(_payment(1, amount=5))
    assert (await coll.find_one({"_id": "pay_0001"}))["amount"] == 100  # type: ignore[index]


async def test_insert_many_unordered_with_duplicate_writes_the_others(
    coll: AsyncCollection[dict[str, Any]],
) -> None:
    await coll.create_index([("merchant_id", 1), ("idempotency_key", 1)], unique=True)
    docs = [_payment(1), _payment(2), _payment(3, idempotency_key="key-1"), _payment(4)]
    with pytest.raises(BulkWriteError) as caught:
        await coll.insert_many(docs, ordered=False)
    details = caught.value.details
    assert details["nInserted"] == 3
    assert [error["index"] for error in details["writeErrors"]] == [2]
    assert details["writeErrors"][0]["code"] == 11000
    ids = sorted(doc["_id"] for doc in await coll.find({}, {"_id": 1}).to_list())
    assert ids == ["pay_0001", "pay_0002", "pay_0004"]


# --- guarded state moves -----------------------------------------------------------------


async def test_guarded_move_on_status(coll: AsyncCollection[dict[str, Any]]) -> None:
    await coll.insert_one(_payment(1, lease_until=T0))
    now = datetime.now(UTC)
    moved = await coll.find_one_and_update(
        {"_id": "pay_0001", "status": "CREATED"},
        {
            "$set": {"status": "PROCESSING", "updated_at": now},
            "$inc": {"attempts": 1},
            "$unset": {"lease_until": ""},
        },
        return_document=ReturnDocument.AFTER,
    )
    assert moved is not None
    assert moved["status"] == "PROCESSING"
    assert moved["attempts"] == 1
    assert "lease_until" not in moved
    assert moved["updated_at"] == now.replace(microsecond=now.microsecond // 1000 * 1000)

    before = await coll.find_one({"_id": "pay_0001"})
    lost = await coll.find_one_and_update(
        {"_id": "pay_0001", "status": "CREATED"},
        {"$set": {"status": "FAILED"}, "$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )
    assert lost is None
    assert await coll.find_one({"_id": "pay_0001"}) == before


async def test_guarded_move_on_status_in(coll: AsyncCollection[dict[str, Any]]) -> None:
    await coll.insert_many([_payment(1, status="RETRYING"), _payment(2, status="SUCCESS")])
    guard = {"$in": ["CREATED", "RETRYING"]}
    won = await coll.find_one_and_update(
        {"_id": "pay_0001", "status": guard},
        {"$set": {"status": "PROCESSING"}, "$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )
    assert won is not None and won["status"] == "PROCESSING" and won["attempts"] == 1
    lost = await coll.find_one_and_update(
        {"_id": "pay_0002", "status": guard},
        {"$set": {"status": "PROCESSING"}},
        return_document=ReturnDocument.AFTER,
    )
    assert lost is None
    assert (await coll.find_one({"_id": "pay_0002"}))["status"] == "SUCCESS"  # type: ignore[index]


async def test_guarded_takeover_of_expired_lease(coll: AsyncCollection[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    await coll.insert_many(
        [
            _payment(1, status="PROCESSING", lease_until=now - timedelta(seconds=5)),
            _payment(2, status="PROCESSING", lease_until=now + timedelta(seconds=30)),
        ]
    )

    async def take_over(payment_id: str) -> dict[str, Any] | None:
        return await coll.find_one_and_update(
            {"_id": payment_id, "status": "PROCESSING", "lease_until": {"$lt": now}},
            {"$set": {"lease_until": now + timedelta(seconds=30)}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )

    expired = await take_over("pay_0001")
    assert expired is not None and expired["attempts"] == 1
    assert expired["lease_until"] > now
    assert await take_over("pay_0002") is None
    assert (await coll.find_one({"_id": "pay_0002"}))["attempts"] == 0  # type: ignore[index]


@pytest.mark.parametrize("with_dates", [False, True], ids=["plain", "with-datetimes"])
async def test_concurrent_guarded_moves_have_exactly_one_winner(
    stack_cfg: StackConfig, coll: AsyncCollection[dict[str, Any]], with_dates: bool
) -> None:
    # With a datetime in $set the update takes nx-27017's other (Python) code path.
    dates = {"updated_at": datetime.now(UTC), "last": {"at": T0}} if with_dates else {}
    await coll.insert_one(_payment(1, version=0))
    clients = [_client(stack_cfg.mongodb_uri) for _ in range(3)]
    try:
        collections = [c[coll.database.name][coll.name] for c in clients]

        async def move(i: int) -> dict[str, Any] | None:
            return await collections[i % 3].find_one_and_update(
                {"_id": "pay_0001", "status": "CREATED", "version": 0},
                {
                    "$set": {"status": "PROCESSING", "winner": i, **dates},
                    "$inc": {"attempts": 1, "version": 1},
                },
                return_document=ReturnDocument.AFTER,
            )

        results = await asyncio.gather(*(move(i) for i in range(30)))
    finally:
        for client in clients:
            await client.close()
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    stored = await coll.find_one({"_id": "pay_0001"})
    assert stored is not None
    assert (stored["attempts"], stored["version"]) == (1, 1)
    assert stored["winner"] == winners[0]["winner"]


# --- updates ---------------------------------------------------------------------------


async def test_update_set_subdocument_and_nested_path(
    coll: AsyncCollection[dict[str, Any]],
) -> None:
    await coll.insert_many([_payment(1), _payment(2), _payment(3, status="FAILED")])
    result = await coll.update_one(
        {"_id": "pay_0001"},
        {"$set": {"failure": {"code": "timeout", "message": "gateway timed out"}}},
    )
    assert (result.matched_count, result.modified_count) == (1, 1)
    result = await coll.update_one({"_id": "pay_0001"}, {"$set": {"failure.code": "declined"}})
    assert result.modified_count == 1
    doc = await coll.find_one({"_id": "pay_0001"})
    assert doc is not None
    assert doc["failure"] == {"code": "declined", "message": "gateway timed out"}

    await coll.update_one({"_id": "pay_0002"}, {"$set": {"webhook.status": "PENDING"}})
    doc = await coll.find_one({"_id": "pay_0002"})
    assert doc is not None and doc["webhook"] == {"status": "PENDING"}
    assert doc["payment_method"] == {"type": "card", "brand": "visa", "last4": "4242"}

    many = await coll.update_many(
        {"status": "CREATED"}, {"$set": {"payment_method.brand": "mastercard", "flag": True}}
    )
    assert (many.matched_count, many.modified_count) == (2, 2)
    assert await coll.count_documents({"payment_method.brand": "mastercard"}) == 2
    assert await coll.count_documents({"flag": True, "status": "FAILED"}) == 0
    miss = await coll.update_one({"_id": "pay_9999"}, {"$set": {"x": 1}})
    assert (miss.matched_count, miss.modified_count) == (0, 0)


# --- reads -----------------------------------------------------------------------------


async def test_find_sort_limit_and_keyset_pagination(
    coll: AsyncCollection[dict[str, Any]],
) -> None:
    # Pairs of payments share a created_at, so the _id tie-breaker matters.
    docs = [_payment(n, created_at=T0 + timedelta(seconds=n // 2)) for n in range(1, 24)]
    docs[4]["status"] = docs[9]["status"] = "FAILED"
    await coll.insert_many(docs)
    order = [("created_at", DESCENDING), ("_id", DESCENDING)]
    expected = [
        d["_id"] for d in sorted(docs, key=lambda d: (d["created_at"], d["_id"]), reverse=True)
    ]

    first = await coll.find({}).sort(order).limit(5).to_list()
    assert [d["_id"] for d in first] == expected[:5]

    seen: list[str] = []
    query: dict[str, Any] = {}
    while True:
        page = await coll.find(query).sort(order).limit(5).to_list()
        if not page:
            break
        seen += [d["_id"] for d in page]
        last = page[-1]
        t, last_id = last["created_at"], last["_id"]
        query = {"$or": [{"created_at": {"$lt": t}}, {"created_at": t, "_id": {"$lt": last_id}}]}
    assert seen == expected

    failed = await coll.find({"status": "FAILED"}).sort(order).limit(10).to_list()
    assert [d["_id"] for d in failed] == ["pay_0010", "pay_0005"]


async def test_projection(coll: AsyncCollection[dict[str, Any]]) -> None:
    await coll.insert_one(_payment(1))
    included = await coll.find_one({"_id": "pay_0001"}, {"status": 1, "amount": 1})
    assert included == {"_id": "pay_0001", "status": "CREATED", "amount": 100}
    without_id = await coll.find_one({"_id": "pay_0001"}, {"status": 1, "_id": 0})
    assert without_id == {"status": "CREATED"}
    excluded = await coll.find_one({"_id": "pay_0001"}, {"payment_method": 0, "created_at": 0})
    assert excluded is not None
    assert "payment_method" not in excluded and "created_at" not in excluded
    assert excluded["amount"] == 100
    listed = await coll.find({}, {"_id": 1}).to_list()
    assert listed == [{"_id": "pay_0001"}]


async def test_count_distinct_delete(coll: AsyncCollection[dict[str, Any]]) -> None:
    statuses = ["CREATED", "SUCCESS", "SUCCESS", "FAILED", "RETRYING", "SUCCESS"]
    await coll.insert_many([_payment(i, status=s) for i, s in enumerate(statuses)])
    assert await coll.count_documents({}) == 6
    assert await coll.count_documents({"status": "SUCCESS"}) == 3
    assert await coll.count_documents({"status": "SUCCESS", "amount": {"$gte": 200}}) == 2
    assert await coll.count_documents({"status": "NOPE"}) == 0
    assert sorted(await coll.distinct("status")) == ["CREATED", "FAILED", "RETRYING", "SUCCESS"]
    assert await coll.distinct("payment_method.type") == ["card"]
    assert sorted(await _ids(coll, {"status": "SUCCESS"})) == [
        "pay_0001",
        "pay_0002",
        "pay_0005",
    ]

    one = await coll.delete_one({"status": "SUCCESS"})
    assert one.deleted_count == 1
    assert await coll.count_documents({"status": "SUCCESS"}) == 2
    many = await coll.delete_many({"status": {"$in": ["SUCCESS", "FAILED"]}})
    assert many.deleted_count == 3
    assert sorted(await coll.distinct("status")) == ["CREATED", "RETRYING"]
    assert (await coll.delete_one({"_id": "nope"})).deleted_count == 0


async def test_datetimes_round_trip_and_compare(coll: AsyncCollection[dict[str, Any]]) -> None:
    stamp = datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=UTC)
    await coll.insert_many([_payment(n, created_at=stamp + timedelta(minutes=n)) for n in range(5)])
    doc = await coll.find_one({"_id": "pay_0000"})
    assert doc is not None
    assert doc["created_at"] == stamp.replace(microsecond=891_000)  # BSON keeps milliseconds
    assert doc["created_at"].tzinfo is not None
    assert doc["created_at"].utcoffset() == timedelta(0)

    pivot = stamp.replace(microsecond=891_000) + timedelta(minutes=2)
    assert await coll.count_documents({"created_at": {"$lt": pivot}}) == 2
    assert await coll.count_documents({"created_at": {"$lte": pivot}}) == 3
    assert await coll.count_documents({"created_at": {"$gte": pivot}}) == 3
    between = {
        "created_at": {"$gte": pivot - timedelta(minutes=1), "$lt": pivot + timedelta(minutes=1)}
    }
    assert sorted(await _ids(coll, between)) == ["pay_0001", "pay_0002"]
    # A non-UTC aware datetime is converted to UTC on the way in.
    plus_two = pivot.astimezone(timezone(timedelta(hours=2)))
    assert await coll.count_documents({"created_at": plus_two}) == 1


async def test_exists_in_nin(coll: AsyncCollection[dict[str, Any]]) -> None:
    await coll.insert_many(
        [
            _payment(1, status="CREATED", unpublished=True),
            _payment(2, status="SUCCESS"),
            _payment(3, status="FAILED", failure=None),
            _payment(4, status="RETRYING"),
        ]
    )
    assert await _ids(coll, {"unpublished": {"$exists": True}}) == ["pay_0001"]
    assert await coll.count_documents({"unpublished": {"$exists": False}}) == 3
    # nx-27017 treats a field holding null as missing for $exists and for $ne: None (MongoDB
    # does not), so we never test a nullable field for existence. `{field: None}` (null or
    # missing) agrees with MongoDB:
    assert await _ids(coll, {"failure": None}) == ["pay_0001", "pay_0002", "pay_0003", "pay_0004"]
    assert sorted(await _ids(coll, {"status": {"$in": ["CREATED", "RETRYING"]}})) == [
        "pay_0001",
        "pay_0004",
    ]
    nin = {"status": {"$nin": ["SUCCESS", "FAILED"]}}
    assert sorted(await _ids(coll, nin)) == ["pay_0001", "pay_0004"]
    assert await coll.count_documents({"status": {"$in": []}}) == 0


async def test_ne_bool_id_ranges_and_or_of_datetimes(
    coll: AsyncCollection[dict[str, Any]],
) -> None:
    """The shapes the repositories query with: soft delete, id cursors, the sweeper's $or."""
    now = datetime.now(UTC)
    old = now - timedelta(minutes=10)
    await coll.insert_many(
        [
            _payment(1, status="CREATED", published=False, created_at=now),
            _payment(2, status="CREATED", published=True, created_at=old),
            _payment(3, status="CREATED", published=True, created_at=now),
            _payment(4, status="RETRYING", deleted=True),
            _payment(5, status="PROCESSING", deleted=False),
            _payment(6, status="PROCESSING", lease_until=now + timedelta(seconds=30)),
            _payment(7, status="SUCCESS", updated_at=old),
        ]
    )
    # Dates written by $set, as the state moves write them.
    await coll.update_one({"_id": "pay_0004"}, {"$set": {"updated_at": old}})
    await coll.update_one({"_id": "pay_0005"}, {"$set": {"lease_until": old}})
    assert await _ids(coll, {"deleted": {"$ne": True}}) == [
        "pay_0001", "pay_0002", "pay_0003", "pay_0005", "pay_0006", "pay_0007",
    ]  # fmt: skip
    assert await _ids(coll, {"published": False}) == ["pay_0001"]
    page = await coll.find({"_id": {"$lt": "pay_0005"}}).sort("_id", DESCENDING).limit(2).to_list()
    assert [d["_id"] for d in page] == ["pay_0004", "pay_0003"]
    assert await _ids(coll, {"_id": {"$gt": "pay_0005"}}) == ["pay_0006", "pay_0007"]
    cutoff = now - timedelta(minutes=1)
    stale = {
        "$or": [
            {"status": "CREATED", "published": False},
            {"status": "CREATED", "created_at": {"$lt": cutoff}},
            {"status": "RETRYING", "updated_at": {"$lt": cutoff}},
            {"status": "PROCESSING", "lease_until": {"$lt": now}},
        ]
    }
    assert await _ids(coll, stale) == ["pay_0001", "pay_0002", "pay_0004", "pay_0005"]


# --- aggregation (metrics) -------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def metrics_coll(
    coll: AsyncCollection[dict[str, Any]],
) -> AsyncCollection[dict[str, Any]]:
    rows = [
        ("SUCCESS", "card", 1000, 0),
        ("SUCCESS", "upi", 2000, 1),
        ("SUCCESS", "card", 3000, 2),
        ("FAILED", "wallet", 4000, 2),
        ("FAILED", "card", 5000, 0),
        ("RETRYING", "upi", 6000, 1),
        ("CREATED", "card", 7000, 0),
    ]
    await coll.insert_many(
        [
            _payment(
                i,
                merchant_id="mer_1",
                status=s,
                amount=a,
                retry_count=r,
                payment_method={"type": t},
            )
            for i, (s, t, a, r) in enumerate(rows)
        ]
        + [_payment(99, merchant_id="mer_2", status="SUCCESS", retry_count=9)]
    )
    return coll


async def test_aggregate_group_by_status(metrics_coll: AsyncCollection[dict[str, Any]]) -> None:
    cursor = await metrics_coll.aggregate(
        [
            {"$match": {"merchant_id": "mer_1"}},
            {"$group": {"_id": "$status", "count": {"$sum": 1}}},
            {"$sort": {"count": -1, "_id": 1}},
        ]
    )
    rows = await cursor.to_list()
    assert rows == [
        {"_id": "SUCCESS", "count": 3},
        {"_id": "FAILED", "count": 2},
        {"_id": "CREATED", "count": 1},
        {"_id": "RETRYING", "count": 1},
    ]


async def test_aggregate_group_by_nested_field(
    metrics_coll: AsyncCollection[dict[str, Any]],
) -> None:
    cursor = await metrics_coll.aggregate(
        [
            {"$match": {"merchant_id": "mer_1"}},
            {"$group": {"_id": "$payment_method.type", "count": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ]
    )
    assert await cursor.to_list() == [
        {"_id": "card", "count": 4},
        {"_id": "upi", "count": 2},
        {"_id": "wallet", "count": 1},
    ]


async def test_aggregate_avg_sum_with_null_id(
    metrics_coll: AsyncCollection[dict[str, Any]],
) -> None:
    cursor = await metrics_coll.aggregate(
        [
            {"$match": {"merchant_id": "mer_1"}},
            {
                "$group": {
                    "_id": None,
                    "total": {"$sum": 1},
                    "amount": {"$sum": "$amount"},
                    "avg_retries": {"$avg": "$retry_count"},
                }
            },
        ]
    )
    rows = await cursor.to_list()
    assert len(rows) == 1
    assert rows[0]["_id"] is None
    assert rows[0]["total"] == 7
    assert rows[0]["amount"] == 28_000
    assert rows[0]["avg_retries"] == pytest.approx(6 / 7)


async def test_aggregate_avg_on_no_match_is_empty(
    metrics_coll: AsyncCollection[dict[str, Any]],
) -> None:
    cursor = await metrics_coll.aggregate(
        [
            {"$match": {"merchant_id": "mer_none"}},
            {"$group": {"_id": None, "avg": {"$avg": "$retry_count"}, "n": {"$sum": 1}}},
        ]
    )
    assert await cursor.to_list() == []


async def test_aggregate_sort_limit_project(
    metrics_coll: AsyncCollection[dict[str, Any]],
) -> None:
    cursor = await metrics_coll.aggregate(
        [
            {"$match": {"merchant_id": "mer_1", "status": {"$in": ["SUCCESS", "FAILED"]}}},
            {"$sort": {"amount": -1}},
            {"$limit": 3},
            {"$project": {"_id": 0, "amount": 1, "status": 1}},
        ]
    )
    assert await cursor.to_list() == [
        {"status": "FAILED", "amount": 5000},
        {"status": "FAILED", "amount": 4000},
        {"status": "SUCCESS", "amount": 3000},
    ]


# --- append-only audit trail instead of $push --------------------------------------------


async def test_events_appended_to_separate_collection(
    db: AsyncDatabase[dict[str, Any]], coll: AsyncCollection[dict[str, Any]]
) -> None:
    events = db[f"events_{uuid.uuid4().hex[:8]}"]
    try:
        await events.create_index([("payment_id", 1), ("at", 1)])
        await coll.insert_one(_payment(1))
        moves = [
            ("CREATED", "PROCESSING"),
            ("PROCESSING", "RETRYING"),
            ("RETRYING", "PROCESSING"),
            ("PROCESSING", "SUCCESS"),
        ]
        for n, (src, dst) in enumerate(moves):
            await events.insert_one(
                {
                    "payment_id": "pay_0001",
                    "from": src,
                    "to": dst,
                    "at": T0 + timedelta(seconds=n),
                    "attempt": 1 + n // 2,
                    "meta": {"qstash_message_id": f"msg_{n}"},
                }
            )
        await events.insert_one(
            {"payment_id": "pay_other", "from": "CREATED", "to": "PROCESSING", "at": T0}
        )
        trail = await events.find({"payment_id": "pay_0001"}, {"_id": 0}).sort("at", 1).to_list()
        assert [(e["from"], e["to"]) for e in trail] == moves
        assert trail[0]["meta"] == {"qstash_message_id": "msg_0"}
        assert trail[-1]["attempt"] == 2
    finally:
        await events.drop()


# --- durability ------------------------------------------------------------------------


async def test_acknowledged_writes_survive_kill9(stack_cfg: StackConfig, tmp_path: Path) -> None:
    cfg = dataclasses.replace(stack_cfg, mongo_port=free_port(), data_dir=tmp_path, echo=False)
    mongo = mongo_process(cfg)
    await asyncio.to_thread(mongo.start)
    try:
        client = _client(cfg.mongodb_uri)
        payments = client["durable"]["payments"]
        await payments.create_index([("merchant_id", 1), ("idempotency_key", 1)], unique=True)
        await payments.insert_many([_payment(n) for n in range(1, 51)])
        for n in range(51, 61):
            await payments.insert_one(_payment(n))
        await payments.find_one_and_update(
            {"_id": "pay_0001", "status": "CREATED"}, {"$set": {"status": "PROCESSING"}}
        )
        await payments.update_many({"amount": {"$gte": 5000}}, {"$set": {"big": True}})
        await payments.delete_one({"_id": "pay_0002"})
        await client.close()

        await asyncio.to_thread(mongo.kill9)
        await asyncio.to_thread(mongo.start)

        client = _client(cfg.mongodb_uri)
        payments = client["durable"]["payments"]
        assert await payments.count_documents({}) == 59
        assert (await payments.find_one({"_id": "pay_0001"}))["status"] == "PROCESSING"  # type: ignore[index]
        assert await payments.find_one({"_id": "pay_0002"}) is None
        assert await payments.count_documents({"big": True}) == 11
        info = await payments.index_information()
        assert any(
            spec.get("unique") and spec["key"] == [("merchant_id", 1), ("idempotency_key", 1)]
            for spec in info.values()
        )
        with pytest.raises(DuplicateKeyError):
            await payments.insert_one(_payment(100, idempotency_key="key-5"))
        await client.close()
    finally:
        await asyncio.to_thread(mongo.stop)


# --- the refund reservation ------------------------------------------------------------


async def test_refund_reservation_is_conditional_idempotent_and_scoped(
    stack_cfg: StackConfig, db: AsyncDatabase[dict[str, Any]]
) -> None:
    """`RefundRepository.reserve` / `settle` on nx-27017: no overshoot under a race, no second
    reservation or settlement of one refund, and no other payment touched (nx-27017 ignores
    plain filter fields beside `$expr`, so a wrongly written reserve would hit any document)."""
    payments = db["payments"]
    await payments.insert_many(
        [
            {"_id": "pay_other", "status": "SUCCESS", "amount_captured": 1000},
            {"_id": "pay_failed", "status": "FAILED", "amount_captured": 1000},
            {"_id": "pay_race", "status": "SUCCESS", "amount_captured": 1000},
        ]
    )

    def refund(n: int, payment_id: str = "pay_race", amount: int = 70) -> Refund:
        return Refund(
            id=f"re_{n:04d}",
            merchant_id="mer_1",
            payment_id=payment_id,
            amount=amount,
            currency="USD",
            idempotency_key=f"k{n}",
            fingerprint="f",
            created_at=T0,
            updated_at=T0,
        )

    clients = [_client(stack_cfg.mongodb_uri) for _ in range(3)]
    try:
        repos = [RefundRepository(c[db.name]) for c in clients]
        results = await asyncio.gather(*(repos[n % 3].reserve(refund(n)) for n in range(50)))
    finally:
        for client in clients:
            await client.close()
    assert results.count(True) == 14
    repo = RefundRepository(db)
    winner = refund(results.index(True))
    assert await repo.reserve(winner) is True  # already reserved: True, nothing added
    assert await repo.reserved_of("pay_race") == 980
    assert await repo.reserve(refund(99, "pay_failed")) is False
    done = dataclasses.replace(winner, status=RefundStatus.SUCCEEDED)
    assert await repo.settle(done) == RefundStatus.SUCCEEDED
    # Decided once: a later settle (the failure callback after a crash) gets SUCCEEDED back.
    gave_up = dataclasses.replace(winner, status=RefundStatus.FAILED)
    assert await repo.settle(gave_up) == RefundStatus.SUCCEEDED
    failing = refund(results.index(True, results.index(True) + 1))
    failed = dataclasses.replace(failing, status=RefundStatus.FAILED)
    assert await repo.settle(failed) == RefundStatus.FAILED
    assert await repo.settle(dataclasses.replace(failing, status=RefundStatus.SUCCEEDED)) == (
        RefundStatus.FAILED
    )
    loser = dataclasses.replace(refund(results.index(False)), status=RefundStatus.FAILED)
    assert await repo.settle(loser) is None  # never reserved: nothing to release
    race = await payments.find_one({"_id": "pay_race"})
    assert race is not None
    assert (race["refund_reserved"], race["amount_refunded"]) == (910, 70)
    assert len(race["refund_ids"]) == 14
    assert race["settled_refund_ids"] == [winner.id, failing.id]
    assert race["refunded_ids"] == [winner.id]
    for untouched in ("pay_other", "pay_failed"):
        stored = await payments.find_one({"_id": untouched})
        assert stored is not None and "refund_reserved" not in stored


# --- a dispute's owed fan-out ---------------------------------------------------------------


async def test_a_closing_move_from_a_stale_read_still_owes_its_event(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    """The decision timer reads a dispute whose `dispute.created` is still owed; the sweeper
    then sends it and clears `fanout_pending` at the same version; the decision's save (guarded
    by that version, so it wins) must still leave `dispute.closed` owed."""
    repo = DisputeRepository(db)
    opened = await repo.insert(
        Dispute(
            id="dp_stale",
            merchant_id="mer_1",
            payment_id="pay_dispute_stale",
            amount=1999,
            currency="USD",
            evidence_due_by=T0 + timedelta(days=7),
            created_at=T0,
            updated_at=T0,
            last_move=DisputeMove(dispute_event_id("dp_stale", 1), None, D.NEEDS_RESPONSE, T0, "t"),
        )
    )
    review = await repo.save(opened, opened.evidence_submitted("no", now=T0))
    assert review is not None and review.fanout_pending  # dispute.created still owed
    await repo.finish_fan_out(review)  # the sweeper sent it meanwhile
    closed = await repo.save(review, review.decided(now=T0))
    assert closed is not None and closed.status == D.LOST
    assert closed.fanout_pending
    stored = await db["disputes"].find_one({"_id": "dp_stale"})
    assert stored is not None and stored["fanout_pending"] is True
    pending = await repo.fanout_pending(updated_before=T0 + timedelta(days=1), limit=10)
    assert [d.id for d in pending] == ["dp_stale"]

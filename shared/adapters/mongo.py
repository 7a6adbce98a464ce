"""The MongoDB connection: one client per event loop, indexes made once, errors translated.

Timeouts are named constants below the Lambda timeout, so a down database gives a 503 naming
it quickly instead of a hang.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    WTimeoutError,
)

from shared.domain.errors import DependencyUnavailable

SERVER_SELECTION_TIMEOUT_MS = 3_000
CONNECT_TIMEOUT_MS = 2_000
SOCKET_TIMEOUT_MS = 10_000
MAX_POOL_SIZE = 50

Doc = dict[str, Any]
P = ParamSpec("P")
R = TypeVar("R")

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    # No index names `_id` as a second key: nx-27017 cannot index that path.
    "payments": [
        ([("merchant_id", ASCENDING), ("idempotency_key", ASCENDING)], {"unique": True}),
        ([("merchant_id", ASCENDING), ("status", ASCENDING)], {}),
        ([("merchant_id", ASCENDING), ("user_id", ASCENDING)], {}),
        ([("status", ASCENDING), ("lease_until", ASCENDING)], {}),
        ([("merchant_id", ASCENDING), ("latency_ms", ASCENDING)], {}),
        ([("merchant_id", ASCENDING), ("created_minute", ASCENDING)], {}),
        ([("fanout_pending", ASCENDING)], {}),  # the sweeper's unfinished fan-outs
        ([("magic", ASCENDING), ("dispute_id", ASCENDING)], {}),  # the sweeper's late disputes
    ],
    "disputes": [
        ([("payment_id", ASCENDING)], {"unique": True}),  # at most one per payment
        ([("merchant_id", ASCENDING), ("status", ASCENDING)], {}),
        ([("status", ASCENDING), ("updated_at", ASCENDING)], {}),  # the sweeper's late decisions
        ([("fanout_pending", ASCENDING)], {}),  # the sweeper's unfinished fan-outs
    ],
    "refunds": [
        ([("merchant_id", ASCENDING), ("idempotency_key", ASCENDING)], {"unique": True}),
        ([("payment_id", ASCENDING)], {}),
        ([("merchant_id", ASCENDING), ("status", ASCENDING)], {}),
        ([("status", ASCENDING), ("updated_at", ASCENDING)], {}),  # the sweeper's stale
        ([("fanout_pending", ASCENDING)], {}),
    ],
    "payment_events": [([("payment_id", ASCENDING)], {})],
    "merchants": [([("api_key_hash", ASCENDING)], {"unique": True})],
    "webhook_endpoints": [([("merchant_id", ASCENDING)], {})],
    "webhook_deliveries": [
        ([("payment_id", ASCENDING)], {}),
        ([("merchant_id", ASCENDING), ("status", ASCENDING)], {}),
        ([("status", ASCENDING), ("updated_at", ASCENDING)], {}),  # the sweeper's stranded
        ([("event_id", ASCENDING)], {}),
        ([("endpoint_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)], {}),
    ],
    "events": [
        ([("merchant_id", ASCENDING), ("sort_key", ASCENDING)], {}),
        ([("merchant_id", ASCENDING), ("type", ASCENDING), ("sort_key", ASCENDING)], {}),
        ([("merchant_id", ASCENDING), ("payment_id", ASCENDING), ("sort_key", ASCENDING)], {}),
    ],
    "webhook_attempts": [([("delivery_id", ASCENDING)], {})],
}


def connect(uri: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
        connectTimeoutMS=CONNECT_TIMEOUT_MS,
        socketTimeoutMS=SOCKET_TIMEOUT_MS,
        maxPoolSize=MAX_POOL_SIZE,
        retryWrites=False,
    )


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """Create every index the stores rely on; safe to run on every cold start."""
    for collection, specs in INDEXES.items():
        for keys, options in specs:
            await db[collection].create_index(keys, **options)


def translate_errors[**P, R](func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Re-raise a lost or timed-out Mongo connection as DependencyUnavailable('mongo')."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(*args, **kwargs)
        except (ConnectionFailure, ExecutionTimeout, WTimeoutError) as exc:
            raise DependencyUnavailable("mongo", type(exc).__name__) from exc

    return wrapper


def translate_all[R](cls: type[R]) -> type[R]:
    """Class decorator: apply translate_errors to every public coroutine method."""
    import inspect

    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            setattr(cls, name, translate_errors(member))
    return cls


async def insert_all_once(
    collection: AsyncCollection[dict[str, Any]], documents: list[dict[str, Any]]
) -> None:
    """Insert every document whose key is new, in one command (the others are kept as
    stored): idempotent, so a re-run after a crash writes only what the crash lost."""
    if not documents:
        return
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
            raise


async def insert_once(
    collection: AsyncCollection[dict[str, Any]], document: dict[str, Any]
) -> bool:
    """Insert `document` unless its key exists already; True if this call inserted it."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True

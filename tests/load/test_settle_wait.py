"""A load run waits for what is still owed before it calls itself settled: a final refund or
dispute whose event is not fanned out yet (`fanout_pending`, e.g. a crash between the move and
its fan-out left it to the sweeper), and a payment in the same case, count as open. Documents
shaped as `shared/adapters/*` store them, in the session's nx-27017."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devstack.load_collect import MongoSource
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig

DB = "paygate_settle_wait"


@pytest.fixture
async def source(
    stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> AsyncIterator[MongoSource]:
    mongo = MongoSource(stack_cfg.mongodb_uri, DB)
    try:
        yield mongo
    finally:
        await mongo.client.drop_database(DB)
        await mongo.close()


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


async def test_a_final_refund_or_dispute_still_owing_its_event_is_open(
    source: MongoSource,
) -> None:
    payment_id = _id("pay")
    refund: dict[str, Any] = {"_id": _id("re"), "payment_id": payment_id, "status": "SUCCEEDED"}
    dispute: dict[str, Any] = {"_id": _id("dp"), "payment_id": payment_id, "status": "LOST"}
    await source.db["refunds"].insert_one({**refund, "fanout_pending": True})
    await source.db["disputes"].insert_one({**dispute, "fanout_pending": True})
    assert await source.money_open([payment_id]) == 2

    await source.db["disputes"].update_one(
        {"_id": dispute["_id"]}, {"$set": {"fanout_pending": False}}
    )
    assert await source.money_open([payment_id]) == 1
    await source.db["refunds"].update_one(
        {"_id": refund["_id"]}, {"$set": {"fanout_pending": False}}
    )
    assert await source.money_open([payment_id]) == 0


async def test_a_skipped_payment_still_owing_its_event_is_unsettled(source: MongoSource) -> None:
    user_id = _id("load")
    payment = {"_id": _id("pay"), "user_id": user_id, "status": "SUCCESS"}
    # No endpoint: webhook_status is SKIPPED at once, the event is still to be stored.
    await source.db["payments"].insert_one(
        {**payment, "webhook_status": "SKIPPED", "fanout_pending": True}
    )
    progress = await source.progress(user_id)
    assert progress.total is None and progress.unsettled == 1

    await source.db["payments"].update_one(
        {"_id": payment["_id"]}, {"$set": {"fanout_pending": False}}
    )
    progress = await source.progress(user_id)
    assert (progress.total, progress.unsettled) == (1, 0)

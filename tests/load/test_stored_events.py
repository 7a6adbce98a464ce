"""The stored-event rules (`event_missing`, `event_body_changed`) on a real run: a load run with
refunds and disputes against the session stack keeps them, and the same run's documents in
Mongo, then broken one way at a time, break them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack.invariants import Violation
from devstack.load import LoadReport, check_collected, run_load
from devstack.load_collect import Collected, MongoSource, collect
from devstack.load_mix import MoneyShares
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig

pytestmark = pytest.mark.stack
DEMO_KEY = "sk_test_demo"
EVENT_RULES = {"event_missing", "event_body_changed"}
Doc = dict[str, Any]


@dataclass
class CleanRun:
    cfg: StackConfig
    report: LoadReport
    db: Any  # the functions' database

    @property
    def data(self) -> Collected:
        assert self.report.data is not None
        return self.report.data

    async def recheck(self) -> list[Violation]:
        """Collect the run's documents again, as they are in Mongo now, and check them."""
        source = MongoSource(self.cfg.mongodb_uri)
        try:
            async with httpx.AsyncClient(
                base_url=self.cfg.functions_url,
                headers={"Authorization": f"Bearer {DEMO_KEY}"},
                timeout=30,
            ) as api:
                data = await collect(
                    source, api, self.report.config["user_id"], self.cfg.receiver_url
                )
        finally:
            await source.close()
        return check_collected(self.report.sent, data)

    def delivery_of(self, event_type: str) -> tuple[str, Doc]:
        """(payment id, delivery) of the run's first delivery of `event_type`."""
        for payment_id, items in sorted(self.data.deliveries.items()):
            for delivery in items:
                if delivery["event_type"] == event_type:
                    return payment_id, delivery
        raise AssertionError(f"the run delivered no {event_type}")


@pytest.fixture(scope="module")
async def clean_run(
    stack_cfg: StackConfig, functions_service: ManagedProcess
) -> AsyncIterator[CleanRun]:
    report = await run_load(
        stack_cfg.functions_url,
        DEMO_KEY,
        n=40,
        concurrency=8,
        receiver_url=stack_cfg.receiver_url,
        mongodb_uri=stack_cfg.mongodb_uri,
        settle_timeout_s=180.0,
        seed=17,
        money=MoneyShares(captures=0.2, refunds=0.3, disputes=0.2),
    )
    client: AsyncMongoClient[Doc] = AsyncMongoClient(stack_cfg.mongodb_uri, tz_aware=True)
    try:
        yield CleanRun(stack_cfg, report, client["paygate"])
    finally:
        await client.close()


def found(violations: list[Violation], rule: str, payment_id: str) -> list[str]:
    return [v.message for v in violations if v.rule == rule and v.payment_id == payment_id]


async def test_a_clean_run_keeps_the_stored_event_rules(clean_run: CleanRun) -> None:
    report = clean_run.report
    assert report.settled and report.violations == [], report.violation_counts()
    stored = clean_run.data.stored_events
    assert stored, "the run stored no events"
    types = {doc["type"] for doc in stored.values()}
    assert {"payment.succeeded", "refund.succeeded", "dispute.created", "dispute.closed"} <= types
    # Every delivery names a stored event and carries its bytes.
    for items in clean_run.data.deliveries.values():
        for delivery in items:
            assert stored[delivery["event_id"]]["body"] == delivery["body"]


async def test_a_deleted_event_is_missing(clean_run: CleanRun) -> None:
    # A closed dispute's event and a payment's final event, gone from `events`.
    dispute_pid, closed = clean_run.delivery_of("dispute.closed")
    payment_pid, succeeded = clean_run.delivery_of("payment.succeeded")
    events = clean_run.db["events"]
    kept = [await events.find_one({"_id": d["event_id"]}) for d in (closed, succeeded)]
    assert all(kept)
    await events.delete_many({"_id": {"$in": [closed["event_id"], succeeded["event_id"]]}})
    try:
        violations = await clean_run.recheck()
    finally:
        await events.insert_many([doc for doc in kept if doc is not None])
    for pid, delivery in ((dispute_pid, closed), (payment_pid, succeeded)):
        missing = found(violations, "event_missing", pid)
        assert any(f"has no stored event {delivery['event_id']}" in m for m in missing), missing
        assert any(f"names {delivery['event_id']}, which is not stored" in m for m in missing)
    assert {v.rule for v in violations} == {"event_missing"}, violations
    assert {v.rule for v in await clean_run.recheck()} & EVENT_RULES == set()


async def test_a_delivery_with_other_bytes_changed_the_body(clean_run: CleanRun) -> None:
    payment_id, refund = clean_run.delivery_of("refund.succeeded")
    deliveries = clean_run.db["webhook_deliveries"]
    changed = refund["body"].replace('"status":"SUCCEEDED"', '"status":"FAILED"')
    assert changed != refund["body"]
    await deliveries.update_one({"_id": refund["id"]}, {"$set": {"body": changed}})
    try:
        violations = await clean_run.recheck()
    finally:
        await deliveries.update_one({"_id": refund["id"]}, {"$set": {"body": refund["body"]}})
    messages = found(violations, "event_body_changed", payment_id)
    assert any("other bytes than the stored" in m for m in messages), messages
    assert not any("different bodies among the deliveries" in m for m in messages), messages
    assert not found(violations, "event_missing", payment_id)


async def test_two_deliveries_of_one_event_with_different_bodies(clean_run: CleanRun) -> None:
    payment_id, created = clean_run.delivery_of("dispute.created")
    deliveries = clean_run.db["webhook_deliveries"]
    original = await deliveries.find_one({"_id": created["id"]})
    assert original is not None
    twin = {
        **original,
        "_id": created["id"] + "_twin",
        "body": created["body"].replace('"NEEDS_RESPONSE"', '"WON"'),
    }
    assert twin["body"] != created["body"]
    await deliveries.insert_one(twin)
    try:
        violations = await clean_run.recheck()
    finally:
        await deliveries.delete_one({"_id": twin["_id"]})
    messages = found(violations, "event_body_changed", payment_id)
    assert any(
        f"2 different bodies among the deliveries of {created['event_id']}" in m for m in messages
    ), messages
    assert not found(violations, "event_missing", payment_id)

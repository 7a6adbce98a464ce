"""`kill -9` one process while 300 mixed payments are in flight, with their money movements
(manual captures and cancels, partial refunds, disputes answered); restart it 5 s later.

After each: every accepted payment is final exactly once through legal moves, every refund
and dispute is final with a legal trail and refunded ≤ captured ≤ amount, every final
object's webhooks were delivered once per endpoint and no webhook id with two bodies, nothing
is stuck, and the load command's invariant check passes (with three webhook endpoints for the
functions-host and QStash crashes: every endpoint's deliveries settled and the payment's
webhook_status agrees). While the process is down the API answers in bounded time: 503
naming the dependency (or, with the functions host itself down, a refused connection), no
traceback.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.faults.stack import (
    DEMO_KEY,
    PROBE_BOUND_S,
    FaultStack,
    assert_health_names,
    assert_names_unavailable,
    assert_run_survived,
    fault_stack,
    kill_and_restart,
    payment_body,
    probe,
    run_with_fault,
)

pytestmark = pytest.mark.faults


def republished(fs: FaultStack, status: str) -> set[str]:
    return {
        r["payment_id"]
        for r in fs.log_records()
        if r.get("msg") == "republished" and r.get("status") == status
    }


async def until_a_payment_is_processing(fs: FaultStack, within_s: float = 60.0) -> None:
    """Until some payment is inside its simulated gateway call (claimed, lease held): the
    kill that follows leaves it behind. (Killed at a random instant, the host sometimes had
    none in flight: QStash delivers in waves, and the premise of the test went untested.)"""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(fs.cfg.mongodb_uri)
    try:
        payments = client["paygate"]["payments"]
        deadline = asyncio.get_running_loop().time() + within_s
        while asyncio.get_running_loop().time() < deadline:
            if await payments.find_one({"status": "PROCESSING"}, {"_id": 1}) is not None:
                return
            await asyncio.sleep(0.01)
    finally:
        await client.close()
    raise AssertionError(f"no payment was PROCESSING within {within_s}s")


async def test_functions_host_killed(tmp_path: Path) -> None:
    # Simulated gateway latency keeps payments inside PROCESSING when the host dies, so
    # some are left with a lease nobody will release: the sweeper must take them over.
    with fault_stack(tmp_path, PAYGATE_GATEWAY_LATENCY_MS="150,300") as fs:

        async def refused(fs: FaultStack) -> None:
            fs.notes["probe"] = await probe(fs, "GET", "/v1/payments")

        async def fault(fs: FaultStack) -> None:
            await until_a_payment_is_processing(fs)
            await kill_and_restart(fs, "functions", during=refused)

        report = await run_with_fault(fs, fault, seed=101, endpoints=3)
        down = fs.notes["probe"]
        # Refused at once, not left to time out (the probe's client waits up to 30 s); the
        # bound is loose because the probe shares its event loop with the load generator.
        assert down.status is None and down.seconds < PROBE_BOUND_S, down
        assert_run_survived(fs, report)
        took_over = {
            r["payment_id"]
            for r in fs.log_records()
            if r.get("msg") == "took over an expired lease"
        }
        assert took_over, "no PROCESSING payment was left behind by the crash"
        assert republished(fs, "PROCESSING"), "the sweeper re-drove no expired lease"


async def test_qstash_killed(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as fs:
        async with httpx.AsyncClient(
            base_url=fs.url, headers={"Authorization": f"Bearer {DEMO_KEY}"}, timeout=10
        ) as client:
            declined = await client.post(
                "/v1/payments",
                json=payment_body(scenario="hard_failure"),
                headers={"Idempotency-Key": "probe-declined"},
            )
            declined_id = declined.json()["id"]
            for _ in range(50):
                if (await client.get(f"/v1/payments/{declined_id}")).json()["status"] == "FAILED":
                    break
                await asyncio.sleep(0.1)

        async def while_down(fs: FaultStack) -> None:
            created = [
                probe(
                    fs,
                    "POST",
                    "/v1/payments",
                    json=payment_body(),
                    headers={"Idempotency-Key": f"probe-during-{i}"},
                )
                for i in range(2)
            ]
            fs.notes["health"], fs.notes["retry"], *fs.notes["created"] = await asyncio.gather(
                probe(fs, "GET", "/healthz"),
                probe(fs, "POST", f"/v1/payments/{declined_id}/retry"),
                *created,
            )

        async def fault(fs: FaultStack) -> None:
            await kill_and_restart(fs, "qstash", during=while_down)

        report = await run_with_fault(fs, fault, seed=202, endpoints=3)
        assert_health_names(fs.notes["health"], "qstash")
        assert_names_unavailable(fs.notes["retry"], "qstash")
        # Accepted while QStash was down: stored unpublished, then re-driven by the sweeper.
        created = [p.body for p in fs.notes["created"] if p.status == 201]
        assert len(created) == 2, fs.notes["created"]
        assert_run_survived(fs, report)
        await assert_final(fs, [_id(body) for body in created], "SUCCESS")
        await assert_final(fs, [declined_id], "FAILED", generation=2)
        assert {_id(body) for body in created} <= republished(fs, "CREATED")
        assert declined_id in republished(fs, "RETRYING")


async def test_redis_killed(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as fs:

        async def while_down(fs: FaultStack) -> None:
            fs.notes["health"], fs.notes["create"], fs.notes["read"] = await asyncio.gather(
                probe(fs, "GET", "/healthz"),
                probe(
                    fs,
                    "POST",
                    "/v1/payments",
                    json=payment_body(),
                    headers={"Idempotency-Key": "x"},
                ),
                probe(fs, "GET", "/v1/payments"),
            )

        async def fault(fs: FaultStack) -> None:
            await kill_and_restart(fs, "redis", during=while_down)

        report = await run_with_fault(fs, fault, seed=303)
        # QStash keeps its messages in that Redis too, so it may be named beside it.
        assert_health_names(fs.notes["health"], "redis", "qstash")
        assert_names_unavailable(fs.notes["create"], "redis")
        assert fs.notes["read"].status == 200  # reads need no Redis
        assert_run_survived(fs, report)


async def test_mongo_killed(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as fs:

        async def while_down(fs: FaultStack) -> None:
            fs.notes["health"], fs.notes["list"], fs.notes["create"] = await asyncio.gather(
                probe(fs, "GET", "/healthz"),
                probe(fs, "GET", "/v1/payments"),
                probe(
                    fs,
                    "POST",
                    "/v1/payments",
                    json=payment_body(),
                    headers={"Idempotency-Key": "y"},
                ),
            )

        async def fault(fs: FaultStack) -> None:
            await kill_and_restart(fs, "mongo", during=while_down)

        report = await run_with_fault(fs, fault, seed=404)
        assert_health_names(fs.notes["health"], "mongo")
        for name in ("list", "create"):
            assert_names_unavailable(fs.notes[name], "mongo")
            assert fs.notes[name].seconds < PROBE_BOUND_S
        assert_run_survived(fs, report)


def _id(body: str) -> str:
    return str(json.loads(body)["id"])


async def assert_final(
    fs: FaultStack, payment_ids: list[str], status: str, generation: int = 1
) -> None:
    async with httpx.AsyncClient(
        base_url=fs.url, headers={"Authorization": f"Bearer {DEMO_KEY}"}, timeout=10
    ) as client:
        for payment_id in payment_ids:
            payment: dict[str, Any] = (await client.get(f"/v1/payments/{payment_id}")).json()
            assert payment["status"] == status, payment
            generations = {e["generation"] for e in payment["events"]}
            assert max(generations) == generation, payment["events"]

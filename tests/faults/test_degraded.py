"""Degraded links while 300 mixed payments are in flight: the demo merchant answers 500 for
10 s, and QStash cannot reach the functions for 10 s (a proxy between them refuses every
connection; the merchant has three webhook endpoints). The same invariants as after a crash
must hold afterwards."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from tests.faults.stack import (
    FaultStack,
    assert_run_survived,
    fault_stack,
    payment_body,
    probe,
    run_with_fault,
)

pytestmark = pytest.mark.faults
OUTAGE_S = 10.0


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


async def test_merchant_answers_500_for_10s(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as fs:

        async def fault(fs: FaultStack) -> None:
            async with httpx.AsyncClient(timeout=5) as client:
                answer = await client.post(
                    f"{fs.cfg.receiver_url}/control", json={"fail_for_seconds": OUTAGE_S}
                )
                assert answer.json()["failing_for_seconds"] > 0
            await asyncio.sleep(OUTAGE_S)

        report = await run_with_fault(fs, fault, seed=505)
        assert_run_survived(fs, report)
        assert report.data is not None
        # Webhooks refused during the window were retried until the merchant took them.
        retried_then_taken = [
            delivery_id
            for delivery_id, attempts in report.data.attempts.items()
            if any(a.get("status_code") == 500 for a in attempts)
            and attempts[-1].get("status_code") == 200
        ]
        assert retried_then_taken, "no webhook met the failing merchant"
        refusals = [r for r in report.data.receiver_records if r.get("status_code") == 500]
        assert refusals


async def test_qstash_cannot_reach_the_functions_for_10s(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as fs:

        async def fault(fs: FaultStack) -> None:
            fs.proxy.cut()
            try:
                fs.notes["refused"] = refused(fs.proxy.port)
                # The public API is not behind the cut: payments are still accepted.
                fs.notes["create"] = await probe(
                    fs,
                    "POST",
                    "/v1/payments",
                    json=payment_body(),
                    headers={"Idempotency-Key": "during-cut"},
                )
                await asyncio.sleep(OUTAGE_S)
            finally:
                fs.proxy.restore()

        report = await run_with_fault(fs, fault, seed=606, endpoints=3)
        assert fs.notes["refused"], "the proxy still accepted connections during the cut"
        assert fs.notes["create"].status == 201
        assert_run_survived(fs, report)

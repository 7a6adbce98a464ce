"""Deterministic runs: the same seeded load run (same seed, same idempotency keys, some chaos
dials on) against two fresh stacks gives the same per-key outcomes, attempt counts, failure
codes and webhook deliveries (DESIGN.md, "Simulator": `seed`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from devstack.load import LoadReport, run_load
from devstack.load_mix import MoneyShares
from devstack.stack import LocalStack, StackConfig
from tests.load.chaos import settings

pytestmark = pytest.mark.stack
SETTINGS = settings(
    seed=2026,
    api={"error_rate": 0.3, "error_mode": "after_commit"},
    webhooks={
        "drop_rate": 0.3,
        "duplicate_rate": 0.3,
        "bad_signature_rate": 0.3,
        "delay_ms": {"min": 0, "max": 1500},
    },
)


async def seeded_run(data_dir: Path) -> LoadReport:
    cfg = StackConfig.ephemeral(data_dir, function_env={"PAYGATE_GATEWAY_LATENCY_MS": "0,0"})
    stack = LocalStack(cfg)
    stack.start()
    try:
        return await run_load(
            cfg.functions_url,
            n=50,
            concurrency=8,
            duplicate_share=0.0,
            receiver_url=cfg.receiver_url,
            mongodb_uri=cfg.mongodb_uri,
            settle_timeout_s=180,
            seed=11,
            money=MoneyShares(captures=0.0, refunds=0.3, disputes=0.0),
            simulator=SETTINGS,
            key_prefix="det",
        )
    finally:
        stack.stop()


def per_key(report: LoadReport) -> dict[str, Any]:
    """What a run did to each key: the payment's end, attempts and failure code, and per event
    type how many deliveries, attempts and receptions its webhooks took."""
    assert report.data is not None
    data = report.data
    ids = {payment_id: p["idempotency_key"] for payment_id, p in data.payments.items()}
    received = Counter(
        (r["payment_id"], r["event_type"]) for r in data.receiver_records if r["payment_id"] in ids
    )
    outcome: dict[str, Any] = {}
    for payment_id, payment in data.payments.items():
        deliveries = sorted(
            (d["event_type"], d["attempt_count"]) for d in data.deliveries.get(payment_id, [])
        )
        arrivals = sorted(
            (event, count) for (pid, event), count in received.items() if pid == payment_id
        )
        failure = payment.get("failure") or {}
        outcome[ids[payment_id]] = (
            payment["status"],
            payment["attempts"],
            failure.get("code"),
            deliveries,
            arrivals,
        )
    return outcome


async def test_the_same_seeded_run_on_two_fresh_stacks_gives_the_same_results(
    tmp_path: Path,
) -> None:
    first = await seeded_run(tmp_path / "first")
    second = await seeded_run(tmp_path / "second")
    for report in (first, second):
        assert report.ok, report.violations[:5]
    a, b = per_key(first), per_key(second)
    assert len(a) == 50 and set(a) == set(b)
    assert {key: a[key] for key in a if a[key] != b[key]} == {}
    # The run exercised the dials and the outcomes: not a trivially equal pair of runs.
    assert {status for status, *_ in a.values()} >= {"SUCCESS", "FAILED"}
    assert any(
        sum(count for _, count in deliveries) > len(deliveries) for *_, deliveries, _ in a.values()
    )

"""One whole local stack per fault test, tuned so recovery is quick, and a load run with a
fault injected while it is in flight.

The run is the load command's mix with money movements (`MONEY`): manual captures and
cancels, partial refunds (some on the card whose refunds fail, keys replayed) and disputes
(opened and decided within a second or two here), all carried out while the fault happens,
and all held to the checker's money and webhook rules afterwards.

QStash reaches the functions through a `CuttableProxy` (`PAYGATE_PUBLIC_URL` points at it, and
so does the sweeper's schedule). Leases and staleness are 5 s and the sweeper runs every 2 s,
so a payment a crash left behind is re-driven within about 7 s of the fault's end.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from qstash import QStash

from devstack.invariants import Violation
from devstack.load import LoadReport, run_load
from devstack.load_mix import MoneyShares
from devstack.processes import free_port
from devstack.stack import SWEEPER_SCHEDULE_ID, LocalStack, StackConfig
from tests.faults.proxy import CuttableProxy
from tests.functions.helpers import payment_body as shared_payment_body

PAYMENTS = 300
CONCURRENCY = 16
FAULT_AFTER = 90  # requests answered before the fault is injected
DOWN_S = 5.0
LEASE_S = 5
STALE_AFTER_S = 5
SWEEP_CRON = "* * * * * */2"  # croniter: seconds are the 6th field
SETTLE_TIMEOUT_S = 120.0
# QStash's default backoff is e**(2.5 n) s. At the dev scale (0.01) a webhook's fifth and last
# attempt comes ~240 s after its first, far beyond RECOVERY_BOUND_S: a run could end with a
# delivery still PENDING. So the fault stacks cap each retry's wait at 15 s: the early retries
# keep their spacing (0.12 s, 1.5 s, then 15 s instead of 18 s), the last comes ~32 s after the
# first attempt. (A smaller time scale instead squeezes the early retries too: a 10 s cut then
# burns a payment's whole retry budget and its failure callback abandons it.)
QSTASH_TIME_SCALE = 0.01
QSTASH_MAX_RETRY_DELAY_S = 15.0
# Everything final, webhooks included, this long after the fault ends: the sweeper's period
# and staleness (7 s) for payments, QStash's whole retry budget (~32 s with the cap)
# for webhooks, plus margin for a busy 2-core machine (tests/faults/test_budget.py checks it).
RECOVERY_BOUND_S = 75.0
PROBE_BOUND_S = 8.0  # no API call may take longer while a dependency is down
DEMO_KEY = "sk_test_demo"
MONEY = MoneyShares(captures=0.1, refunds=0.2, disputes=0.04)
DISPUTE_DELAY_S = 1  # a dispute opens this long after its payment succeeded
DISPUTE_DECISION_DELAY_S = 1  # and is decided this long after its evidence


@dataclass
class FaultStack:
    cfg: StackConfig
    stack: LocalStack
    proxy: CuttableProxy
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.cfg.functions_url

    def log(self, name: str) -> str:
        path = self.cfg.data_dir / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_records(self, name: str = "functions") -> list[dict[str, Any]]:
        records = []
        for line in self.log(name).splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records


@contextmanager
def fault_stack(data_dir: Path, **env: str) -> Iterator[FaultStack]:
    """A started stack; `env` adds to (or overrides) the functions' environment."""
    functions_port = free_port()
    with CuttableProxy(functions_port) as proxy:
        cfg = StackConfig.ephemeral(
            data_dir,
            functions_port=functions_port,
            sweep_cron=SWEEP_CRON,
            qstash_time_scale=QSTASH_TIME_SCALE,
            qstash_max_retry_delay_s=QSTASH_MAX_RETRY_DELAY_S,
            function_env={
                "PAYGATE_GATEWAY_LATENCY_MS": "0,0",
                "PAYGATE_LEASE_SECONDS": str(LEASE_S),
                "PAYGATE_STALE_AFTER_S": str(STALE_AFTER_S),
                "PAYGATE_PUBLIC_URL": proxy.url,
                "PAYGATE_DISPUTE_DELAY_S": str(DISPUTE_DELAY_S),
                "PAYGATE_DISPUTE_DECISION_DELAY_S": str(DISPUTE_DECISION_DELAY_S),
                **env,
            },
        )
        stack = LocalStack(cfg)
        stack.start()
        try:
            QStash(cfg.qstash_token, base_url=cfg.qstash_url, retry=False).schedule.create(
                destination=f"{proxy.url}/internal/sweep",
                cron=SWEEP_CRON,
                schedule_id=SWEEPER_SCHEDULE_ID,
            )
            yield FaultStack(cfg, stack, proxy)
        finally:
            stack.stop()


Fault = Callable[[FaultStack], Awaitable[None]]


async def run_with_fault(fs: FaultStack, fault: Fault, seed: int, endpoints: int = 1) -> LoadReport:
    """A load run of PAYMENTS mixed payments for a merchant with `endpoints` webhook endpoints;
    `fault` runs once FAULT_AFTER are answered."""
    answered = asyncio.Event()

    def on_progress(phase: str, done: int, total: int) -> None:
        if phase == "send" and done >= FAULT_AFTER:
            answered.set()

    load = asyncio.create_task(
        run_load(
            fs.url,
            DEMO_KEY,
            n=PAYMENTS,
            concurrency=CONCURRENCY,
            duplicate_share=0.05,
            receiver_url=fs.cfg.receiver_url,
            mongodb_uri=fs.cfg.mongodb_uri,
            settle_timeout_s=SETTLE_TIMEOUT_S,
            seed=seed,
            accept_timeout_s=90.0,
            on_progress=on_progress,
            endpoints=endpoints,
            money=MONEY,
        )
    )
    try:
        await asyncio.wait_for(answered.wait(), timeout=120)
        fs.notes["fault_started"] = time.monotonic()
        await fault(fs)
        fs.notes["fault_ended"] = time.monotonic()
        report = await load
    finally:
        if not load.done():
            load.cancel()
    fs.notes["settled_after_fault_s"] = time.monotonic() - fs.notes["fault_ended"]
    return report


def describe(report: LoadReport, limit: int = 15) -> str:
    lines = [f"settled={report.settled} violations={report.violation_counts()}"]
    lines += [f"  {v.rule}: {v.payment_id or v.key}: {v.message}" for v in report.violations]
    return "\n".join(lines[: limit + 1])


def assert_run_survived(fs: FaultStack, report: LoadReport) -> None:
    """What every fault test demands of the run once the fault is over."""
    accepted = [s for s in report.sent if s.accepted and s.duplicate_of is None]
    assert len(accepted) == PAYMENTS, describe(report)
    assert report.settled, describe(report)
    recovery = fs.notes["settled_after_fault_s"]
    assert recovery < RECOVERY_BOUND_S, f"settled {recovery:.0f}s after the fault ended"
    violations: list[Violation] = report.violations
    assert not violations, describe(report)
    assert report.data is not None and len(report.data.payments) == PAYMENTS
    # The money movements happened (so their rules were not passed by having nothing to check).
    objects, money = report.summary["objects"], report.summary["money"]
    assert {"SUCCESS", "FAILED", "CANCELED"} <= set(objects["payments"]), objects
    assert set(objects["refunds"]) == {"SUCCEEDED", "FAILED"}, objects
    assert set(objects["disputes"]) == {"WON", "LOST"}, objects
    assert money["captures"] and money["refund_requests"]["replays"], money
    unhandled = [r for r in fs.log_records() if r.get("level") == "error" or "exc" in r]
    assert not unhandled, f"unhandled errors (tracebacks) in functions.log: {unhandled[:3]}"


@dataclass(frozen=True)
class Probe:
    status: int | None  # None: no answer (connection refused)
    body: str
    seconds: float


async def probe(fs: FaultStack, method: str, path: str, **kwargs: Any) -> Probe:
    """One API call while something is down: it must answer (or be refused) in bounded time."""
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=fs.url, headers={"Authorization": f"Bearer {DEMO_KEY}"}, timeout=30
    ) as client:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.ConnectError:
            return Probe(None, "", time.monotonic() - started)
    elapsed = time.monotonic() - started
    assert elapsed < PROBE_BOUND_S, f"{method} {path} took {elapsed:.1f}s"
    assert "Traceback" not in response.text
    return Probe(response.status_code, response.text, elapsed)


def assert_names_unavailable(result: Probe, dependency: str) -> None:
    assert result.status == 503, result
    error = json.loads(result.body)["error"]
    assert error["code"] == "service_unavailable", error
    assert dependency in error["message"], error


def assert_health_names(result: Probe, dependency: str, *also: str) -> None:
    """/healthz is 503 and names `dependency` (and at most `also`) as down."""
    assert result.status == 503, result
    dependencies = json.loads(result.body)["dependencies"]
    assert dependencies[dependency] != "ok", dependencies
    down = {name for name, state in dependencies.items() if state != "ok"}
    assert down <= {dependency, *also}, dependencies


async def kill_and_restart(fs: FaultStack, name: str, during: Fault | None = None) -> None:
    """`kill -9` the process group of `name`; `during` runs while it is down; restart after
    DOWN_S seconds (Redis replays its append-only file, nx-27017 its WAL)."""
    process = fs.stack[name]
    await asyncio.to_thread(process.kill9)
    down_at = time.monotonic()
    if during is not None:
        await during(fs)
    await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - down_at)))
    await asyncio.to_thread(process.start)


def payment_body(**overrides: Any) -> dict[str, Any]:
    """A probe payment (a wallet: no card number anywhere in the fault runs' probes)."""
    probe = {"payment_method": {"type": "wallet", "wallet": "paytm"}, "user_id": "fault_probe"}
    return shared_payment_body(**{**probe, **overrides})

"""`make bench-wrk`: paygate's half of issue 15's side-by-side comparison, measured its way.

    python -m benchmarks.side_by_side [--duration 60 --warmup 10 --connections 50 --threads 2]

The method of docs/performance.md ("Side by side with the original"): a fresh local stack
as `make dev` runs it (one functions worker, every setting at its default: the random
outcome mix, 5-40 ms simulated gateway latency, rate limit off, QStash backoff scale 0.01;
only the ports are free ones and the data directory a temporary one, so it runs beside a
`make dev` stack), then `wrk` against 127.0.0.1 with `benchmarks/wrk/create_payment.lua`
(the same body, a unique Idempotency-Key per request): a warm-up, then the measured run.

paygate processes every payment as it arrives, so when wrk stops some payments are still
being processed: how many (polled straight from Mongo, as `paygate load` does), and how long
the stack takes to make them all final and to settle their webhooks, go into the report with
the run's figures, the machine, how busy it was, the commit and the parameters:
`benchmarks/results/side-by-side-<date>.json`.

Installs nothing: without `wrk` on PATH it stops with one line saying what to install
(`make bench-wrk` installs Debian's package when run as root).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.machine import busy_share, machine_info
from benchmarks.stack_probe import cpu_delta, cpu_seconds
from devstack.load import poll_interval
from devstack.load_collect import MongoSource
from devstack.stack import PROJECT_ROOT, LocalStack, StackConfig

RESULTS = Path(__file__).resolve().parent / "results"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "create_payment.lua"
# wrk leaves a latency above its --timeout out of the percentiles (counted as a timeout
# error instead); its default of 2 s would cut off exactly the tail being compared.
WRK_TIMEOUT_S = 30
MISSING_WRK = (
    "wrk is not installed: run 'apt-get install -y wrk' (or 'make bench-wrk' as root, "
    "which installs it)"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.side_by_side", description=__doc__)
    parser.add_argument("--duration", type=int, default=60, help="measured run, seconds")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up run, seconds (0: none)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--drain-timeout", type=float, default=900, help="seconds to wait for the backlog"
    )
    parser.add_argument("--out", type=Path, default=None, help="report path (default dated)")
    return parser.parse_args(argv)


def parse_wrk_output(stdout: str) -> dict[str, Any]:
    """The JSON line the script's done() prints: the last line that starts with "{"."""
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk printed no JSON line:\n{stdout[-2000:]}")
    measured: dict[str, Any] = json.loads(lines[-1])
    return measured


@dataclass(frozen=True)
class WrkRun:
    seconds: int
    connections: int
    threads: int
    key_prefix: str
    user_id: str

    def argv(self, wrk: str, url: str) -> list[str]:
        return [
            wrk,
            f"--threads={self.threads}",
            f"--connections={self.connections}",
            f"--duration={self.seconds}s",
            f"--timeout={WRK_TIMEOUT_S}s",
            f"--script={WRK_SCRIPT}",
            url,
        ]

    def run(self, wrk: str, url: str) -> dict[str, Any]:
        env = {**os.environ, "WRK_KEY_PREFIX": self.key_prefix, "WRK_USER_ID": self.user_id}
        completed = subprocess.run(
            self.argv(wrk, url),
            env=env,
            capture_output=True,
            text=True,
            timeout=self.seconds + WRK_TIMEOUT_S + 60,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
        return parse_wrk_output(completed.stdout)


async def _backlog(source: MongoSource, user_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per run: payments stored, not final yet, and not settled yet (webhook pending)."""
    found = {}
    for user_id in user_ids:
        state = await source.progress(user_id)
        stored = await source.db["payments"].find({"user_id": user_id}, {"_id": 1}).to_list(None)
        found[user_id] = {
            "stored": len(stored),
            "unprocessed": state.unfinished,
            "unsettled": state.unsettled,
        }
    return found


async def watch_backlog(mongodb_uri: str, user_ids: list[str], timeout_s: float) -> dict[str, Any]:
    """What was left when wrk stopped, then seconds until every payment of these runs is
    final (`processed_after_s`) and every webhook settled too (`settled_after_s`)."""
    source = MongoSource(mongodb_uri)
    started = time.monotonic()
    try:
        at_end = await _backlog(source, user_ids)
        processed_after = settled_after = None
        while time.monotonic() - started < timeout_s:
            states = [await source.progress(user_id) for user_id in user_ids]
            elapsed = round(time.monotonic() - started, 2)
            if processed_after is None and all(s.unfinished == 0 for s in states):
                processed_after = elapsed
            if all(s.unsettled == 0 for s in states):
                settled_after = elapsed
                break
            await asyncio.sleep(poll_interval(sum(s.unsettled for s in states)))
        return {
            "at_wrk_end": at_end,
            "processed_after_s": processed_after,
            "settled_after_s": settled_after,
            "timeout_s": timeout_s,
        }
    finally:
        await source.close()


def run(args: argparse.Namespace, wrk: str) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    machine = machine_info()
    busy = busy_share()
    data_dir = Path(tempfile.mkdtemp(prefix="paygate-bench-wrk-"))
    cfg = StackConfig.ephemeral(data_dir)  # make dev's defaults: 1 worker, no overrides
    report: dict[str, Any] = {
        "name": "side-by-side",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine,
        "machine_busy_before": busy,
        "parameters": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "wrk_timeout_s": WRK_TIMEOUT_S,
            "wrk_script": str(WRK_SCRIPT.relative_to(PROJECT_ROOT)),
            "functions_workers": cfg.functions_workers,
            "function_env": cfg.function_env,
            "qstash_time_scale": cfg.qstash_time_scale,
            "qstash_parallelism": cfg.qstash_parallelism,
            "target": cfg.functions_url,
        },
    }
    stack = LocalStack(cfg)
    print(f"[bench-wrk] starting a local stack (busy before: {busy:.0%})", flush=True)
    stack.start()
    try:
        user_ids = []
        if args.warmup > 0:
            warmup = WrkRun(
                args.warmup, args.connections, args.threads, f"warm-{tag}", f"wrk_warm_{tag}"
            )
            print(f"[bench-wrk] warm-up: {args.warmup} s", flush=True)
            report["warmup"] = warmup.run(wrk, cfg.functions_url)
            user_ids.append(warmup.user_id)
        measured = WrkRun(
            args.duration, args.connections, args.threads, f"run-{tag}", f"wrk_run_{tag}"
        )
        user_ids.append(measured.user_id)
        report["load_average_before_run"] = [round(x, 2) for x in os.getloadavg()]
        print(f"[bench-wrk] measured run: {args.duration} s", flush=True)
        before = cpu_seconds(stack)
        report["run"] = measured.run(wrk, cfg.functions_url)
        during = cpu_seconds(stack)
        report["load_average_after_run"] = [round(x, 2) for x in os.getloadavg()]
        print("[bench-wrk] waiting for the backlog", flush=True)
        report["backlog"] = asyncio.run(
            watch_backlog(cfg.mongodb_uri, user_ids, args.drain_timeout)
        )
        report["stack_cpu_s"] = {
            "run": cpu_delta(before, during),
            "backlog": cpu_delta(during, cpu_seconds(stack)),
        }
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return report


def summary(report: dict[str, Any]) -> str:
    run_ = report["run"]
    latency = run_["latency_ms"]
    backlog = report["backlog"]
    left = sum(b["unprocessed"] for b in backlog["at_wrk_end"].values())
    unsettled = sum(b["unsettled"] for b in backlog["at_wrk_end"].values())
    return "\n".join(
        [
            f"creates/s      {run_['creates_per_s']:.1f}  ({run_['creates']} in "
            f"{run_['seconds']:.1f} s, {report['parameters']['connections']} connections)",
            f"latency        p50 {latency['p50']:.0f} ms, p90 {latency['p90']:.0f} ms, "
            f"p99 {latency['p99']:.0f} ms, max {latency['max']:.0f} ms",
            f"non-2xx        {run_['non_2xx']}  (wrk errors: {run_['errors']})",
            f"at wrk's end   {left} payments not final, {unsettled} not settled (warm-up and run)",
            f"backlog        final after {backlog['processed_after_s']} s, webhooks settled "
            f"after {backlog['settled_after_s']} s",
            f"machine        busy {report['machine_busy_before']:.0%} before, load average "
            f"{report['machine']['load_average']}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print(MISSING_WRK, file=sys.stderr)
        return 1
    report = run(args, wrk)
    path = args.out or RESULTS / f"side-by-side-{time.strftime('%Y-%m-%d', time.gmtime())}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(summary(report))
    print(f"[bench-wrk] wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

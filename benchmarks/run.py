"""`make bench`: B1 ingress, B2 end to end (+ peak stack RSS), B3 idempotency storm, B4 cost
(QStash messages, Upstash commands, Mongo operations per lifecycle and idle hour, counted),
B5 cold start (import time of each function module from the built Lambda artifact).

    python -m benchmarks.run                 # 3 repeats, 1 and 2 function workers
    python -m benchmarks.run --quick         # a short sanity run (small N, 1 repeat)
    python -m benchmarks.run --profile       # also py-spy the functions during B1 and B2

B4 gets a quiet stack of its own (one worker, Mongo operations counted, no schedule: the
idle hour fires the production schedules' jobs itself).

Each worker setting gets its own fresh local stack (zero simulated gateway latency, rate
limit off, dev QStash backoff scale); the client runs in a separate process. Medians over
the repeats, every repeat's raw numbers, CPU seconds per service, the machine and how busy
it was beforehand go to `benchmarks/results/<name>.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import busy_share, machine_info
from benchmarks.profiling import Profiler, top_frames
from benchmarks.stack_probe import RssSampler, cpu_delta, cpu_seconds
from devstack.stack import PROJECT_ROOT, LocalStack, StackConfig

RESULTS = Path(__file__).resolve().parent / "results"
FUNCTION_ENV = {
    "PAYGATE_GATEWAY_LATENCY_MS": "0,0",
    "PAYGATE_RATE_LIMIT_PER_SECOND": "0",
    "PAYGATE_LOG_LEVEL": "WARNING",
}
# Issue 15's goals for the figures B1 and B2 measure (B4's and B5's are judged in their own
# sections of the report and in docs/performance.md).
TARGETS = {
    "b1_creates_per_s": (">=", 400),
    "b1_p99_ms": ("<=", 250),
    "b2_seconds": ("<=", 25),
    "stack_peak_rss_mb": ("<=", 400),
}
CLIENT_TIMEOUT_S = 1800
LOAD_BENCHES = ("b1", "b2", "b3")
# B4: Mongo operations counted in the (single) functions process; a short authorization so
# its expiry timer (a delayed QStash message, billed) fires within the run.
COST_ENV = {**FUNCTION_ENV, "PAYGATE_COUNT_MONGO_OPS": "true", "PAYGATE_AUTHORIZATION_TTL_S": "5"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N, one repeat, 1 worker")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--workers", default=None, help="function workers to try, e.g. 1,2")
    parser.add_argument("--only", default="b1,b2,b3,b4,b5", help="which benchmarks")
    parser.add_argument("--cost-n", type=int, default=None, help="payments per B4 lifecycle")
    parser.add_argument("-n", type=int, default=None, help="payments for B1 and B2")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="py-spy services during B1, B2")
    parser.add_argument(
        "--profile-services", default="functions", help="which services --profile records"
    )
    parser.add_argument("--name", default=None, help="result file name (default latest/quick)")
    args = parser.parse_args(argv)
    args.n = args.n or (200 if args.quick else 2000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.workers = [int(w) for w in (args.workers or ("1" if args.quick else "1,2")).split(",")]
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    args.profile_services = [s.strip() for s in args.profile_services.split(",") if s.strip()]
    args.name = args.name or ("quick" if args.quick else "latest")
    args.cost_n = args.cost_n or (5 if args.quick else 20)
    return args


def run_client(bench: str, params: dict[str, Any]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.client", bench, json.dumps(params)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_S,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"{bench} client failed:\n{completed.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(lines[-1])
    return measured


def _median(values: list[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, int | float)]
    return round(statistics.median(numbers), 2) if numbers else None


def _params(bench: str, args: argparse.Namespace, cfg: StackConfig) -> dict[str, Any]:
    common = {"base_url": cfg.functions_url, "mongodb_uri": cfg.mongodb_uri}
    if bench == "b3":
        return {**common, "requests": 200, "keys": 10}
    extra = {"receiver_url": cfg.receiver_url} if bench == "b2" else {}
    return {**common, **extra, "n": args.n, "concurrency": args.concurrency}


def run_one(
    bench: str, args: argparse.Namespace, stack: LocalStack, repeat: int, out: Path
) -> dict[str, Any]:
    cfg = stack.cfg
    before = cpu_seconds(stack)
    profile = args.profile and repeat == 0 and bench in ("b1", "b2")
    files = {
        name: out / f"profile-{bench}-w{cfg.functions_workers}-{name}.txt"
        for name in (args.profile_services if profile else [])
    }
    with RssSampler(stack) as rss, contextlib.ExitStack() as profilers:
        for name, file in files.items():
            pid = stack[name].pid
            if pid is not None:
                profilers.enter_context(Profiler(pid, file))
        result = run_client(bench, _params(bench, args, cfg))
    used = cpu_delta(before, cpu_seconds(stack))
    payments = {"b1": args.n, "b2": args.n, "b3": 10}[bench]
    result["stack_cpu_s"] = used
    result["stack_cpu_ms_per_payment"] = round(sum(used.values()) * 1000 / payments, 2)
    result["rss"] = rss.result()
    if files:
        result["profiles"] = {
            name: {"file": str(file.relative_to(PROJECT_ROOT)), **top_frames(file)}
            for name, file in files.items()
        }
    return result


def summarise(bench: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    if bench == "b1":
        return {
            "creates_per_s": _median([r["creates_per_s"] for r in runs]),
            "p50_ms": _median([r["latency"]["p50_ms"] for r in runs]),
            "p95_ms": _median([r["latency"]["p95_ms"] for r in runs]),
            "p99_ms": _median([r["latency"]["p99_ms"] for r in runs]),
            "stack_cpu_ms_per_payment": _median([r["stack_cpu_ms_per_payment"] for r in runs]),
        }
    if bench == "b2":
        return {
            "seconds_to_settled": _median([r["seconds_to_settled"] for r in runs]),
            "payments_per_s": _median([r["payments_per_s"] for r in runs]),
            "all_settled": all(r["all_settled"] for r in runs),
            "violations": sum(sum(r["violations"].values()) for r in runs),
            "peak_rss_mb": _median([r["rss"]["peak_total_mb"] for r in runs]),
            "stack_cpu_ms_per_payment": _median([r["stack_cpu_ms_per_payment"] for r in runs]),
        }
    return {
        "exactly_10_payments": all(r["exactly_keys_payments"] for r in runs),
        "every_key_one_id": all(r["every_key_one_payment"] for r in runs),
        "replay_p50_ms": _median([r["latency_replay"]["p50_ms"] for r in runs]),
        "replay_p99_ms": _median([r["latency_replay"]["p99_ms"] for r in runs]),
        "seconds": _median([r["seconds"] for r in runs]),
    }


def run_setting(args: argparse.Namespace, workers: int, out: Path) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"paygate-bench-w{workers}-"))
    cfg = StackConfig.ephemeral(
        data_dir, function_env=dict(FUNCTION_ENV), functions_workers=workers
    )
    stack = LocalStack(cfg)
    print(f"[bench] starting a local stack with {workers} function worker(s)", flush=True)
    stack.start()
    try:
        run_client("b1", {**_params("b1", args, cfg), "n": 100, "concurrency": 16})  # warm-up
        setting: dict[str, Any] = {"workers": workers, "machine_busy_before": busy_share()}
        for bench in (b for b in args.only if b in LOAD_BENCHES):
            runs = []
            for repeat in range(args.repeats):
                print(f"[bench] w{workers} {bench} run {repeat + 1}/{args.repeats}", flush=True)
                runs.append(run_one(bench, args, stack, repeat, out))
            setting[bench] = {"median": summarise(bench, runs), "runs": runs}
        return setting
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def run_cost(n: int, lifecycles: list[str] | None = None) -> dict[str, Any]:
    """B4 on a quiet stack of its own: nothing runs but what it sends."""
    from qstash import QStash

    from devstack.stack import SETTLEMENT_SCHEDULE_ID, SWEEPER_SCHEDULE_ID

    data_dir = Path(tempfile.mkdtemp(prefix="paygate-bench-cost-"))
    cfg = StackConfig.ephemeral(data_dir, function_env=dict(COST_ENV), functions_workers=1)
    stack = LocalStack(cfg)
    print("[bench] starting a quiet local stack for B4", flush=True)
    stack.start()
    try:
        client = QStash(cfg.qstash_token, base_url=cfg.qstash_url)
        for schedule_id in (SWEEPER_SCHEDULE_ID, SETTLEMENT_SCHEDULE_ID):
            client.schedule.delete(schedule_id)  # the idle hour fires the jobs itself
        params = {
            "base_url": cfg.functions_url,
            "qstash_url": cfg.qstash_url,
            "qstash_token": cfg.qstash_token,
            "upstash_url": cfg.upstash_url,
            "upstash_token": cfg.upstash_token,
            "mongodb_uri": cfg.mongodb_uri,
            "n": n,
            "lifecycles": lifecycles,
        }
        return run_client("b4", params)
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def targets(setting: dict[str, Any]) -> dict[str, Any]:
    measured = {
        "b1_creates_per_s": setting.get("b1", {}).get("median", {}).get("creates_per_s"),
        "b1_p99_ms": setting.get("b1", {}).get("median", {}).get("p99_ms"),
        "b2_seconds": setting.get("b2", {}).get("median", {}).get("seconds_to_settled"),
        "stack_peak_rss_mb": setting.get("b2", {}).get("median", {}).get("peak_rss_mb"),
    }
    verdicts = {}
    for name, (op, goal) in TARGETS.items():
        value = measured[name]
        met = None if value is None else (value >= goal if op == ">=" else value <= goal)
        ratio = None if not value else round((value / goal) if op == ">=" else (goal / value), 3)
        verdicts[name] = {"target": f"{op} {goal}", "measured": value, "met": met, "ratio": ratio}
    return verdicts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = RESULTS / args.name
    started = time.time()
    report: dict[str, Any] = {
        "name": args.name,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": machine_info(),
        "parameters": {
            "n": args.n,
            "concurrency": args.concurrency,
            "repeats": args.repeats,
            "workers": args.workers,
            "benchmarks": args.only,
            "cost_n": args.cost_n,
            "function_env": FUNCTION_ENV,
            "qstash_time_scale": StackConfig().qstash_time_scale,
        },
        "settings": [],
    }
    if "b4" in args.only:
        report["b4"] = run_cost(args.cost_n)
    if "b5" in args.only:
        from benchmarks.cold_start import b5_cold_start

        print("[bench] B5: building the Lambda artifact, timing imports", flush=True)
        report["b5"] = b5_cold_start(runs=3 if args.quick else 5)
    for workers in args.workers if any(b in LOAD_BENCHES for b in args.only) else []:
        setting = run_setting(args, workers, out)
        setting["targets"] = targets(setting)
        report["settings"].append(setting)
    report["seconds"] = round(time.time() - started, 1)
    if len(report["settings"]) > 1:
        report["ratios"] = ratios(report["settings"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.name}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    from benchmarks.table import print_report

    print_report(report)
    print(f"[bench] wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


def ratios(settings: list[dict[str, Any]]) -> dict[str, Any]:
    """Last worker setting against the first, measured in this one run."""
    first, last = settings[0], settings[-1]

    def ratio(bench: str, key: str) -> float | None:
        a = first.get(bench, {}).get("median", {}).get(key)
        b = last.get(bench, {}).get("median", {}).get(key)
        return round(b / a, 3) if a and b else None

    label = f"w{last['workers']}_over_w{first['workers']}"
    return {
        label: {
            "b1_creates_per_s": ratio("b1", "creates_per_s"),
            "b1_p99_ms": ratio("b1", "p99_ms"),
            "b2_seconds": ratio("b2", "seconds_to_settled"),
            "b2_peak_rss_mb": ratio("b2", "peak_rss_mb"),
        }
    }


if __name__ == "__main__":
    raise SystemExit(main())

"""The console summary of a benchmark report."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _fmt(value: Any) -> str:
    return "-" if value is None else str(value)


def print_report(report: dict[str, Any]) -> None:
    console = Console()
    machine = report["machine"]
    console.print(
        f"{machine['cpu_count']} x {machine['cpu_model']}, {machine['memory_gb']} GB, "
        f"Python {machine['python']}, commit {str(machine['git_commit'])[:10]}"
    )
    table = Table(title=f"benchmarks ({report['name']}, medians)", title_justify="left")
    for column in ("workers", "busy before", "B1 creates/s", "B1 p50/p95/p99 ms"):
        table.add_column(column)
    for column in (
        "B2 s",
        "B2 pay/s",
        "B2 violations",
        "peak RSS MB",
        "B3 10 payments",
        "B3 replay p50/p99",
    ):
        table.add_column(column)
    for setting in report["settings"]:
        b1 = setting.get("b1", {}).get("median", {})
        b2 = setting.get("b2", {}).get("median", {})
        b3 = setting.get("b3", {}).get("median", {})
        table.add_row(
            str(setting["workers"]),
            f"{setting['machine_busy_before']:.0%}",
            _fmt(b1.get("creates_per_s")),
            f"{_fmt(b1.get('p50_ms'))}/{_fmt(b1.get('p95_ms'))}/{_fmt(b1.get('p99_ms'))}",
            _fmt(b2.get("seconds_to_settled")),
            _fmt(b2.get("payments_per_s")),
            _fmt(b2.get("violations")),
            _fmt(b2.get("peak_rss_mb")),
            _fmt(b3.get("exactly_10_payments")),
            f"{_fmt(b3.get('replay_p50_ms'))}/{_fmt(b3.get('replay_p99_ms'))}",
        )
    if report["settings"]:
        console.print(table)
    if "b4" in report:
        print_cost(console, report["b4"])
    if "b5" in report:
        print_imports(console, report["b5"])
    for setting in report["settings"]:
        for name, verdict in setting.get("targets", {}).items():
            mark = {True: "[green]met[/]", False: "[red]missed[/]", None: "-"}[verdict["met"]]
            console.print(
                f"  w{setting['workers']} {name}: {verdict['measured']} "
                f"(target {verdict['target']}) {mark}"
            )


B4_SERVICES = (
    ("qstash_messages", "QStash messages"),
    ("upstash_commands", "Upstash commands"),
    ("mongo_operations", "Mongo operations"),
)


def cost_rows(b4: dict[str, Any]) -> list[list[str]]:
    """One row per lifecycle (per payment) and per deployment's idle hour."""
    rows = []
    for name, result in b4["lifecycles"].items():
        per = result["per_payment"]
        rows.append([f"{name} (per payment)", *(_fmt(per[key]) for key, _ in B4_SERVICES)])
    for deployment in ("aws", "vercel"):
        hour = b4["idle_hour"].get(deployment)
        if hour:
            rows.append([f"idle hour, {deployment}", *(_fmt(hour[key]) for key, _ in B4_SERVICES)])
    return rows


def capacity_lines(b4: dict[str, Any]) -> list[str]:
    lines = []
    for deployment, cap in b4.get("free_tier_capacity", {}).items():
        lines.append(
            f"{deployment}: {cap['payments_per_day_qstash_free']} successful payments/day within "
            f"QStash's free 1,000 messages/day, {cap['payments_per_day_upstash_free']} within "
            f"Upstash's free 500,000 commands/month (idle: {cap['idle_per_day']['qstash_messages']}"
            f" QStash messages, {cap['idle_per_day']['upstash_commands']} Upstash commands a "
            f"day); {cap['limit_hit_first']} is hit first"
        )
    return lines


def print_cost(console: Console, b4: dict[str, Any]) -> None:
    table = Table(title=f"B4 cost (counted, N={b4['n']} per lifecycle)", title_justify="left")
    table.add_column("lifecycle")
    for _, label in B4_SERVICES:
        table.add_column(label, justify="right")
    for row in cost_rows(b4):
        table.add_row(*row)
    console.print(table)
    for line in capacity_lines(b4):
        console.print("  " + line)


def cost_markdown(b4: dict[str, Any]) -> str:
    lines = [
        "| lifecycle | " + " | ".join(label for _, label in B4_SERVICES) + " |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in cost_rows(b4)]
    return "\n".join([*lines, "", *(f"- {line}" for line in capacity_lines(b4))])


def _cpu(measured: dict[str, Any]) -> str:
    # CPU time of the import (reports before 2026-12-03 have none).
    return _fmt(measured["cpu_median_ms"]) if "cpu_median_ms" in measured else "-"


def import_rows(b5: dict[str, Any]) -> list[list[str]]:
    return [
        [
            module,
            _fmt(m["with_bytecode"]["median_ms"]),
            _cpu(m["with_bytecode"]),
            _fmt(m["without_bytecode"]["median_ms"]),
            _cpu(m["without_bytecode"]),
            "yes" if m["with_bytecode"]["boto3_imported"] else "no",
        ]
        for module, m in b5["modules"].items()
    ]


B5_COLUMNS = (
    "function module",
    "import ms, bytecode",
    "CPU ms",
    "import ms, no bytecode",
    "CPU ms",
    "boto3",
)


def print_imports(console: Console, b5: dict[str, Any]) -> None:
    deps = "with" if b5["artifact_has_dependencies"] else "WITHOUT (venv packages used)"
    table = Table(
        title=f"B5 cold start: import from the artifact ({deps} dependencies), "
        f"median of {b5['runs']}",
        title_justify="left",
    )
    for column in B5_COLUMNS:
        table.add_column(column)
    for row in import_rows(b5):
        table.add_row(*row)
    console.print(table)
    for module, m in b5["modules"].items():
        first = m["with_bytecode"].get("first_request")
        if first:
            console.print(
                f"{module}: first {first['request']} through Mangum {_fmt(first['median_ms'])} ms"
                f" (import + request {_fmt(first['import_and_request_median_ms'])} ms)"
            )


def imports_markdown(b5: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(B5_COLUMNS) + " |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in import_rows(b5)])


def markdown(report: dict[str, Any]) -> str:
    """The medians as a Markdown table (for docs/performance.md)."""
    machine = report["machine"]
    params = report["parameters"]
    lines = [
        f"Run `{report['name']}` of {report['started_at']}: {machine['cpu_count']} x "
        f"{machine['cpu_model']}, {machine['memory_gb']} GB, Python {machine['python']}, "
        f"commit `{str(machine['git_commit'])[:10]}`; N={params['n']}, concurrency "
        f"{params['concurrency']}, medians of {params['repeats']} repeats.",
        "",
        "| workers | machine busy before | B1 creates/s | B1 p50 / p95 / p99 ms | "
        "B2 s to settled | B2 payments/s | B2 violations | peak stack RSS MB | "
        "B3 exactly 10 | B3 replay p50 / p99 ms | CPU ms / payment (B1, B2) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in report["settings"]:
        b1 = s.get("b1", {}).get("median", {})
        b2 = s.get("b2", {}).get("median", {})
        b3 = s.get("b3", {}).get("median", {})
        lines.append(
            f"| {s['workers']} | {s['machine_busy_before']:.0%} | {_fmt(b1.get('creates_per_s'))} "
            f"| {_fmt(b1.get('p50_ms'))} / {_fmt(b1.get('p95_ms'))} / {_fmt(b1.get('p99_ms'))} "
            f"| {_fmt(b2.get('seconds_to_settled'))} | {_fmt(b2.get('payments_per_s'))} "
            f"| {_fmt(b2.get('violations'))} | {_fmt(b2.get('peak_rss_mb'))} "
            f"| {_fmt(b3.get('exactly_10_payments'))} "
            f"| {_fmt(b3.get('replay_p50_ms'))} / {_fmt(b3.get('replay_p99_ms'))} "
            f"| {_fmt(b1.get('stack_cpu_ms_per_payment'))}, "
            f"{_fmt(b2.get('stack_cpu_ms_per_payment'))} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    loaded = json.loads(Path(sys.argv[1]).read_text())
    if loaded.get("settings"):
        print(markdown(loaded))
    if "b4" in loaded:
        print(cost_markdown(loaded["b4"]))
    if "b5" in loaded:
        print(imports_markdown(loaded["b5"]))

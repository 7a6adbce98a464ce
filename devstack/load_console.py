"""`paygate load` output: the summary table and the violations, with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from devstack.load import LoadReport

MAX_SHOWN = 20


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _money(money: dict[str, Any]) -> str:
    refunds = money["refund_requests"]
    parts = [
        "captures " + _counts(money["captures"]),
        "cancels " + _counts(money["cancels"]),
        f"refunds {refunds['accepted']}/{refunds['keys']} accepted, {refunds['replays']} "
        f"replayed, {refunds['over_limit_refused']} over the limit refused",
        "disputes answered " + _counts(money["dispute_answers"]),
    ]
    amounts = money.get("amounts")
    if amounts:
        parts.append(f"captured {amounts['captured']}, refunded {amounts['refunded']}")
    if money["errors"]:
        parts.append(f"{money['errors']} requests failed")
    return "; ".join(parts)


def _counts(counts: dict[str, int]) -> str:
    if not counts:
        return "0"
    return (
        f"{sum(counts.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")"
    )


def render(report: LoadReport, console: Console) -> None:
    summary = report.summary
    requests = summary["requests"]
    table = Table(title=f"load run {report.run_id}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row(
        "requests",
        f"{requests['keys']} keys + {requests['duplicates']} duplicates, "
        f"{requests['http_tries']} HTTP tries, {requests['accepted']} accepted, "
        f"{requests['not_accepted']} not accepted",
    )
    payments = summary.get("payments")
    if payments:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(payments["by_status"].items()))
        rate = payments["success_rate"]
        table.add_row("payments", f"{payments['total']} ({statuses})")
        table.add_row("success rate", "-" if rate is None else f"{rate:.1%}")
        table.add_row(
            "retries", f"{payments['retries_total']} (avg {payments['avg_retries'] or 0:.3f})"
        )
        life = payments["create_to_final"]
        table.add_row("create → final", f"p50 {_ms(life['p50_ms'])}, p99 {_ms(life['p99_ms'])}")
    for kind, counts in (summary.get("objects") or {}).items():
        if kind != "payments" and counts:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            table.add_row(kind, f"{sum(counts.values())} ({shown})")
    money = summary.get("money") or {}
    if money.get("planned"):
        table.add_row("money moves", _money(money))
    webhooks = summary.get("webhooks")
    if webhooks:
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(webhooks["by_webhook_status"].items()))
        table.add_row(
            "webhooks",
            f"{outcome}; {webhooks['receptions']} received, "
            f"{webhooks['redeliveries']} redeliveries",
        )
    if webhooks and webhooks.get("received_by_event_type"):
        received = webhooks["received_by_event_type"]
        shown = ", ".join(f"{k} {v}" for k, v in sorted(received.items(), key=str))
        table.add_row("events taken", shown)
    for name, values in summary["latency"].items():
        if values["count"]:
            table.add_row(
                f"latency {name}",
                f"n={values['count']} p50 {_ms(values['p50_ms'])} p95 {_ms(values['p95_ms'])} "
                f"p99 {_ms(values['p99_ms'])}",
            )
    through = summary["throughput"]
    table.add_row(
        "throughput",
        f"{through['accepted_per_s']} creates/s over {through['send_seconds']} s; "
        f"all settled after {through['settle_seconds']} s "
        f"({through['payments_per_s_end_to_end']} payments/s)",
    )
    console.print(table)
    if not report.settled:
        console.print("[bold red]the run did not settle before the timeout[/]")
    if report.violations:
        console.print(f"[bold red]{len(report.violations)} invariant violations[/]")
        for rule, count in sorted(report.violation_counts().items()):
            console.print(f"  [red]{rule}[/]: {count}")
        for violation in report.violations[:MAX_SHOWN]:
            console.print(
                f"  - {violation.rule} {violation.payment_id or violation.key}: {violation.message}"
            )
    elif report.settled:
        console.print("[bold green]all invariants hold[/]")

"""The `paygate` command line. Thin on purpose: each command's logic lives in its own module."""

from __future__ import annotations

from pathlib import Path

import typer

from devstack.load_mix import MoneyShares
from devstack.stack import StackConfig

app = typer.Typer(
    name="paygate",
    help="paygate local tools: run the dev stack and friends.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_DEFAULTS = StackConfig()
_MONEY = MoneyShares()


@app.callback()
def main() -> None:
    """paygate local tools."""


@app.command()
def dev(
    port: int = typer.Option(_DEFAULTS.functions_port, help="Functions, API and dashboard."),
    qstash_port: int = typer.Option(_DEFAULTS.qstash_port, help="QStash emulator."),
    upstash_port: int = typer.Option(_DEFAULTS.upstash_port, help="Upstash Redis REST bridge."),
    redis_port: int = typer.Option(_DEFAULTS.redis_port, help="redis-server."),
    mongo_port: int = typer.Option(_DEFAULTS.mongo_port, help="Mongo-wire server (nx-27017)."),
    receiver_port: int = typer.Option(_DEFAULTS.receiver_port, help="Demo merchant receiver."),
    s3_port: int = typer.Option(_DEFAULTS.s3_port, help="S3 stand-in (moto) for settlements."),
    host: str = typer.Option(_DEFAULTS.host, help="Address every service binds to."),
    data_dir: Path = typer.Option(_DEFAULTS.data_dir, help="Where the services keep data."),
    fresh: bool = typer.Option(False, "--fresh", help="Wipe the data directory first."),
    receiver_failure_rate: float = typer.Option(
        _DEFAULTS.receiver_failure_rate,
        min=0.0,
        max=1.0,
        help="Share of webhook deliveries the demo merchant answers with 500.",
    ),
    qstash_time_scale: float = typer.Option(
        _DEFAULTS.qstash_time_scale,
        min=0.0,
        help="Multiplier on QStash retry backoff (1.0 = real backoff; explicit delays unscaled).",
    ),
) -> None:
    """Run the whole local stack (databases, emulators, receiver, functions, dashboard)."""
    from devstack.dev import run_dev

    cfg = StackConfig(
        data_dir=data_dir.resolve(),
        host=host,
        functions_port=port,
        qstash_port=qstash_port,
        upstash_port=upstash_port,
        redis_port=redis_port,
        mongo_port=mongo_port,
        receiver_port=receiver_port,
        s3_port=s3_port,
        receiver_failure_rate=receiver_failure_rate,
        qstash_time_scale=qstash_time_scale,
    )
    raise typer.Exit(run_dev(cfg, fresh=fresh))


@app.command()
def trace(
    payment_id: str = typer.Argument(..., help="The payment to follow (pay_…)."),
    data_dir: Path = typer.Option(_DEFAULTS.data_dir, help="The dev stack's data directory."),
    api_url: str = typer.Option(_DEFAULTS.functions_url, help="Where to read its events."),
    api_key: str = typer.Option("sk_test_demo", help="The payment's merchant API key."),
    mongodb_uri: str = typer.Option(
        _DEFAULTS.mongodb_uri, help="Read from Mongo when the API does not answer."
    ),
    no_api: bool = typer.Option(False, "--no-api", help="Skip the API, read Mongo directly."),
) -> None:
    """Print one payment's path: its log lines across functions, events and webhooks."""
    from devstack.trace import build_trace, render

    found = build_trace(
        payment_id,
        data_dir.resolve(),
        api_url=None if no_api else api_url,
        api_key=api_key,
        mongodb_uri=mongodb_uri,
    )
    typer.echo(render(found))
    if found.payment is None and not found.lines:
        raise typer.Exit(1)


@app.command()
def load(
    n: int = typer.Option(2000, "-n", "--payments", min=1, help="Payments (distinct keys)."),
    concurrency: int = typer.Option(64, "-c", "--concurrency", min=1, help="Requests in flight."),
    base_url: str = typer.Option(_DEFAULTS.functions_url, help="The paygate API."),
    api_key: str = typer.Option("sk_test_demo", help="Merchant API key."),
    receiver_url: str = typer.Option(
        _DEFAULTS.receiver_url, help="Demo receiver ('' = do not check webhooks)."
    ),
    mongodb_uri: str = typer.Option(
        _DEFAULTS.mongodb_uri, help="Mongo to read the trail from ('' = API only)."
    ),
    mix: str = typer.Option("", help="Weights, e.g. 'success=55,timeout=15' (default mix)."),
    duplicates: float = typer.Option(0.05, min=0.0, max=1.0, help="Share of duplicate requests."),
    settle_timeout: float = typer.Option(
        600.0, min=1.0, help="Seconds to wait, after the last create, for everything to settle."
    ),
    seed: int | None = typer.Option(None, help="Seed for the mix and duplicates."),
    json_out: Path | None = typer.Option(None, help="Report file (default .data/load/<run>.json)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
    endpoints: int = typer.Option(
        1, min=1, max=10, help="Webhook endpoints the merchant has (extra ones at the receiver)."
    ),
    captures: float = typer.Option(
        _MONEY.captures,
        min=0.0,
        max=1.0,
        help="Share created with capture_method manual: half captured (some in part), "
        "half canceled.",
    ),
    refunds: float = typer.Option(
        _MONEY.refunds,
        min=0.0,
        max=1.0,
        help="Share of the payments that succeed to get 1 to 3 partial refunds (a quarter of "
        "them on the card whose refunds fail).",
    ),
    disputes: float = typer.Option(
        _MONEY.disputes,
        min=0.0,
        max=1.0,
        help="Share on the dispute card: half the disputes answered with winning evidence, "
        "the others lost (accepted, or other evidence).",
    ),
) -> None:
    """Send N payments, carry out the money movements, wait until everything settles, check
    the invariants, print a summary. `--captures 0 --refunds 0 --disputes 0`: payments only."""
    import asyncio

    from rich.console import Console

    from devstack.load import run_load
    from devstack.load_console import render

    try:
        money = MoneyShares(captures, refunds, disputes)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc

    report = asyncio.run(
        run_load(
            base_url,
            api_key,
            n=n,
            concurrency=concurrency,
            mix=mix or None,
            duplicate_share=duplicates,
            receiver_url=receiver_url or None,
            mongodb_uri=mongodb_uri or None,
            settle_timeout_s=settle_timeout,
            progress=progress,
            seed=seed,
            endpoints=endpoints,
            money=money,
        )
    )
    console = Console()
    render(report, console)
    path = json_out or _DEFAULTS.data_dir / "load" / f"{report.run_id}.json"
    report.write(path)
    console.print(f"report: {path}")
    raise typer.Exit(0 if report.ok else 1)


if __name__ == "__main__":
    app()

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
    simulator: Path | None = typer.Option(
        None,
        help="Simulator settings (the PUT /v1/simulator JSON) in force for the run; the "
        "previous ones are put back at its end.",
    ),
    key_prefix: str | None = typer.Option(
        None,
        help="Idempotency keys <prefix>-<n> instead of load-<run id>-<n>: with --seed and a "
        "seeded --simulator, a fresh stack replays the same run.",
    ),
) -> None:
    """Send N payments, carry out the money movements, wait until everything settles, check
    the invariants, print a summary. `--captures 0 --refunds 0 --disputes 0`: payments only."""
    import asyncio

    from rich.console import Console

    from devstack.load import run_load
    from devstack.load_console import render
    from devstack.load_simulator import read_settings
    from shared.domain.requests import valid_idempotency_key

    try:
        money = MoneyShares(captures, refunds, disputes)
        settings = read_settings(simulator) if simulator is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if key_prefix is not None and not valid_idempotency_key(f"{key_prefix}-{n:06d}"):
        raise typer.BadParameter("--key-prefix: printable ASCII without spaces, keys ≤ 255")

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
            simulator=settings,
            key_prefix=key_prefix,
        )
    )
    console = Console()
    render(report, console)
    path = json_out or _DEFAULTS.data_dir / "load" / f"{report.run_id}.json"
    report.write(path)
    console.print(f"report: {path}")
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def simulate(
    action: str = typer.Argument(..., help="show, set or reset."),
    assignments: list[str] | None = typer.Argument(
        None, help="set: KEY=VALUE changes, e.g. api.error_rate=0.3 seed=7 expires_in=5m."
    ),
    api_url: str = typer.Option(_DEFAULTS.functions_url, help="The paygate API (any)."),
    api_key: str = typer.Option("sk_test_demo", envvar="PAYGATE_API_KEY", help="Merchant API key."),
) -> None:
    """Show, change or reset the merchant's simulator settings (GET/PUT/DELETE /v1/simulator)."""
    from devstack.simulate_cli import SimulateError, run

    try:
        typer.echo(run(action, api_url, api_key, assignments or []))
    except SimulateError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


if __name__ == "__main__":
    app()


@app.command()
def listen(
    forward_to: str = typer.Option(..., "--forward-to", help="Where to POST each event."),
    events: str | None = typer.Option(
        None, "--events", help="Only these event types, comma-separated (default: all)."
    ),
    api_url: str = typer.Option(_DEFAULTS.functions_url, help="The paygate API to follow."),
    api_key: str = typer.Option("sk_test_demo", help="The merchant's API key."),
    since: str | None = typer.Option(
        None, help="Forward events created at or after this ISO-8601 time (default: from now)."
    ),
    state_file: Path | None = typer.Option(
        None, help="Keep the secret and the cursor here, so a restart resumes where it stopped."
    ),
    interval: float = typer.Option(1.0, min=0.05, help="Seconds between polls."),
    lookback: float = typer.Option(
        30.0, min=0.0, help="Seconds each poll looks back for events committed late."
    ),
    tries: int = typer.Option(3, min=1, help="Tries per event when URL does not answer 2xx."),
) -> None:
    """Follow /v1/events and POST each new event to a local URL, signed with listen's secret."""
    from devstack import listen as listening
    from devstack.trigger import RECIPES
    from shared.domain.clock import iso, parse_iso

    types = None
    if events is not None:
        types = frozenset(t.strip() for t in events.split(",") if t.strip())
        unknown = sorted(types - set(RECIPES))
        if unknown or not types:
            raise typer.BadParameter(
                f"unknown event type(s) {', '.join(unknown) or '(none given)'}; "
                f"one of: {', '.join(RECIPES)}",
                param_hint="--events",
            )
    start = None
    if since is not None:
        moment = parse_iso(since)
        if moment is None:
            raise typer.BadParameter("not an ISO-8601 time", param_hint="--since")
        start = iso(moment)
    options = listening.ListenOptions(
        forward_to=forward_to,
        api_url=api_url.rstrip("/"),
        api_key=api_key,
        events=types,
        since=start,
        state_file=state_file,
        interval_s=interval,
        lookback_s=lookback,
        tries=tries,
    )
    raise typer.Exit(listening.run(options))


@app.command()
def trigger(
    event_type: str | None = typer.Argument(None, help="The event type to make happen."),
    show: bool = typer.Option(False, "--list", help="List the event types and exit."),
    api_url: str = typer.Option(_DEFAULTS.functions_url, help="The paygate API."),
    api_key: str = typer.Option("sk_test_demo", help="The merchant's API key."),
    timeout: float = typer.Option(60.0, min=1.0, help="Seconds to wait for each step."),
) -> None:
    """Create, through the public API, whatever sends EVENT_TYPE; print the ids created."""
    from devstack import trigger as triggering

    raise typer.Exit(
        triggering.run(
            event_type, api_url=api_url.rstrip("/"), api_key=api_key, timeout_s=timeout, show=show
        )
    )

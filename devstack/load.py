"""`run_load`: send N payments at concurrency C, wait until all settle, check the invariants.

    report = await run_load("http://127.0.0.1:8000", n=2000, concurrency=64,
                            receiver_url="http://127.0.0.1:8090",
                            mongodb_uri="mongodb://127.0.0.1:27017")
    assert report.ok, report.violations

Every payment carries one `user_id` per run (`load_<run id>`), so the run's payments are
found among any others. A share of requests re-send an earlier key with the same body
(deliberate duplicates: each must replay its original's payment). Requests are retried
through connection errors, 409/429 and 5xx with the same key (`devstack.load_client`), so
this also drives fault tests while processes are killed. `paygate load` is the CLI face.

Money movements (`money=MoneyShares(captures, refunds, disputes)`, default 0.1 / 0.2 / 0.05;
`MoneyShares.none()` for payments only): a share created with `capture_method: manual` and
then captured (some in part) or canceled, a share of those that succeed refunded in part (some
on the card whose refunds fail, every refund with its own key and one key replayed), a share
on the dispute card whose disputes are answered (`devstack.load_mix.plan_money`,
`devstack.load_money`). The merchant's part runs beside the sender, as soon as each payment
allows it; the run has settled once every payment, refund and dispute is final with its last
move's event fanned out (none left `fanout_pending`, with Mongo) and every webhook delivery
settled, within `settle_timeout_s` of the last create.

`endpoints=N` gives the merchant N webhook endpoints for every event the run sends, all aimed
at the demo receiver (the ones the run adds are registered with the receiver, so their
signatures verify, and deleted afterwards); the checker then demands a settled delivery of
each event for every endpoint subscribed to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from devstack.invariants import SentPayment, Violation, check_invariants
from devstack.invariants_webhooks import Endpoints
from devstack.load_client import Timings, api_client, send_until_accepted
from devstack.load_collect import ApiSource, Collected, MongoSource, collect
from devstack.load_mix import KINDS, MoneyShares, parse_mix, pick_kinds, plan_money, request_body
from devstack.load_money import MoneyDriver, stop
from devstack.load_simulator import Chaos, applied
from devstack.load_stats import summarise
from shared.domain.webhooks import DEFAULT_EVENT_TYPES

# A poll costs nx-27017 a scan of the payments plus decoding every unsettled one (~30 ms +
# 0.15 ms each with 12k payments stored): poll seldom while many are unsettled, often near
# the end, so the measurement takes little from the stack it measures.
SETTLE_POLL_S = ((500, 3.0), (100, 1.0), (0, 0.25))
MAX_VIOLATIONS_IN_JSON = 500
RUN_EVENTS: tuple[str, ...] = tuple(DEFAULT_EVENT_TYPES)  # every event a run's objects send
ENDPOINT_CACHE_S = 2.5  # the functions cache a merchant's endpoints for 2 s


def poll_interval(unsettled: int | None) -> float:
    for above, seconds in SETTLE_POLL_S:
        if unsettled is None or unsettled > above:
            return seconds
    return SETTLE_POLL_S[-1][1]


ProgressHook = Callable[[str, int, int], None]  # (phase "send"|"money"|"settle", done, total)


@dataclass
class LoadReport:
    run_id: str
    config: dict[str, Any]
    sent: list[SentPayment]
    violations: list[Violation]
    summary: dict[str, Any]
    settled: bool
    data: Collected | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.settled and not self.violations

    def violation_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for violation in self.violations:
            counts[violation.rule] = counts.get(violation.rule, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "settled": self.settled,
            "config": self.config,
            "summary": self.summary,
            "violation_counts": self.violation_counts(),
            "violations": [v.to_dict() for v in self.violations[:MAX_VIOLATIONS_IN_JSON]],
            "not_accepted_keys": sorted({s.key for s in self.sent if not s.accepted}),
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")


def plan_requests(
    n: int,
    mix: dict[str, float],
    duplicate_share: float,
    concurrency: int,
    rng: random.Random,
    money: MoneyShares | None = None,
    key_prefix: str | None = None,
) -> tuple[str, list[SentPayment]]:
    """The run id and the requests in sending order (duplicates after their original).
    Keys are `load-<run id>-<n>`, or `<key_prefix>-<n>` (the same keys on every stack)."""
    run_id = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(3)
    user_id = f"load_{run_id}"
    prefix = key_prefix or f"load-{run_id}"
    kinds, plans = plan_money(pick_kinds(n, mix, rng), money or MoneyShares.none(), rng)
    originals = [
        SentPayment(
            key=f"{prefix}-{index:06d}",
            kind=kind,
            body=request_body(
                KINDS[kind], user_id, run_id, index, manual=plan is not None and plan.manual
            ),
            money=plan,
        )
        for index, (kind, plan) in enumerate(zip(kinds, plans, strict=True))
    ]
    ordered: list[tuple[float, SentPayment]] = [(float(i), s) for i, s in enumerate(originals)]
    for _ in range(round(n * duplicate_share) if n else 0):
        index = rng.randrange(n)
        source = originals[index]
        duplicate = SentPayment(source.key, source.kind, source.body, duplicate_of=source.key)
        ordered.append((index + 1 + rng.random() * 2 * concurrency, duplicate))
    ordered.sort(key=lambda pair: pair[0])
    return run_id, [item for _, item in ordered]


async def run_load(
    base_url: str,
    api_key: str = "sk_test_demo",
    n: int = 2000,
    concurrency: int = 64,
    mix: dict[str, float] | str | None = None,
    duplicate_share: float = 0.05,
    receiver_url: str | None = None,
    mongodb_uri: str | None = None,
    settle_timeout_s: float = 120.0,
    progress: bool = False,
    *,
    seed: int | None = None,
    accept_timeout_s: float = 60.0,
    mongodb_db: str = "paygate",
    check: bool = True,
    webhooks_expected: bool | None = None,
    on_progress: ProgressHook | None = None,
    endpoints: int = 1,
    money: MoneyShares | None = None,
    simulator: dict[str, Any] | None = None,
    key_prefix: str | None = None,
) -> LoadReport:
    """Send, settle, collect, check. See the module docstring."""
    weights = mix if isinstance(mix, dict) else parse_mix(mix)
    shares = MoneyShares() if money is None else money
    rng = random.Random(seed)
    run_id, plan = plan_requests(
        n, weights, duplicate_share, concurrency, rng, shares, key_prefix=key_prefix
    )
    user_id = f"load_{run_id}"
    config = {
        "base_url": base_url,
        "n": n,
        "concurrency": concurrency,
        "mix": weights,
        "duplicate_share": duplicate_share,
        "requests": len(plan),
        "seed": seed,
        "user_id": user_id,
        "endpoints": endpoints,
        "money": {
            "captures": shares.captures,
            "refunds": shares.refunds,
            "disputes": shares.disputes,
        },
        "key_prefix": key_prefix,
        "simulator": simulator,
    }
    display = _Display(progress, on_progress)
    timings = Timings.empty()
    async with (
        api_client(base_url, api_key, concurrency + 8) as client,
        applied(client, simulator) as in_force,
    ):
        source: MongoSource | ApiSource = (
            MongoSource(mongodb_uri, mongodb_db) if mongodb_uri else ApiSource(client)
        )
        added: list[str] = []
        driver = MoneyDriver(client, source, plan, rng, concurrency)
        money_task: asyncio.Task[bool] | None = None
        try:
            subscribed, added = await ensure_endpoints(client, receiver_url, endpoints, run_id)
            with display:
                started = time.monotonic()
                money_task = asyncio.create_task(
                    driver.run(lambda done, total: display.update("money", done, total))
                )
                await _send_all(
                    client, plan, concurrency, accept_timeout_s, timings, rng, display, driver
                )
                send_s = time.monotonic() - started
                driver.sending_done = True
                driver.deadline = time.monotonic() + settle_timeout_s
                expected = len({s.payment_id for s in plan if s.accepted})
                settled_at = await _wait_settled(
                    source, user_id, expected, driver, settle_timeout_s, display
                )
                await asyncio.wait_for(money_task, timeout=10 + settle_timeout_s)
            settle_s = settled_at - started if settled_at is not None else None
            data = (
                await collect(source, client, user_id, receiver_url, driver.refunded)
                if check
                else None
            )
        finally:
            if money_task is not None and not money_task.done():
                money_task.cancel()
            await stop(driver)
            await source.close()
            for endpoint_id in added:
                with contextlib.suppress(Exception):
                    await client.delete(f"/v1/webhook_endpoints/{endpoint_id}")
    violations: list[Violation] = []
    if data is not None:
        violations = check_collected(
            plan,
            data,
            webhooks_expected=(receiver_url is not None)
            if webhooks_expected is None
            else webhooks_expected,
            endpoints=subscribed,
            bad_signatures=Chaos.of(in_force).bad_signatures,
        )
    summary = summarise(plan, timings, data, send_s, settle_s)
    return LoadReport(run_id, config, plan, violations, summary, settled_at is not None, data)


async def ensure_endpoints(
    client: Any, receiver_url: str | None, wanted: int, run_id: str
) -> tuple[dict[str, int] | None, list[str]]:
    """Give the merchant `wanted` endpoints subscribed to every event of the run (adding ones
    aimed at the receiver); returns how many subscribe to each event type (None: cannot
    tell) and the ids added."""
    response = await client.get("/v1/webhook_endpoints")
    if response.status_code != 200:
        return None, []
    listed = [e for e in response.json()["data"] if e.get("status", "enabled") == "enabled"]
    complete = [e for e in listed if set(RUN_EVENTS) <= set(e["enabled_events"])]
    missing = wanted - len(complete)
    added: list[str] = []
    if missing > 0:
        if not receiver_url:
            raise ValueError("more endpoints need the demo receiver (receiver_url)")
        secrets_added = []
        for index in range(missing):
            created = await client.post(
                "/v1/webhook_endpoints",
                json={
                    "url": f"{receiver_url.rstrip('/')}/webhooks?endpoint={run_id}-{index}",
                    "enabled_events": list(RUN_EVENTS),
                    "description": f"load run {run_id}",
                },
            )
            created.raise_for_status()
            added.append(created.json()["id"])
            secrets_added.append(created.json()["secret"])
        async with httpx.AsyncClient(base_url=receiver_url, timeout=10) as receiver:
            answer = await receiver.post("/control", json={"add_secrets": secrets_added})
            answer.raise_for_status()
        await asyncio.sleep(ENDPOINT_CACHE_S)
    counts = {
        event: sum(1 for e in listed if event in e["enabled_events"]) + len(added)
        for event in RUN_EVENTS
    }
    return counts, added


async def _send_all(
    client: Any,
    plan: list[SentPayment],
    concurrency: int,
    accept_timeout_s: float,
    timings: Timings,
    rng: random.Random,
    display: _Display,
    driver: MoneyDriver | None = None,
) -> None:
    accepted = {s.key: asyncio.Event() for s in plan if s.duplicate_of is None}
    queue = iter(plan)
    done = 0

    async def worker() -> None:
        nonlocal done
        for item in queue:
            deadline = time.monotonic() + accept_timeout_s
            if item.duplicate_of is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(accepted[item.duplicate_of].wait(), accept_timeout_s)
            await send_until_accepted(client, item, deadline, timings, rng)
            if item.accepted and item.duplicate_of is None:
                accepted[item.key].set()
                if driver is not None:
                    driver.on_accepted(item)
            done += 1
            display.update("send", done, len(plan))

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))


def check_collected(
    sent: list[SentPayment],
    data: Collected,
    *,
    webhooks_expected: bool = True,
    endpoints: Endpoints = None,
    bad_signatures: bool = False,
) -> list[Violation]:
    """The invariants over what `collect` gathered after a run (`sent`: the run's requests)."""
    return check_invariants(
        sent,
        data.payments,
        data.events,
        data.deliveries,
        data.receiver_records,
        webhooks_expected=webhooks_expected,
        api_payments=data.api_payments,
        endpoints=endpoints,
        refunds=data.refunds,
        disputes=data.disputes,
        object_trails=data.object_events,
        api_refunds=data.api_refunds,
        bad_signatures=bad_signatures,
        stored_events=data.stored_events,
    )


async def _unsettled(
    source: MongoSource | ApiSource, user_id: str, expected: int, driver: MoneyDriver
) -> int:
    """How much is left: payments not final (or webhooks pending), plans not carried out,
    then refunds, disputes and webhook deliveries of the planned payments still open."""
    state = await source.progress(user_id)
    if state.unsettled:
        return state.unsettled
    if (state.total or 0) < expected:
        return expected - (state.total or 0)
    waiting = len(driver.open_plans) + len(driver.tasks)
    if waiting:
        return waiting
    planned = [str(s.payment_id) for s in driver.items if s.accepted]
    return await source.money_open(planned) if planned else 0


async def _wait_settled(
    source: MongoSource | ApiSource,
    user_id: str,
    expected: int,
    driver: MoneyDriver,
    timeout_s: float,
    display: _Display,
) -> float | None:
    """The monotonic time everything was final with webhooks settled; None on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            unsettled: int | None = await _unsettled(source, user_id, expected, driver)
        except Exception:  # a database or API being restarted by a fault test
            unsettled = None
        if unsettled is not None:
            display.update("settle", max(0, expected - unsettled), expected)
            if unsettled == 0:
                return time.monotonic()
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(poll_interval(unsettled))


class _Display:
    """Rich progress bars (sending, settling) and/or a callback; silent when neither."""

    def __init__(self, show: bool, hook: ProgressHook | None) -> None:
        self.hook = hook
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )

    def __enter__(self) -> _Display:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, phase: str, done: int, total: int) -> None:
        if self.hook is not None:
            self.hook(phase, done, total)
        if self.progress is None:
            return
        if phase not in self.tasks:
            label = {"send": "sending ", "money": "money   "}.get(phase, "settling")
            self.tasks[phase] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[phase], completed=done, total=total)

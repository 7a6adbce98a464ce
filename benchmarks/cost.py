"""B4: what each lifecycle and an idle hour spend in calls the clouds bill, counted.

    python -m benchmarks.client b4 '{"base_url": ..., "qstash_url": ..., ..., "n": 20}'

Counted, not estimated: QStash messages by the emulator (`/_emulator/stats`: messages
published, schedule fires, callbacks and every retry, as QStash bills them), Upstash commands
by the REST emulator (`/_emulator/stats`: every command, pipelines included) and Mongo
operations by a pymongo `CommandListener` in the functions host (`PAYGATE_COUNT_MONGO_OPS`,
`/dev/mongo_ops`). The stack must be quiet: one function worker, no schedule of its own.

Each lifecycle runs `n` payments through the public API, waits until everything they caused
is over (payments final, webhooks settled, no QStash message left, delayed ones included),
and divides the difference of the counters by `n`. The idle hour runs every job of the
production schedules (`benchmarks/schedules.py`) as often as it fires in an hour, each fire
delivered through QStash like a QStash schedule's (a daily job: one run, divided by 24).
The progress polls go straight to Mongo from this process, so they are not counted.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from qstash import AsyncQStash

from benchmarks.schedules import Scheduled, fires_per_hour, production_schedules
from devstack.load_client import api_client
from devstack.load_collect import MongoSource

QUIET_POLLS = 3
POLL_S = 0.2
SETTLE_TIMEOUT_S = 300.0
QSTASH_FREE_PER_DAY = 1_000
UPSTASH_FREE_PER_MONTH = 500_000
DAYS_PER_MONTH = 30
SERVICES = ("qstash_messages", "upstash_commands", "mongo_operations")


@dataclass(frozen=True)
class Endpoints:
    base_url: str
    qstash_url: str
    qstash_token: str
    upstash_url: str
    upstash_token: str
    mongodb_uri: str
    api_key: str = "sk_test_demo"


@dataclass(frozen=True)
class Lifecycle:
    name: str
    body: dict[str, Any]
    follow_up: str | None = None  # "capture" once REQUIRES_CAPTURE, "refund" once SUCCESS


LIFECYCLES = (
    Lifecycle("success", {"scenario": "success"}),
    Lifecycle("timeout_x3", {"scenario": "timeout"}),
    Lifecycle("decline", {"scenario": "hard_failure"}),
    Lifecycle("manual_capture", {"scenario": "success", "capture_method": "manual"}, "capture"),
    Lifecycle("refund", {"scenario": "success"}, "refund"),
)


async def counters(ep: Endpoints, http: httpx.AsyncClient) -> dict[str, Any]:
    """The three counters now (and the QStash queue depth)."""
    qstash = await http.get(
        f"{ep.qstash_url}/_emulator/stats", headers={"Authorization": f"Bearer {ep.qstash_token}"}
    )
    upstash = await http.get(
        f"{ep.upstash_url}/_emulator/stats",
        headers={"Authorization": f"Bearer {ep.upstash_token}"},
    )
    mongo = await http.get(f"{ep.base_url}/dev/mongo_ops")
    for response in (qstash, upstash, mongo):
        response.raise_for_status()
    q, u, m = qstash.json(), upstash.json(), mongo.json()
    return {
        "qstash_messages": q["billed_messages"],
        "upstash_commands": u["commands"],
        "mongo_operations": m["operations"],
        "qstash_pending": q["pending"],
        "qstash": q,
        "mongo_by_command": m["by_command"],
        "mongo_by_target": m["by_target"],
    }


def spent(before: dict[str, Any], after: dict[str, Any], per: float) -> dict[str, Any]:
    used: dict[str, Any] = {s: round((after[s] - before[s]) / per, 2) for s in SERVICES}
    used["qstash_detail"] = {
        k: round((v - before["qstash"].get(k, 0)) / per, 2)
        for k, v in after["qstash"].items()
        if k != "pending"
    }
    for key in ("mongo_by_command", "mongo_by_target"):
        used[key] = _per_name(before[key], after[key], per)
    return used


def _per_name(before: dict[str, int], after: dict[str, int], per: float) -> dict[str, float]:
    """What each named counter grew by, per payment (the unchanged ones left out)."""
    return {
        name: round((after.get(name, 0) - before.get(name, 0)) / per, 2)
        for name in sorted(set(before) | set(after))
        if after.get(name, 0) != before.get(name, 0)
    }


async def wait_quiet(
    ep: Endpoints, http: httpx.AsyncClient, done: Callable[[], Awaitable[bool]]
) -> None:
    """Until `done()` and no QStash message is due or in flight, a few polls in a row."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    quiet = 0
    while quiet < QUIET_POLLS:
        if time.monotonic() > deadline:
            raise TimeoutError("the stack did not go quiet")
        state = await counters(ep, http)
        quiet = quiet + 1 if state["qstash_pending"] == 0 and await done() else 0
        await asyncio.sleep(POLL_S)


async def _post(api: httpx.AsyncClient, path: str, body: dict[str, Any], key: str) -> Any:
    response = await api.post(path, json=body, headers={"Idempotency-Key": key})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
    return response.json()


async def _when(source: MongoSource, ids: list[str], status: str) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        states = await source.states(ids)
        if len(states) == len(ids) and all(s.get("status") == status for s in states.values()):
            return
        await asyncio.sleep(POLL_S)
    raise TimeoutError(f"payments did not reach {status}")


async def run_lifecycle(
    ep: Endpoints, api: httpx.AsyncClient, http: httpx.AsyncClient, life: Lifecycle, n: int
) -> dict[str, Any]:
    user = f"b4_{life.name}_{secrets.token_hex(3)}"
    source = MongoSource(ep.mongodb_uri)
    try:
        before = await counters(ep, http)
        ids = []
        for i in range(n):
            body = {
                "amount": 1234,
                "currency": "USD",
                "payment_method": {"type": "card", "card_number": "4242424242424242"},
                "user_id": user,
                **life.body,
            }
            ids.append((await _post(api, "/v1/payments", body, f"{user}-{i}"))["id"])
        if life.follow_up == "capture":
            await _when(source, ids, "REQUIRES_CAPTURE")
            for pid in ids:
                await _post(api, f"/v1/payments/{pid}/capture", {}, f"{pid}-capture")
        elif life.follow_up == "refund":
            await _when(source, ids, "SUCCESS")
            for pid in ids:
                await _post(api, "/v1/refunds", {"payment": pid}, f"{pid}-refund")

        async def settled() -> bool:
            progress = await source.progress(user)
            return (
                (progress.total or 0) >= n
                and progress.unsettled == 0
                and await source.money_open(ids) == 0
            )

        await wait_quiet(ep, http, settled)
        after = await counters(ep, http)
        states = await source.states(ids)
    finally:
        await source.close()
    statuses: dict[str, int] = {}
    for state in states.values():
        statuses[str(state.get("status"))] = statuses.get(str(state.get("status")), 0) + 1
    return {"payments": n, "final_statuses": statuses, "per_payment": spent(before, after, n)}


async def _nothing_else() -> bool:
    return True


async def run_job(ep: Endpoints, http: httpx.AsyncClient, path: str, fires: int) -> dict[str, Any]:
    """`fires` deliveries of a scheduled job through QStash, one after the other."""
    qstash = AsyncQStash(ep.qstash_token, base_url=ep.qstash_url)
    before = await counters(ep, http)
    for _ in range(fires):
        await qstash.message.publish_json(url=ep.base_url + path, body={}, retries=0)
        await wait_quiet(ep, http, _nothing_else)
    after = await counters(ep, http)
    return spent(before, after, 1)


async def idle_hour(
    ep: Endpoints, http: httpx.AsyncClient, schedules: list[Scheduled]
) -> dict[str, Any]:
    """An hour of the production schedules on an idle stack, per deployment."""
    rates: dict[str, dict[str, float]] = {}
    for s in schedules:
        rates.setdefault(s.deployment, {})[s.path] = fires_per_hour(s.expression)
    paths = sorted({s.path for s in schedules})
    # Each job once per fire of its most frequent schedule in the hour (a daily job: once,
    # divided by its share of the hour below).
    runs: dict[str, dict[str, Any]] = {}
    for path in paths:
        most = max(r.get(path, 0.0) for r in rates.values())
        fires = max(1, round(most))
        used = await run_job(ep, http, path, fires)
        runs[path] = {"fired": fires, "spent": used}
    out: dict[str, Any] = {"jobs": runs, "fires_per_hour": rates}
    for deployment, per_path in rates.items():
        hour = dict.fromkeys(SERVICES, 0.0)
        schedule_messages = 0.0
        for path, per_hour in per_path.items():
            run = runs[path]
            for service in SERVICES:
                hour[service] += run["spent"][service] * per_hour / run["fired"]
            schedule_messages += per_hour
        if deployment == "aws":  # EventBridge calls the Lambda: its fires are no QStash message
            hour["qstash_messages"] -= schedule_messages
        out[deployment] = {k: round(v, 2) for k, v in hour.items()}
    return out


def capacity(lifecycles: dict[str, Any], idle: dict[str, Any]) -> dict[str, Any]:
    """Payments a day within the free tiers, for a successful payment, per deployment."""
    per = lifecycles["success"]["per_payment"]
    out: dict[str, Any] = {}
    for deployment in ("aws", "vercel"):
        if deployment not in idle:
            continue
        idle_day = {k: v * 24 for k, v in idle[deployment].items()}
        qstash_left = QSTASH_FREE_PER_DAY - idle_day["qstash_messages"]
        upstash_left = UPSTASH_FREE_PER_MONTH / DAYS_PER_MONTH - idle_day["upstash_commands"]
        by_qstash = qstash_left / per["qstash_messages"] if per["qstash_messages"] else None
        by_upstash = upstash_left / per["upstash_commands"] if per["upstash_commands"] else None
        limits = {"qstash": by_qstash, "upstash": by_upstash}
        known = {k: v for k, v in limits.items() if v is not None}
        first = min(known, key=lambda k: known[k]) if known else None
        out[deployment] = {
            "idle_per_day": {k: round(v, 1) for k, v in idle_day.items()},
            "payments_per_day_qstash_free": None if by_qstash is None else int(by_qstash),
            "payments_per_day_upstash_free": None if by_upstash is None else int(by_upstash),
            "limit_hit_first": first,
        }
    return out


async def b4_cost(
    base_url: str,
    qstash_url: str,
    qstash_token: str,
    upstash_url: str,
    upstash_token: str,
    mongodb_uri: str,
    n: int = 20,
    lifecycles: list[str] | None = None,
    **_: Any,
) -> dict[str, Any]:
    ep = Endpoints(base_url, qstash_url, qstash_token, upstash_url, upstash_token, mongodb_uri)
    chosen = [life for life in LIFECYCLES if lifecycles is None or life.name in lifecycles]
    async with (
        api_client(base_url, ep.api_key, 8) as api,
        httpx.AsyncClient(timeout=30) as http,
    ):
        # One payment first, uncounted: the process's one-off work (indexes, the demo
        # merchant, the auth cache) is not a payment's cost.
        await run_lifecycle(ep, api, http, LIFECYCLES[0], 1)
        results = {life.name: await run_lifecycle(ep, api, http, life, n) for life in chosen}
        idle = await idle_hour(ep, http, production_schedules())
    report: dict[str, Any] = {"n": n, "lifecycles": results, "idle_hour": idle}
    if "success" in results:
        report["free_tier_capacity"] = capacity(results, idle)
    return report

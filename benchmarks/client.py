"""The benchmark client, run in its own process so its CPU shows apart from the stack's.

    python -m benchmarks.client b1 '{"base_url": ..., "n": 2000, "concurrency": 64}'

prints one JSON object (the measurements) on its last line of stdout.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import secrets
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from benchmarks.cost import b4_cost
from devstack.invariants import SentPayment
from devstack.load import poll_interval, run_load
from devstack.load_client import Timings, api_client, send_until_accepted
from devstack.load_collect import MongoSource
from devstack.load_mix import MoneyShares
from devstack.load_stats import latency

BODY = {
    "amount": 1234,
    "currency": "USD",
    "payment_method": {"type": "card", "card_number": "4242424242424242"},
    "scenario": "success",
}


def _body(user_id: str) -> dict[str, Any]:
    return {**BODY, "user_id": user_id}


async def _settle(mongodb_uri: str, user_id: str, expected: int, timeout_s: float) -> float | None:
    """Seconds until `expected` payments of `user_id` are final with webhooks settled."""
    source = MongoSource(mongodb_uri)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout_s:
            state = await source.progress(user_id)
            if state.unsettled == 0 and (state.total or 0) >= expected:
                return round(time.monotonic() - started, 3)
            await asyncio.sleep(poll_interval(state.unsettled))
        return None
    finally:
        await source.close()


async def b1_ingress(
    base_url: str, n: int, concurrency: int, mongodb_uri: str, **_: Any
) -> dict[str, Any]:
    """N creates with unique keys at concurrency C, one try each: throughput and latency."""
    user_id = "bench_b1_" + secrets.token_hex(4)
    created: list[float] = []
    statuses: dict[str, int] = {}
    keys = iter(range(n))
    async with api_client(base_url, "sk_test_demo", concurrency + 8) as client:
        await client.post("/v1/payments", json=_body(user_id), headers={"Idempotency-Key": user_id})

        async def worker() -> None:
            for index in keys:
                started = time.perf_counter()
                try:
                    response = await client.post(
                        "/v1/payments",
                        json=_body(user_id),
                        headers={"Idempotency-Key": f"{user_id}-{index}"},
                    )
                    code = str(response.status_code)
                except Exception as exc:
                    code = type(exc).__name__
                if code == "201":
                    created.append((time.perf_counter() - started) * 1000)
                statuses[code] = statuses.get(code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    drained = await _settle(mongodb_uri, user_id, len(created) + 1, 600)
    return {
        "requests": n,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "creates_per_s": round(len(created) / elapsed, 1),
        "statuses": statuses,
        "latency": latency(created),
        "backlog_drained_after_s": drained,
    }


async def b2_end_to_end(
    base_url: str, n: int, concurrency: int, mongodb_uri: str, receiver_url: str, **_: Any
) -> dict[str, Any]:
    """The default mix through the whole lifecycle: time until all final, webhooks settled."""
    report = await run_load(
        base_url,
        n=n,
        concurrency=concurrency,
        receiver_url=receiver_url,
        mongodb_uri=mongodb_uri,
        settle_timeout_s=900,
        seed=5,
        money=MoneyShares.none(),  # B2 stays the payment lifecycle, comparable across reports
    )
    through = report.summary["throughput"]
    return {
        "payments": n,
        "concurrency": concurrency,
        "all_settled": report.settled,
        "seconds_to_settled": through["settle_seconds"],
        "payments_per_s": through["payments_per_s_end_to_end"],
        "send_seconds": through["send_seconds"],
        "violations": report.violation_counts(),
        "summary": report.summary,
    }


async def b3_idempotency(
    base_url: str, requests: int, keys: int, mongodb_uri: str, **_: Any
) -> dict[str, Any]:
    """`requests` concurrent creates over `keys` keys: exactly `keys` payments, replay latency."""
    user_id = "bench_b3_" + secrets.token_hex(4)
    body = _body(user_id)
    items = [SentPayment(f"{user_id}-{i % keys}", "success", body) for i in range(requests)]
    timings = Timings.empty()
    rng = random.Random(3)
    async with api_client(base_url, "sk_test_demo", requests + 8) as client:
        deadline = time.monotonic() + 600
        started = time.perf_counter()
        await asyncio.gather(
            *(send_until_accepted(client, item, deadline, timings, rng) for item in items)
        )
        elapsed = time.perf_counter() - started
    ids_per_key: dict[str, set[str | None]] = {}
    for item in items:
        ids_per_key.setdefault(item.key, set()).add(item.payment_id)
    source = MongoSource(mongodb_uri)
    try:
        stored = await source.payments(user_id)
    finally:
        await source.close()
    first: dict[str, int] = {}
    for item in items:
        first[str(item.first_status)] = first.get(str(item.first_status), 0) + 1
    return {
        "requests": requests,
        "keys": keys,
        "seconds": round(elapsed, 3),
        "payments_stored": len(stored),
        "distinct_ids_answered": len({i.payment_id for i in items if i.accepted}),
        "every_key_one_payment": all(
            len(ids) == 1 and None not in ids for ids in ids_per_key.values()
        ),
        "exactly_keys_payments": len(stored) == keys,
        "first_try_status": first,
        "http_tries": sum(i.tries for i in items),
        "latency_first_create": latency(timings.created),
        "latency_replay": latency(timings.replayed),
        "latency_in_use_409": latency(timings.retried),
    }


BENCHES: dict[str, Callable[..., Coroutine[Any, Any, dict[str, Any]]]] = {
    "b1": b1_ingress,
    "b2": b2_end_to_end,
    "b3": b3_idempotency,
    "b4": b4_cost,
}


def main() -> None:
    name, raw = sys.argv[1], sys.argv[2]
    started = time.process_time()
    result = asyncio.run(BENCHES[name](**json.loads(raw)))
    result["client_cpu_s"] = round(time.process_time() - started, 3)
    result["client_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()

"""QStash emulator: the billing counters at `/_emulator/stats` count what QStash would bill."""

from __future__ import annotations

import asyncio
import time

import httpx
from qstash import AsyncQStash

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder, private_qstash, url_of

recorder = helpers.recorder


def _stats(base: str, token: str) -> dict[str, int]:
    response = httpx.get(f"{base}/_emulator/stats", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    stats: dict[str, int] = response.json()
    return stats


async def _until_idle(base: str, token: str, deliveries: int) -> dict[str, int]:
    deadline = time.monotonic() + 30
    while True:
        stats = _stats(base, token)
        if (stats["deliveries"] >= deliveries and stats["pending"] == 0) or (
            time.monotonic() > deadline
        ):
            return stats
        await asyncio.sleep(0.05)


async def test_counters_count_publishes_duplicates_retries_and_callbacks(
    recorder: Recorder, stack_cfg: StackConfig, redis_service: ManagedProcess
) -> None:
    process = private_qstash(stack_cfg, redis_db=9)
    process.start()
    try:
        base, token = url_of(process), stack_cfg.qstash_token
        client = AsyncQStash(token, base_url=base)
        ok = recorder.path("counted")
        for i in range(5):
            await client.message.publish_json(url=recorder.url(ok), body={"i": i})
        await client.message.batch_json(
            [{"url": recorder.url(ok), "body": {"i": i}} for i in range(5, 8)]
        )
        again = await client.message.publish_json(
            url=recorder.url(ok), body={}, deduplication_id="stats-once"
        )
        duplicate = await client.message.publish_json(
            url=recorder.url(ok), body={}, deduplication_id="stats-once"
        )
        assert duplicate.deduplicated and duplicate.message_id == again.message_id
        # Fails twice, then 200: three attempts, two of them billed retries, and a callback each.
        flaky = recorder.on(recorder.path("flaky"), fail_times=2)
        hook = recorder.path("callback")
        await client.message.publish_json(
            url=recorder.url(flaky), body={}, retries=3, callback=recorder.url(hook)
        )
        await recorder.wait_for(hook, 3)
        stats = await _until_idle(base, token, deliveries=9 + 3 + 3)
    finally:
        process.stop()
    assert stats["published"] == 5 + 3 + 1 + 1
    assert stats["deduplicated"] == 1
    assert stats["callbacks"] == 3
    assert stats["deliveries"] == 9 + 3 + 3
    assert stats["redeliveries"] == 2
    assert stats["billed_messages"] == 10 + 3 + 2
    assert stats["pending"] == 0


def test_stats_need_the_token(stack_cfg: StackConfig, qstash_service: ManagedProcess) -> None:
    response = httpx.get(f"{stack_cfg.qstash_url}/_emulator/stats")
    assert response.status_code == 401

"""QStash emulator: bounded parallelism, and no loss or duplicate under a burst of publishes."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from qstash import AsyncQStash

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder, private_qstash, url_of

# fixtures shared by the QStash contract modules
aqstash = helpers.aqstash
recorder = helpers.recorder


async def test_parallelism_bounds_concurrent_deliveries(
    recorder: Recorder, stack_cfg: StackConfig, redis_service: ManagedProcess
) -> None:
    process = private_qstash(stack_cfg, redis_db=6, qstash_parallelism=4)
    process.start()
    try:
        client = AsyncQStash(stack_cfg.qstash_token, base_url=url_of(process))
        path = recorder.on(recorder.path("slow"), delay_s=0.3)
        await client.message.batch_json(
            [{"url": recorder.url(path), "body": {"i": i}} for i in range(16)]
        )
        start = time.monotonic()
        await recorder.wait_for(path, 16)
        assert recorder.max_active[path] == 4
        assert time.monotonic() - start >= 0.8  # 16 x 0.3 s through 4 slots
    finally:
        process.stop()


async def test_burst_is_delivered_exactly_once(recorder: Recorder, aqstash: AsyncQStash) -> None:
    path = recorder.path("burst")
    total = 600
    start = time.monotonic()
    published: list[str] = []
    for chunk in range(0, total, 50):
        results = await asyncio.gather(
            *(
                aqstash.message.publish_json(url=recorder.url(path), body={"i": i})
                for i in range(chunk, chunk + 50)
            )
        )
        published += [r.message_id for r in results]
    publish_s = time.monotonic() - start
    got = await recorder.wait_for(path, total, within=30)
    deliver_s = time.monotonic() - start
    await asyncio.sleep(0.3)
    counts = Counter(r.headers["upstash-message-id"] for r in recorder.received(path))
    assert set(counts) == set(published) and max(counts.values()) == 1
    assert len(got) == total
    print(
        f"\n{total} messages: publish {total / publish_s:.0f}/s, "
        f"all delivered after {deliver_s:.2f}s ({total / deliver_s:.0f}/s)"
    )

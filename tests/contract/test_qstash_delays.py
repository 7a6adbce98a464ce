"""QStash emulator: explicit delays are honoured as given; the time scale shortens backoff only.

QStash has no time scale: `Upstash-Delay: 2s` means two seconds and `Upstash-Not-Before` an
absolute time. The emulator's `--time-scale` (0.01 here) applies to retry backoff alone. The
bounds are one-sided and generous on the late side: "not there at t = 1 s", "there by 6 s".
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from qstash import AsyncQStash

from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder

# fixtures shared by the QStash contract modules
aqstash = helpers.aqstash
recorder = helpers.recorder

LATE_S = 6.0  # by when a 2-3 s delay must have been delivered, however busy the machine
SLACK_S = 0.05  # the recorder's clock reading vs. the emulator's due time, same machine


@pytest.fixture(autouse=True)
def _small_time_scale(stack_cfg: StackConfig) -> None:
    # A scaled delay would arrive within 20 ms: the tests below would all catch it.
    assert stack_cfg.qstash_time_scale <= 0.01


async def sleep_until(at: float) -> None:
    await asyncio.sleep(max(0.0, at - time.time()))


@pytest.mark.parametrize("delay", [2, "2s"])
async def test_delay_is_not_scaled(
    recorder: Recorder, aqstash: AsyncQStash, delay: int | str
) -> None:
    path = recorder.path("delay")
    start = time.time()
    await aqstash.message.publish_json(url=recorder.url(path), body={}, delay=delay)
    await sleep_until(start + 1.0)
    assert recorder.received(path) == []  # 2 s x 0.01 would have come after 20 ms
    [got] = await recorder.wait_for(path, 1, within=LATE_S)
    assert got.at >= start + 2.0 - SLACK_S


async def test_not_before_is_not_scaled(recorder: Recorder, aqstash: AsyncQStash) -> None:
    path = recorder.path("notbefore")
    not_before = int(time.time()) + 3  # unix seconds: 2-3 s from now
    await aqstash.message.publish_json(url=recorder.url(path), body={}, not_before=not_before)
    await sleep_until(not_before - 1.0)
    assert recorder.received(path) == []
    [got] = await recorder.wait_for(path, 1, within=LATE_S)
    assert got.at >= not_before - SLACK_S


async def test_a_delayed_message_still_retries_on_the_scaled_backoff(
    recorder: Recorder, aqstash: AsyncQStash
) -> None:
    path = recorder.on(recorder.path("delayretry"), fail_times=2)
    start = time.time()
    await aqstash.message.publish_json(url=recorder.url(path), body={}, delay=2, retries=3)
    await sleep_until(start + 1.0)
    assert recorder.received(path) == []
    got = await recorder.wait_for(path, 3, within=LATE_S + 3)
    assert [r.retried for r in got] == [0, 1, 2]
    assert got[0].at >= start + 2.0 - SLACK_S  # the delay, as given
    # the default backoff e**(2.5 n) s x 0.01: ~0.12 s then ~1.5 s, not 12 s and 2.5 min
    assert got[1].at - got[0].at < 1.0
    assert got[2].at - got[1].at < 3.0


async def test_callback_delay_is_not_scaled(
    recorder: Recorder, aqstash: AsyncQStash, stack_cfg: StackConfig
) -> None:
    # The SDK has no option for `Upstash-Callback-Delay`; the header is QStash's.
    path, callback = recorder.path("source"), recorder.path("callback")
    start = time.time()
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        response = await client.post(
            f"/v2/publish/{recorder.url(path)}",
            content=b"{}",
            headers={
                "Authorization": f"Bearer {stack_cfg.qstash_token}",
                "Content-Type": "application/json",
                "Upstash-Callback": recorder.url(callback),
                "Upstash-Callback-Delay": "2s",
            },
        )
    assert response.status_code == 201, response.text
    await recorder.wait_for(path, 1)
    await sleep_until(start + 1.0)
    assert recorder.received(callback) == []
    [got] = await recorder.wait_for(callback, 1, within=LATE_S)
    assert got.at >= start + 2.0 - SLACK_S

"""QStash emulator: flow control (`Upstash-Flow-Control-Key`/`-Value`) through the official SDK.

Overlap and starts are counted at a real destination (the recorder), not timed: parallelism
bounds the deliveries in flight per key, rate bounds the starts per period per key, and the
messages held back wait (delivered later, once, not as retries), also across a SIGKILL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from qstash import AsyncQStash
from qstash.message import FlowControl

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder, private_qstash, url_of

# fixtures shared by the QStash contract modules
aqstash = helpers.aqstash
recorder = helpers.recorder


def _key(recorder: Recorder, name: str) -> str:
    return recorder.path(name).strip("/").replace("/", "-")


def _ids(recorder: Recorder, path: str) -> Counter[str]:
    return Counter(r.headers["upstash-message-id"] for r in recorder.received(path))


async def test_parallelism_one_never_overlaps_and_keys_are_independent(
    recorder: Recorder, aqstash: AsyncQStash
) -> None:
    serial = recorder.on(recorder.path("serial"), delay_s=0.2)
    wide = recorder.on(recorder.path("wide"), delay_s=0.4)
    one: FlowControl = {"key": _key(recorder, "one"), "parallelism": 1}
    three: FlowControl = {"key": _key(recorder, "three"), "parallelism": 3}
    results = await aqstash.message.batch_json(
        [{"url": recorder.url(serial), "body": {"i": i}, "flow_control": one} for i in range(6)]
        + [{"url": recorder.url(wide), "body": {"i": i}, "flow_control": three} for i in range(9)]
    )
    await recorder.wait_for(serial, 6, within=20)
    await recorder.wait_for(wide, 9, within=20)
    assert recorder.max_active[serial] == 1
    assert 1 < recorder.max_active[wide] <= 3  # its own key: not serialised behind "one"
    published = {r.message_id for r in results}  # type: ignore[union-attr]
    delivered = _ids(recorder, serial) + _ids(recorder, wide)
    assert set(delivered) == published and max(delivered.values()) == 1
    assert all(r.retried == 0 for r in recorder.received(serial))


async def test_rate_bounds_the_starts_per_period(recorder: Recorder, aqstash: AsyncQStash) -> None:
    path = recorder.path("rate")
    flow: FlowControl = {"key": _key(recorder, "rate"), "rate": 2, "period": 4}
    published = [
        (
            await aqstash.message.publish_json(
                url=recorder.url(path), body={"i": i}, flow_control=flow
            )
        )
        for i in range(6)
    ]
    got = await recorder.wait_for(path, 6, within=30)
    starts = sorted(r.at for r in got)
    # 2 per 4 s window: any 3 consecutive starts span at least one window boundary
    assert all(starts[i + 2] - starts[i] >= 3.0 for i in range(len(starts) - 2))
    assert {p.message_id for p in published} == set(_ids(recorder, path))  # type: ignore[union-attr]
    assert all(r.retried == 0 for r in got)  # held back is not a retry


async def test_waiting_messages_are_pending_and_cancellable(
    recorder: Recorder, aqstash: AsyncQStash
) -> None:
    path = recorder.path("held")
    flow: FlowControl = {"key": _key(recorder, "held"), "rate": 1, "period": "1h"}
    first = await aqstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    second = await aqstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    await recorder.wait_for(path, 1)
    await asyncio.sleep(0.5)
    assert list(_ids(recorder, path)) == [first.message_id]  # type: ignore[union-attr]
    held = await aqstash.message.get(second.message_id)  # type: ignore[union-attr]
    assert held.flow_control is not None
    assert (held.flow_control.key, held.flow_control.rate) == (flow["key"], 1)
    assert held.flow_control.period == 3600
    await aqstash.message.cancel(second.message_id)  # type: ignore[union-attr]
    with pytest.raises(Exception, match="not found"):
        await aqstash.message.get(second.message_id)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "headers",
    [
        {"Upstash-Flow-Control-Value": "parallelism=1"},  # no key
        {"Upstash-Flow-Control-Key": "k"},  # no limit
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "parallelism=0"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "rate=two"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "rate=1, period=8d"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "burst=3"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "rate=1,rate=2"},
    ],
)
async def test_invalid_flow_control_is_rejected_and_stores_nothing(
    headers: dict[str, str], recorder: Recorder, stack_cfg: StackConfig, aqstash: AsyncQStash
) -> None:
    path = recorder.path("bad")
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        response = await client.post(
            f"/v2/publish/{recorder.url(path)}",
            headers={"Authorization": f"Bearer {stack_cfg.qstash_token}", **headers},
            content=b"{}",
        )
    assert response.status_code == 400
    assert "flow" in response.json()["error"].lower()
    await asyncio.sleep(0.3)
    assert recorder.received(path) == []


@pytest.fixture
def crashable(stack_cfg: StackConfig, redis_service: ManagedProcess) -> Iterator[ManagedProcess]:
    process = private_qstash(stack_cfg, redis_db=7)
    process.start()
    yield process
    process.stop()


async def test_flow_control_survives_sigkill(
    recorder: Recorder, crashable: ManagedProcess, stack_cfg: StackConfig
) -> None:
    path = recorder.on(recorder.path("crash"), delay_s=0.5)
    client = AsyncQStash(stack_cfg.qstash_token, base_url=url_of(crashable))
    flow: FlowControl = {"key": _key(recorder, "crash"), "parallelism": 1}
    results = await client.message.batch_json(
        [{"url": recorder.url(path), "body": {"i": i}, "flow_control": flow} for i in range(4)]
    )
    await recorder.wait_for(path, 1)
    crashable.kill9()  # one attempt in flight, three waiting for its slot
    crashable.start()
    got = await recorder.wait_for(path, 5, within=30)  # the cut attempt once more, then 3
    assert recorder.max_active[path] == 1
    assert set(_ids(recorder, path)) == {r.message_id for r in results}  # type: ignore[union-attr]
    await asyncio.sleep(1.0)
    assert len(recorder.received(path)) == len(got) == 5

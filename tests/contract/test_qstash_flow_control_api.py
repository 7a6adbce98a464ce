"""QStash emulator: the flow-control management API (`client.flow_control`) through the SDK.

What a key reports (in flight, waiting, rate window) is read while a real destination (the
recorder) holds the attempts; what pause, pin, unpin and resetRate do is judged by what the
recorder receives and how many attempts overlap there, never by how long anything took.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from qstash import AsyncQStash, QStash
from qstash.errors import QStashError
from qstash.flow_control_api import FlowControlInfo
from qstash.message import FlowControl

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import WAIT_S, Recorder, private_qstash, url_of

# fixtures shared by the QStash contract modules
qstash = helpers.qstash
aqstash = helpers.aqstash
recorder = helpers.recorder

HOLD_S = 1.0  # how long a held-back message is watched for not arriving


def _key(name: str) -> str:
    return f"fcapi-{name}-{uuid.uuid4().hex[:10]}"


def _ids(recorder: Recorder, path: str) -> Counter[str]:
    return Counter(r.headers["upstash-message-id"] for r in recorder.received(path))


async def _until(
    read: Callable[[], Awaitable[FlowControlInfo]],
    holds: Callable[[FlowControlInfo], bool],
    within: float = WAIT_S,
) -> FlowControlInfo:
    """Poll the key's info until `holds` (a hang guard, met as soon as it holds)."""
    deadline = time.monotonic() + within
    info = await read()
    while not holds(info):
        if time.monotonic() > deadline:
            raise AssertionError(f"flow control info never matched: {info}")
        await asyncio.sleep(0.05)
        info = await read()
    return info


def _sync(qstash: QStash, key: str) -> Callable[[], Awaitable[FlowControlInfo]]:
    async def read() -> FlowControlInfo:
        return qstash.flow_control.get(key)

    return read


async def _settled(recorder: Recorder, path: str) -> None:
    """Wait until no attempt is running at `path`, then watch it for HOLD_S more."""
    deadline = time.monotonic() + WAIT_S
    while recorder.active.get(path, 0):
        assert time.monotonic() < deadline, f"{path}: attempts still running"
        await asyncio.sleep(0.02)
    await asyncio.sleep(HOLD_S)


async def test_info_counts_in_flight_and_waiting(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.on(recorder.path("info"), delay_s=2.0)
    key = _key("info")
    flow: FlowControl = {"key": key, "parallelism": 1}
    results = qstash.message.batch_json(
        [{"url": recorder.url(path), "body": {"i": i}, "flow_control": flow} for i in range(3)]
    )
    busy = await _until(
        _sync(qstash, key), lambda i: i.parallelism_count == 1 and i.wait_list_size == 2
    )
    assert (busy.key, busy.parallelism_max) == (key, 1)
    assert not (busy.is_paused or busy.is_pinned_parallelism or busy.is_pinned_rate)
    assert busy.rate_max == 0
    await recorder.wait_for(path, 3)
    idle = await _until(
        _sync(qstash, key), lambda i: i.parallelism_count == 0 and i.wait_list_size == 0
    )
    assert idle.parallelism_max == 1
    assert set(_ids(recorder, path)) == {r.message_id for r in results}  # type: ignore[union-attr]
    assert recorder.max_active[path] == 1


async def test_rate_info_and_reset_rate_lets_the_next_message_start(
    recorder: Recorder, qstash: QStash
) -> None:
    path = recorder.path("reset")
    key = _key("reset")
    flow: FlowControl = {"key": key, "rate": 1, "period": "1h"}
    first = qstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    second = qstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    await recorder.wait_for(path, 1)
    held = await _until(_sync(qstash, key), lambda i: i.wait_list_size == 1)
    assert (held.rate_max, held.rate_count, held.rate_period) == (1, 1, 3600)
    assert held.parallelism_max == 0
    assert abs(held.rate_period_start - time.time()) < 600  # unix seconds, this window's start
    await asyncio.sleep(HOLD_S)
    assert list(_ids(recorder, path)) == [first.message_id]  # type: ignore[union-attr]
    qstash.flow_control.reset_rate(key)
    await recorder.wait_for(path, 2)  # the hour-long window is over: it starts at once
    assert list(_ids(recorder, path)) == [first.message_id, second.message_id]  # type: ignore[union-attr]
    after = await _until(_sync(qstash, key), lambda i: i.wait_list_size == 0)
    assert after.rate_count == 1  # the second message started the new window
    assert after.rate_period_start >= held.rate_period_start


async def test_pause_holds_new_and_waiting_messages_until_resume(
    recorder: Recorder, aqstash: AsyncQStash
) -> None:
    path = recorder.on(recorder.path("pause"), delay_s=1.0)
    key = _key("pause")
    flow: FlowControl = {"key": key, "parallelism": 1}
    results = await aqstash.message.batch_json(
        [{"url": recorder.url(path), "body": {"i": i}, "flow_control": flow} for i in range(3)]
    )
    await recorder.wait_for(path, 1)
    await aqstash.flow_control.pause(key)  # one attempt running, two waiting for its slot
    late = await aqstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    await _settled(recorder, path)
    # the slot is free now: a message published now is held by the pause alone
    idle = await aqstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    await asyncio.sleep(HOLD_S)
    assert len(recorder.received(path)) == 1  # the running attempt finished, nothing followed
    paused = await aqstash.flow_control.get(key)
    assert paused.is_paused
    assert (paused.wait_list_size, paused.parallelism_count) == (4, 0)
    await aqstash.flow_control.resume(key)
    got = await recorder.wait_for(path, 5)
    published = {r.message_id for r in results} | {late.message_id, idle.message_id}  # type: ignore[union-attr]
    assert set(_ids(recorder, path)) == published
    assert all(r.retried == 0 for r in got)  # held by a pause is not a retry
    assert recorder.max_active[path] == 1
    resumed = await aqstash.flow_control.get(key)
    assert not resumed.is_paused
    await asyncio.sleep(HOLD_S)
    assert len(recorder.received(path)) == 5  # each delivered once


async def test_pin_overrides_the_messages_parallelism_and_unpin_restores_it(
    recorder: Recorder, qstash: QStash
) -> None:
    pinned_path = recorder.on(recorder.path("pinned"), delay_s=0.3)
    free_path = recorder.on(recorder.path("unpinned"), delay_s=0.5)
    key = _key("pin")
    flow: FlowControl = {"key": key, "parallelism": 5}
    qstash.flow_control.pin(key, {"parallelism": 1})
    pinned = qstash.flow_control.get(key)
    assert (pinned.is_pinned_parallelism, pinned.is_pinned_rate) == (True, False)
    assert pinned.parallelism_max == 1
    qstash.message.batch_json(
        [{"url": recorder.url(pinned_path), "body": {}, "flow_control": flow} for _ in range(6)]
    )
    await recorder.wait_for(pinned_path, 6)
    assert recorder.max_active[pinned_path] == 1  # the pin, not the messages' 5
    assert qstash.flow_control.get(key).parallelism_max == 1
    qstash.flow_control.unpin(key, {"parallelism": True})
    unpinned = qstash.flow_control.get(key)
    assert not unpinned.is_pinned_parallelism
    assert unpinned.parallelism_max == 5  # the messages' own value again
    qstash.message.batch_json(
        [{"url": recorder.url(free_path), "body": {}, "flow_control": flow} for _ in range(6)]
    )
    await recorder.wait_for(free_path, 6)
    assert 1 < recorder.max_active[free_path] <= 5


async def test_pin_rate_applies_to_messages_without_one(
    recorder: Recorder, aqstash: AsyncQStash
) -> None:
    path = recorder.path("pinrate")
    key = _key("pinrate")
    flow: FlowControl = {"key": key, "parallelism": 10}
    await aqstash.flow_control.pin(key, {"rate": 1, "period": 3600})
    for _ in range(2):
        await aqstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    await recorder.wait_for(path, 1)
    info = await _until(lambda: aqstash.flow_control.get(key), lambda i: i.wait_list_size == 1)
    assert (info.is_pinned_rate, info.rate_max, info.rate_period) == (True, 1, 3600)
    await asyncio.sleep(HOLD_S)
    assert len(recorder.received(path)) == 1
    await aqstash.flow_control.unpin(key, {"rate": True})  # the messages carry no rate
    await recorder.wait_for(path, 2)
    assert not (await aqstash.flow_control.get(key)).is_pinned_rate


def test_unknown_key_is_an_sdk_error(qstash: QStash) -> None:
    with pytest.raises(QStashError, match="404") as raised:
        qstash.flow_control.get(_key("never-used"))
    assert "not found" in str(raised.value)


@pytest.mark.parametrize(
    "query",
    [
        "parallelism=-1",
        "parallelism=0",
        "parallelism=1.5",
        "rate=two",
        "period=-5",
        "period=1h",
        "parallelism=2&rate=x",  # one bad value: the good one is not applied either
        "",
    ],
)
async def test_bad_pin_params_are_400_and_change_nothing(
    query: str, recorder: Recorder, stack_cfg: StackConfig, qstash: QStash
) -> None:
    path = recorder.path("badpin")
    key = _key("badpin")
    flow: FlowControl = {"key": key, "parallelism": 3, "rate": 50, "period": "1h"}
    qstash.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    await recorder.wait_for(path, 1)
    before = await _until(_sync(qstash, key), lambda i: i.parallelism_count == 0)
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        response = await client.post(
            f"/v2/flowControl/{key}/pin?{query}",
            headers={"Authorization": f"Bearer {stack_cfg.qstash_token}"},
        )
    assert response.status_code == 400
    message = response.json()["error"]
    assert message and ("pin" in message or "flow control" in message)
    after = qstash.flow_control.get(key)
    assert after == before


def test_bad_params_through_the_sdk_and_unpin(qstash: QStash) -> None:
    key = _key("badsdk")
    qstash.flow_control.pin(key, {"parallelism": 2})
    with pytest.raises(QStashError, match="400"):
        qstash.flow_control.pin(key, {"parallelism": -3})
    with pytest.raises(QStashError, match="400"):
        qstash.flow_control.pin(key, {"period": 60})  # a period, but the key has no rate
    info = qstash.flow_control.get(key)
    assert (info.parallelism_max, info.is_pinned_parallelism, info.is_pinned_rate) == (
        2,
        True,
        False,
    )


async def test_management_needs_the_token(stack_cfg: StackConfig, qstash: QStash) -> None:
    key = _key("auth")
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        pause = await client.post(f"/v2/flowControl/{key}/pause")
        info = await client.get("/v2/globalParallelism")
    assert (pause.status_code, info.status_code) == (401, 401)
    with pytest.raises(QStashError, match="404"):
        qstash.flow_control.get(key)  # the refused pause created nothing


async def test_list_reports_every_key(
    recorder: Recorder, stack_cfg: StackConfig, qstash: QStash
) -> None:
    keys = [_key("list-a"), _key("list-b")]
    qstash.flow_control.pause(keys[0])
    qstash.flow_control.pin(keys[1], {"parallelism": 4})
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        response = await client.get(
            "/v2/flowControl", headers={"Authorization": f"Bearer {stack_cfg.qstash_token}"}
        )
    assert response.status_code == 200
    listed = {row["flowControlKey"]: row for row in response.json()}
    assert listed[keys[0]]["isPaused"] is True
    assert (listed[keys[1]]["parallelismMax"], listed[keys[1]]["isPinnedParallelism"]) == (4, True)
    for key in keys:
        one = qstash.flow_control.get(key)
        assert (one.key, one.is_paused, one.parallelism_max) == (
            key,
            listed[key]["isPaused"],
            listed[key]["parallelismMax"],
        )


# --- a private emulator: known slots, and a SIGKILL ----------------------------------------


@pytest.fixture
def private(stack_cfg: StackConfig, redis_service: ManagedProcess) -> Iterator[ManagedProcess]:
    process = private_qstash(stack_cfg, redis_db=10, qstash_parallelism=3)
    process.start()
    yield process
    process.stop()


async def test_global_parallelism_reports_slots_and_attempts_running(
    recorder: Recorder, private: ManagedProcess, stack_cfg: StackConfig
) -> None:
    client = AsyncQStash(stack_cfg.qstash_token, base_url=url_of(private))
    idle = await client.flow_control.get_global_parallelism()
    assert (idle.parallelism_max, idle.parallelism_count) == (3, 0)
    path = recorder.on(recorder.path("global"), delay_s=2.0)
    for _ in range(2):
        await client.message.publish_json(url=recorder.url(path), body={})
    await recorder.wait_for(path, 2)
    busy = await client.flow_control.get_global_parallelism()
    assert (busy.parallelism_max, busy.parallelism_count) == (3, 2)
    await _settled(recorder, path)
    done = await client.flow_control.get_global_parallelism()
    assert done.parallelism_count == 0


async def test_pause_and_pin_survive_sigkill(
    recorder: Recorder, private: ManagedProcess, stack_cfg: StackConfig
) -> None:
    client = AsyncQStash(stack_cfg.qstash_token, base_url=url_of(private))
    path = recorder.on(recorder.path("restart"), delay_s=0.5)
    key = _key("restart")
    flow: FlowControl = {"key": key, "parallelism": 5}
    first = await client.message.publish_json(url=recorder.url(path), body={}, flow_control=flow)
    await recorder.wait_for(path, 1)
    await client.flow_control.pause(key)
    await client.flow_control.pin(key, {"parallelism": 1})
    held = await client.message.batch_json(
        [{"url": recorder.url(path), "body": {}, "flow_control": flow} for _ in range(3)]
    )
    await _settled(recorder, path)
    private.kill9()
    private.start()
    info = await client.flow_control.get(key)
    assert (info.is_paused, info.is_pinned_parallelism, info.parallelism_max) == (True, True, 1)
    assert info.wait_list_size == 3
    await asyncio.sleep(HOLD_S)
    assert len(recorder.received(path)) == 1  # still paused after the restart
    await client.flow_control.resume(key)
    await recorder.wait_for(path, 4)
    assert recorder.max_active[path] == 1  # still pinned after the restart
    published = {first.message_id} | {r.message_id for r in held}  # type: ignore[union-attr]
    assert set(_ids(recorder, path)) == published

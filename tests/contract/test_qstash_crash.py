"""QStash emulator: state survives SIGKILL (it is all in Redis); leases redeliver in-flight work."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from qstash import AsyncQStash, Receiver

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder, private_qstash, url_of

# fixtures shared by the QStash contract modules
recorder = helpers.recorder
verifier = helpers.verifier

LEASE_S = 5.0


@pytest.fixture(scope="module")
def crashable(stack_cfg: StackConfig, redis_service: ManagedProcess) -> Iterator[ManagedProcess]:
    process = private_qstash(stack_cfg, redis_db=5)
    process.start()
    yield process
    process.stop()


def client_for(process: ManagedProcess, stack_cfg: StackConfig) -> AsyncQStash:
    return AsyncQStash(stack_cfg.qstash_token, base_url=url_of(process))


async def test_sigkill_during_backoff_loses_nothing(
    recorder: Recorder, crashable: ManagedProcess, stack_cfg: StackConfig, verifier: Receiver
) -> None:
    path = recorder.on(recorder.path(), fail_times=1)
    client = client_for(crashable, stack_cfg)
    # retry delay 300 s x time-scale 0.01 = 3 s of backoff to crash in
    res = await client.message.publish_json(
        url=recorder.url(path), body={"k": "v"}, retries=3, retry_delay="300000"
    )
    [first] = await recorder.wait_for(path, 1)
    await asyncio.sleep(0.3)
    assert (await client.message.get(res.message_id)).message_id == res.message_id

    crashable.kill9()
    crashable.start()

    got = await recorder.wait_for(path, 2, within=30)
    assert got[1].headers["upstash-message-id"] == res.message_id
    assert got[1].retried == 1  # counting on across the restart
    assert got[1].at - first.at >= 2.9
    assert json.loads(got[1].body) == {"k": "v"}
    verifier.verify(
        signature=got[1].headers["upstash-signature"],
        body=got[1].body.decode(),
        url=recorder.url(path),
    )
    await asyncio.sleep(1.5)
    assert len(recorder.received(path)) == 2  # delivered once more, and not again


async def test_sigkill_mid_attempt_redelivers_after_the_lease(
    recorder: Recorder, crashable: ManagedProcess, stack_cfg: StackConfig
) -> None:
    path = recorder.on(recorder.path(), delay_s=2.0)
    client = client_for(crashable, stack_cfg)
    res = await client.message.publish_json(url=recorder.url(path), body={}, retries=3)
    [first] = await recorder.wait_for(path, 1)
    crashable.kill9()  # while the destination is still answering
    crashable.start()

    got = await recorder.wait_for(path, 2, within=LEASE_S + 4)
    assert got[1].headers["upstash-message-id"] == res.message_id
    assert got[1].retried == 0  # the first attempt never finished
    assert got[1].at - first.at >= LEASE_S - 1.0  # only once the lease ran out
    await asyncio.sleep(2.5)
    assert len(recorder.received(path)) == 2


async def test_key_rotation_signs_with_the_new_current_key(
    recorder: Recorder, crashable: ManagedProcess, stack_cfg: StackConfig
) -> None:
    old_current, old_next = stack_cfg.qstash_current_signing_key, stack_cfg.qstash_next_signing_key
    client = client_for(crashable, stack_cfg)
    keys = await client.signing_key.rotate()
    assert keys.current == old_next and keys.next not in (old_current, old_next)
    assert (await client.signing_key.get()).current == old_next

    path = recorder.path()
    await client.message.publish_json(url=recorder.url(path), body={})
    [got] = await recorder.wait_for(path, 1)
    signature, url = got.headers["upstash-signature"], recorder.url(path)
    Receiver(old_current, old_next).verify(signature=signature, body="{}", url=url)
    Receiver(keys.current, keys.next).verify(signature=signature, body="{}", url=url)


async def test_cancel_all(
    recorder: Recorder, crashable: ManagedProcess, stack_cfg: StackConfig
) -> None:
    # on this private instance nobody else's messages are pending
    client = client_for(crashable, stack_cfg)
    path = recorder.path()
    for i in range(3):
        await client.message.publish_json(url=recorder.url(path), body={"i": i}, delay=1)
    assert await client.message.cancel_all() == 3
    await asyncio.sleep(1.3)  # past the 1 s delay
    assert recorder.received(path) == []


async def test_a_lease_is_renewed_while_a_slow_attempt_runs(
    recorder: Recorder, crashable: ManagedProcess, stack_cfg: StackConfig
) -> None:
    # A second emulator on the same Redis db would claim the message if the first one let
    # its 5 s lease lapse during a 6.5 s attempt.
    twin = private_qstash(stack_cfg, redis_db=5, flush=False)
    twin.start()
    try:
        path = recorder.on(recorder.path("slow"), delay_s=6.5)
        client = client_for(crashable, stack_cfg)
        await client.message.publish_json(url=recorder.url(path), body={}, timeout=10)
        await recorder.wait_for(path, 1)
        await asyncio.sleep(LEASE_S + 2.0)
        assert len(recorder.received(path)) == 1
    finally:
        twin.stop()

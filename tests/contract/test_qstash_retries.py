"""QStash emulator: retries, backoff (time-scale 0.01), DLQ, callbacks, timeouts.

Explicit delays (`Upstash-Delay`, `Upstash-Not-Before`) are in test_qstash_delays.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest
from qstash import AsyncQStash, QStash, Receiver
from qstash.dlq import DlqMessage
from qstash.errors import QStashError

from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder

# fixtures shared by the QStash contract modules
aqstash = helpers.aqstash
qstash = helpers.qstash
recorder = helpers.recorder
verifier = helpers.verifier


async def test_retries_back_off_then_succeed(recorder: Recorder, aqstash: AsyncQStash) -> None:
    path = recorder.on(recorder.path(), fail_times=2)
    await aqstash.message.publish_json(url=recorder.url(path), body={"n": 1}, retries=3)
    got = await recorder.wait_for(path, 3)
    assert [r.retried for r in got] == [0, 1, 2]
    assert len({r.headers["upstash-message-id"] for r in got}) == 1
    # default backoff e**(2.5 n) s x 0.01: ~0.12 s then ~1.48 s. A busy machine only delays
    # deliveries, so the lower bounds are exact; the upper ones only tell scaled from unscaled
    # (12 s and 148 s) and the second step from the first.
    first_gap, second_gap = got[1].at - got[0].at, got[2].at - got[1].at
    assert 0.1 <= first_gap < 1.4, first_gap
    assert 1.4 <= second_gap < 10.0, second_gap


async def wait_dlq(
    client: QStash, message_ids: list[str], within: float = 30.0
) -> list[DlqMessage]:
    """The DLQ entries of these messages, once all of them are there."""
    deadline = time.monotonic() + within
    while True:
        entries = [m for m in client.dlq.list().messages if m.message_id in message_ids]
        if len(entries) == len(message_ids) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert len(entries) == len(message_ids), f"DLQ has {len(entries)} of {len(message_ids)}"
    return entries


async def test_exhausted_retries_go_to_dlq_with_failure_callback(
    recorder: Recorder, qstash: QStash, verifier: Receiver, stack_cfg: StackConfig
) -> None:
    path = recorder.on(recorder.path(), fail_times=99, fail_status=503)
    failure_path = recorder.path("failure")
    res = qstash.message.publish_json(
        url=recorder.url(path),
        body={"pay": "p1"},
        retries=2,
        retry_delay="1000",
        headers={"X-Src": "s"},
        failure_callback=recorder.url(failure_path),
        failure_callback_headers={"X-Fcb": "yes"},
    )
    attempts = await recorder.wait_for(path, 3)
    assert [r.retried for r in attempts] == [0, 1, 2]
    [callback] = await recorder.wait_for(failure_path, 1)
    verifier.verify(
        signature=callback.headers["upstash-signature"],
        body=callback.body.decode(),
        url=recorder.url(failure_path),
    )
    assert callback.headers["x-fcb"] == "yes"
    assert callback.headers["content-type"] == "application/json"
    payload = json.loads(callback.body)
    assert payload["status"] == 503
    assert payload["retried"] == payload["maxRetries"] == 2
    assert payload["sourceMessageId"] == res.message_id
    assert payload["url"] == recorder.url(path) and payload["method"] == "POST"
    assert base64.b64decode(payload["body"]) == b"failing"
    assert json.loads(base64.b64decode(payload["sourceBody"])) == {"pay": "p1"}
    assert payload["sourceHeader"]["X-Src"] == ["s"]
    assert int(payload["createdAt"]) <= int(payload["notBefore"])
    dlq_id = payload["dlqId"]

    listed = qstash.dlq.list(filter={"message_id": res.message_id})
    assert [m.dlq_id for m in listed.messages] == [dlq_id]
    entry = qstash.dlq.get(dlq_id)
    assert entry.message_id == res.message_id and entry.response_status == 503
    assert entry.response_body == "failing" and entry.body == '{"pay": "p1"}'
    assert entry.max_retries == 2 and entry.retry_delay_expression == "1000"
    with pytest.raises(QStashError, match="404"):
        qstash.message.get(res.message_id)

    # DLQ retry: a new message, delivered again from Upstash-Retried 0, entry removed.
    recorder.on(path)  # now it succeeds
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        retry = await client.post(
            f"/v2/dlq/retry/{dlq_id}", headers={"Authorization": f"Bearer {stack_cfg.qstash_token}"}
        )
    assert retry.status_code == 201, retry.text
    new_id = retry.json()["messageId"]
    got = await recorder.wait_for(path, 4)
    assert got[3].headers["upstash-message-id"] == new_id and got[3].retried == 0
    assert json.loads(got[3].body) == {"pay": "p1"}
    with pytest.raises(QStashError, match="404"):
        qstash.dlq.get(dlq_id)


async def test_dlq_delete(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.on(recorder.path(), fail_times=99)
    ids = [
        qstash.message.publish_json(url=recorder.url(path), body={"i": i}, retries=0).message_id
        for i in range(3)
    ]
    await recorder.wait_for(path, 3)
    entries = await wait_dlq(qstash, ids)
    qstash.dlq.delete(entries[0].dlq_id)
    assert qstash.dlq.delete_many([e.dlq_id for e in entries]) == 2
    assert not [m for m in qstash.dlq.list().messages if m.message_id in ids]


async def test_retry_delay_expression_is_scaled(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.on(recorder.path(), fail_times=2)
    # 50 s x (1 + retried) x time-scale 0.01 -> 0.5 s then 1.0 s
    qstash.message.publish_json(
        url=recorder.url(path), body={}, retries=3, retry_delay="max(10, 50000 * (1 + retried))"
    )
    got = await recorder.wait_for(path, 3)
    # Lower bounds exact (lateness is all a busy machine adds); upper ones far from unscaled.
    assert 0.45 <= got[1].at - got[0].at < 5.0
    assert 0.95 <= got[2].at - got[1].at < 10.0


async def test_retry_after_header_sets_the_next_delay(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.on(
        recorder.path(), fail_times=1, fail_status=429, fail_headers={"Retry-After": "100"}
    )
    qstash.message.publish_json(url=recorder.url(path), body={}, retries=1)
    got = await recorder.wait_for(path, 2)
    assert 0.95 <= got[1].at - got[0].at < 10.0  # 100 s x 0.01: not 0.12 s, not 100 s


async def test_timeout_counts_as_a_failed_attempt(recorder: Recorder, qstash: QStash) -> None:
    """A 1 s timeout against a destination that answers only after 60 s: QStash gives up on
    the attempt and dead-letters the message while the destination is still answering."""
    path = recorder.on(recorder.path(), delay_s=60.0)
    res = qstash.message.publish_json(url=recorder.url(path), body={}, retries=0, timeout=1)
    entries = await wait_dlq(qstash, [res.message_id], within=45.0)
    assert entries[0].response_status == 0
    assert len(recorder.received(path)) == 1 and recorder.active[path] == 1  # still answering


async def test_non_retryable_489_goes_straight_to_dlq(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.on(
        recorder.path(),
        fail_times=99,
        fail_status=489,
        fail_headers={"Upstash-NonRetryable-Error": "true"},
    )
    res = qstash.message.publish_json(url=recorder.url(path), body={}, retries=3)
    await recorder.wait_for(path, 1)
    entries = await wait_dlq(qstash, [res.message_id])
    assert entries[0].response_status == 489
    await asyncio.sleep(0.5)
    assert len(recorder.received(path)) == 1


async def test_callback_after_every_attempt(
    recorder: Recorder, aqstash: AsyncQStash, verifier: Receiver
) -> None:
    path = recorder.on(recorder.path(), fail_times=1)
    callback_path = recorder.path("callback")
    res = await aqstash.message.publish_json(
        url=recorder.url(path),
        body={"x": 1},
        retries=2,
        callback=recorder.url(callback_path),
        callback_headers={"X-Cb": "1"},
    )
    callbacks = await recorder.wait_for(callback_path, 2)
    payloads = sorted((json.loads(c.body) for c in callbacks), key=lambda p: p["retried"])
    assert [(p["status"], p["retried"]) for p in payloads] == [(500, 0), (200, 1)]
    assert all(p["sourceMessageId"] == res.message_id and p["maxRetries"] == 2 for p in payloads)
    assert base64.b64decode(payloads[1]["body"]) == b"ok"
    assert "dlqId" not in payloads[1]
    for c in callbacks:
        assert c.headers["x-cb"] == "1"
        assert c.headers["upstash-message-id"] != res.message_id
        verifier.verify(
            signature=c.headers["upstash-signature"],
            body=c.body.decode(),
            url=recorder.url(callback_path),
        )

"""QStash emulator: deduplication by id and by content (202, original id, one delivery)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from qstash import AsyncQStash, QStash

from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder

# fixtures shared by the QStash contract modules
aqstash = helpers.aqstash
qstash = helpers.qstash
recorder = helpers.recorder


async def test_deduplication_id_returns_202_and_the_original_id(
    recorder: Recorder, stack_cfg: StackConfig, qstash_service: object
) -> None:
    path = recorder.path()
    dedup_id = "pay_" + uuid.uuid4().hex
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        headers = {
            "Authorization": f"Bearer {stack_cfg.qstash_token}",
            "Upstash-Deduplication-Id": dedup_id,
            "Content-Type": "application/json",
        }
        url = f"/v2/publish/{recorder.url(path)}"
        first = await client.post(url, content=b'{"a":1}', headers=headers)
        second = await client.post(url, content=b'{"other":"body"}', headers=headers)
    assert first.status_code == 201 and "deduplicated" not in first.json()
    assert second.status_code == 202
    assert second.json() == {"messageId": first.json()["messageId"], "deduplicated": True}
    await recorder.wait_for(path, 1)
    await asyncio.sleep(0.4)
    assert len(recorder.received(path)) == 1


async def test_content_based_deduplication(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.path()
    url = recorder.url(path)
    first = qstash.message.publish_json(url=url, body={"same": 1}, content_based_deduplication=True)
    again = qstash.message.publish_json(url=url, body={"same": 1}, content_based_deduplication=True)
    other_body = qstash.message.publish_json(
        url=url, body={"same": 2}, content_based_deduplication=True
    )
    other_header = qstash.message.publish_json(
        url=url, body={"same": 1}, content_based_deduplication=True, headers={"X-Variant": "b"}
    )
    assert again.deduplicated is True and again.message_id == first.message_id
    assert not other_body.deduplicated and other_body.message_id != first.message_id
    assert not other_header.deduplicated
    await recorder.wait_for(path, 3)
    await asyncio.sleep(0.4)
    assert len(recorder.received(path)) == 3


async def test_concurrent_duplicates_are_delivered_once(
    recorder: Recorder, aqstash: AsyncQStash
) -> None:
    path = recorder.path()
    dedup_id = "gen_" + uuid.uuid4().hex
    results = await asyncio.gather(
        *(
            aqstash.message.publish_json(
                url=recorder.url(path), body={"try": i}, deduplication_id=dedup_id
            )
            for i in range(20)
        )
    )
    assert len({r.message_id for r in results}) == 1
    assert sum(not r.deduplicated for r in results) == 1
    await recorder.wait_for(path, 1)
    await asyncio.sleep(0.5)
    assert len(recorder.received(path)) == 1

"""QStash emulator: publish, delivery headers, signatures, batch, get/cancel, auth (SDK 3.4)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import uuid

import httpx
import jwt
import pytest
from qstash import AsyncQStash, QStash, Receiver
from qstash.errors import QStashError, SignatureError

from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Received, Recorder

# fixtures shared by the QStash contract modules
aqstash = helpers.aqstash
qstash = helpers.qstash
recorder = helpers.recorder
verifier = helpers.verifier


async def test_publish_json_is_delivered_signed_with_forwarded_headers(
    recorder: Recorder, aqstash: AsyncQStash, verifier: Receiver
) -> None:
    path = recorder.path()
    destination = recorder.url(path) + "?a=1&b=two"
    body = {"payment_id": "pay_1", "note": "héllo"}
    res = await aqstash.message.publish_json(
        url=destination, body=body, headers={"X-Trace": "t-1"}, retries=2
    )
    assert res.message_id.startswith("msg_") and res.deduplicated is False

    [got] = await recorder.wait_for(path, 1)
    assert got.method == "POST"
    assert got.query == "a=1&b=two"
    assert got.body == json.dumps(body).encode()
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-trace"] == "t-1"
    assert got.headers["user-agent"] == "Upstash-QStash"
    assert got.headers["upstash-message-id"] == res.message_id
    assert got.headers["upstash-retried"] == "0"
    assert not any(name.startswith("upstash-forward-") for name in got.headers)
    verifier.verify(
        signature=got.headers["upstash-signature"], body=got.body.decode(), url=destination
    )


async def test_raw_publish_keeps_body_method_and_content_type(
    recorder: Recorder, qstash: QStash, verifier: Receiver
) -> None:
    text_path, binary_path = recorder.path("text"), recorder.path("bin")
    qstash.message.publish(
        url=recorder.url(text_path),
        body="plain ✓ text",
        method="PUT",
        content_type="text/plain; charset=utf-8",
    )
    blob = bytes(range(256))
    qstash.message.publish(url=recorder.url(binary_path), body=blob)

    [text] = await recorder.wait_for(text_path, 1)
    assert text.method == "PUT"
    assert text.body == "plain ✓ text".encode()
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    verifier.verify(
        signature=text.headers["upstash-signature"],
        body=text.body.decode(),
        url=recorder.url(text_path),
    )

    [binary] = await recorder.wait_for(binary_path, 1)
    assert binary.body == blob
    assert "content-type" not in binary.headers  # none given, none invented
    claims = jwt.decode(binary.headers["upstash-signature"], options={"verify_signature": False})
    digest = base64.urlsafe_b64encode(hashlib.sha256(blob).digest()).decode()
    assert claims["body"].rstrip("=") == digest.rstrip("=")


async def test_destination_path_and_query_are_kept_literally(
    recorder: Recorder, stack_cfg: StackConfig, verifier: Receiver
) -> None:
    path = recorder.path()
    destination = recorder.url(path) + "//deep%20er/x?redirect=https://a.example/b?c=1&d=%2F"
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{stack_cfg.qstash_url}/v2/publish/{destination}",
            content=b"{}",
            headers={"Authorization": f"Bearer {stack_cfg.qstash_token}"},
        )
    assert response.status_code == 201, response.text
    got = await _wait_prefix(recorder, path)
    assert got.raw_path == path + "//deep%20er/x"
    assert got.query == "redirect=https://a.example/b?c=1&d=%2F"
    verifier.verify(signature=got.headers["upstash-signature"], body="{}", url=destination)


async def _wait_prefix(recorder: Recorder, prefix: str, within: float = 10.0) -> Received:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for r in list(recorder.requests):
            if r.path.startswith(prefix):
                return r
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing delivered under {prefix}")


async def test_signature_rejects_forged_expired_wrong_url_and_tampered_body(
    recorder: Recorder, aqstash: AsyncQStash, verifier: Receiver, stack_cfg: StackConfig
) -> None:
    path = recorder.path()
    destination = recorder.url(path)
    await aqstash.message.publish_json(url=destination, body={"n": 1})
    [got] = await recorder.wait_for(path, 1)
    token, body = got.headers["upstash-signature"], got.body.decode()

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims["iss"] == "Upstash" and claims["sub"] == destination
    assert claims["nbf"] == claims["iat"] <= time.time()
    assert claims["exp"] - claims["iat"] == 300
    assert claims["jti"].startswith("jwt_")

    verifier.verify(signature=token, body=body, url=destination)  # the genuine one
    forged = jwt.encode(claims, "sig_someoneElsesKey0000000000000", algorithm="HS256")
    expired = jwt.encode(
        {**claims, "exp": int(time.time()) - 10},
        stack_cfg.qstash_current_signing_key,
        algorithm="HS256",
    )
    for bad_signature, bad_body, url in (
        (forged, body, destination),
        (expired, body, destination),
        (token, body, destination + "/other"),
        (token, body.replace("1", "2"), destination),
    ):
        with pytest.raises(SignatureError):
            verifier.verify(signature=bad_signature, body=bad_body, url=url)

    by_next_key = jwt.encode(claims, stack_cfg.qstash_next_signing_key, algorithm="HS256")
    verifier.verify(signature=by_next_key, body=body, url=destination)  # rotation fallback


async def test_batch_json_delivers_every_message(recorder: Recorder, qstash: QStash) -> None:
    paths = [recorder.path("batch") for _ in range(3)]
    results = qstash.message.batch_json(
        [
            {"url": recorder.url(p), "body": {"i": i}, "headers": {"X-I": str(i)}}
            for i, p in enumerate(paths)
        ]
    )
    assert len({r.message_id for r in results}) == 3  # type: ignore[union-attr]
    for i, p in enumerate(paths):
        [got] = await recorder.wait_for(p, 1)
        assert json.loads(got.body) == {"i": i}
        assert got.headers["x-i"] == str(i)
        assert got.headers["upstash-message-id"] == results[i].message_id  # type: ignore[union-attr]


async def test_url_group_fan_out(recorder: Recorder, qstash: QStash, verifier: Receiver) -> None:
    group = "grp-" + uuid.uuid4().hex[:8]
    first, second = recorder.path("ep1"), recorder.path("ep2")
    qstash.url_group.upsert_endpoints(
        url_group=group,
        endpoints=[{"url": recorder.url(first), "name": "one"}, {"url": recorder.url(second)}],
    )
    found = qstash.url_group.get(group)
    assert found.name == group
    assert {(e.url, e.name) for e in found.endpoints} == {
        (recorder.url(first), "one"),
        (recorder.url(second), None),
    }
    assert group in [g.name for g in qstash.url_group.list()]

    results = qstash.message.publish_json(url_group=group, body={"fan": "out"})
    assert isinstance(results, list)
    assert {r.url for r in results} == {recorder.url(first), recorder.url(second)}
    for path in (first, second):
        [got] = await recorder.wait_for(path, 1)
        assert got.headers["upstash-topic-name"] == group
        assert json.loads(got.body) == {"fan": "out"}
        verifier.verify(
            signature=got.headers["upstash-signature"],
            body=got.body.decode(),
            url=recorder.url(path),
        )

    qstash.url_group.remove_endpoints(url_group=group, endpoints=[{"name": "one"}])
    assert [e.url for e in qstash.url_group.get(group).endpoints] == [recorder.url(second)]
    qstash.url_group.delete(group)
    with pytest.raises(QStashError, match="404"):
        qstash.url_group.get(group)
    with pytest.raises(QStashError, match="404"):
        qstash.message.publish_json(url_group=group, body={})


async def test_get_and_cancel_messages(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.path()
    # a 2 s delay (not scaled by the time scale): long enough to inspect and cancel.
    first = qstash.message.publish_json(
        url=recorder.url(path),
        body={"k": 1},
        delay=2,
        retries=1,
        headers={"X-A": "b"},
        label="lbl",
    )
    second = qstash.message.publish_json(url=recorder.url(path), body={"k": 2}, delay=2)
    third = qstash.message.publish_json(url=recorder.url(path), body={"k": 3}, delay=2)

    message = qstash.message.get(first.message_id)
    assert message.message_id == first.message_id
    assert message.url == recorder.url(path)
    assert message.body == '{"k": 1}'
    assert message.max_retries == 1 and message.method == "POST" and message.label == "lbl"
    assert message.headers == {"Content-Type": ["application/json"], "X-A": ["b"]}
    assert message.not_before - message.created_at == pytest.approx(2000, abs=50)

    qstash.message.cancel(first.message_id)
    with pytest.raises(QStashError, match="404"):
        qstash.message.get(first.message_id)
    assert qstash.message.cancel_many([second.message_id, "msg_unknown"]) == 1

    [got] = await recorder.wait_for(path, 1, within=30)
    assert json.loads(got.body) == {"k": 3}
    await asyncio.sleep(0.5)
    assert len(recorder.received(path)) == 1  # the cancelled ones never arrive
    with pytest.raises(QStashError, match="404"):
        qstash.message.get(third.message_id)  # delivered messages are gone


async def test_events_log_the_message_lifecycle(recorder: Recorder, qstash: QStash) -> None:
    path = recorder.path()
    delivered = qstash.message.publish_json(url=recorder.url(path), body={})
    cancelled = qstash.message.publish_json(url=recorder.url(path), body={}, delay=5)
    qstash.message.cancel(cancelled.message_id)
    await recorder.wait_for(path, 1)
    await asyncio.sleep(0.2)
    logs = qstash.log.list(filter={"message_id": delivered.message_id}).logs
    assert {log.state.value for log in logs} == {"CREATED", "DELIVERED"}
    assert all(log.url == recorder.url(path) for log in logs)
    logs = qstash.log.list(filter={"message_id": cancelled.message_id}).logs
    assert {log.state.value for log in logs} == {"CREATED", "CANCELED"}


async def test_wrong_token_is_rejected(stack_cfg: StackConfig, qstash_service: object) -> None:
    bad = QStash("not-the-token", base_url=stack_cfg.qstash_url, retry=False)
    with pytest.raises(QStashError, match="401"):
        bad.message.publish_json(url="http://127.0.0.1:9/x", body={})
    with pytest.raises(QStashError, match="401"):
        bad.schedule.list()
    async with httpx.AsyncClient(base_url=stack_cfg.qstash_url) as client:
        response = await client.get("/v2/keys", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401 and "error" in response.json()
        assert (await client.get("/v2/keys")).status_code == 401
        ok = await client.get("/v2/keys", params={"qstash_token": stack_cfg.qstash_token})
        assert ok.status_code == 200
        assert ok.json() == {
            "current": stack_cfg.qstash_current_signing_key,
            "next": stack_cfg.qstash_next_signing_key,
        }
        assert (await client.get("/healthz")).status_code == 200  # no auth

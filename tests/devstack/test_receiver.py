"""The demo merchant receiver, as a real process over HTTP."""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from devstack.processes import ManagedProcess, free_port
from devstack.stack import StackConfig, receiver_process
from shared.dev_credentials import DEV_DEMO_WEBHOOK_SECRET

OTHER_SECRET = "whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtZGVtby1vbmUtMzJieXRlcw=="


def start_receiver(stack_cfg: StackConfig, data_dir: Path, **overrides: Any) -> ManagedProcess:
    cfg = dataclasses.replace(
        stack_cfg, receiver_port=free_port(), data_dir=data_dir, echo=False, **overrides
    )
    process = receiver_process(cfg)
    process.start()
    return process


def base_url(process: ManagedProcess) -> str:
    return f"http://127.0.0.1:{process.port}"


def event(payment_id: str, event_type: str = "payment.succeeded") -> tuple[str, bytes]:
    msg_id = f"msg_{uuid.uuid4().hex}"
    body = {
        "id": msg_id,
        "type": event_type,
        "created_at": datetime.now(UTC).isoformat(),
        "data": {"id": payment_id, "object": "payment", "amount": 1250, "status": "SUCCESS"},
    }
    return msg_id, json.dumps(body).encode()


def signed_headers(
    msg_id: str,
    body: bytes,
    secrets: tuple[str, ...] = (DEV_DEMO_WEBHOOK_SECRET,),
    at: datetime | None = None,
) -> dict[str, str]:
    at = at or datetime.now(UTC)
    signatures = " ".join(Webhook(s).sign(msg_id, at, body.decode()) for s in secrets)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def deliveries(process: ManagedProcess, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{base_url(process)}/deliveries", params=params, timeout=5)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def receiver(
    stack_cfg: StackConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ManagedProcess]:
    process = start_receiver(stack_cfg, tmp_path_factory.mktemp("receiver"))
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def client(receiver: ManagedProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url(receiver), timeout=5) as http:
        http.post("/control", json={"failure_rate": 0.0, "fail_for_seconds": 0})
        yield http


def test_valid_signature_is_accepted_and_recorded(
    client: httpx.Client, receiver: ManagedProcess
) -> None:
    msg_id, body = event("pay_valid1")
    response = client.post("/webhooks", content=body, headers=signed_headers(msg_id, body))
    assert response.status_code == 200
    [record] = deliveries(receiver, webhook_id=msg_id)["data"]
    assert record["webhook_id"] == msg_id
    assert record["event_type"] == "payment.succeeded"
    assert record["payment_id"] == "pay_valid1"
    assert record["attempt"] == 1
    assert record["valid_signature"] is True
    assert record["status_code"] == 200
    assert record["body"] == json.loads(body)
    assert record["body_sha256"] == hashlib.sha256(body).hexdigest()
    received = datetime.fromisoformat(record["received_at"])
    assert abs(datetime.now(UTC) - received) < timedelta(seconds=10)

    again = client.post("/webhooks", content=body, headers=signed_headers(msg_id, body))
    assert again.status_code == 200
    listed = deliveries(receiver, webhook_id=msg_id)
    assert listed["total"] == 2
    assert [r["attempt"] for r in listed["data"]] == [2, 1]


def test_one_event_at_two_endpoints_is_a_first_arrival_at_each(
    client: httpx.Client, receiver: ManagedProcess
) -> None:
    """paygate sends one event under one webhook id to every endpoint: not a redelivery."""
    msg_id, body = event("pay_two_endpoints")
    for endpoint in ("a", "b", "a"):
        response = client.post(
            f"/webhooks?endpoint={endpoint}", content=body, headers=signed_headers(msg_id, body)
        )
        assert response.status_code == 200
    listed = deliveries(receiver, webhook_id=msg_id)["data"]
    assert [(r["endpoint"], r["attempt"]) for r in listed] == [("a", 2), ("b", 1), ("a", 1)]


def test_rotation_two_signatures_one_valid(client: httpx.Client, receiver: ManagedProcess) -> None:
    msg_id, body = event("pay_rotate")
    headers = signed_headers(msg_id, body, secrets=(OTHER_SECRET, DEV_DEMO_WEBHOOK_SECRET))
    assert client.post("/webhooks", content=body, headers=headers).status_code == 200
    assert deliveries(receiver, webhook_id=msg_id)["data"][0]["valid_signature"] is True


@pytest.mark.parametrize(
    "tamper",
    ["other-secret", "changed-body", "stale-timestamp", "no-headers", "malformed-signature"],
)
def test_invalid_signature_is_rejected_and_recorded(
    client: httpx.Client, receiver: ManagedProcess, tamper: str
) -> None:
    msg_id, body = event(f"pay_bad_{tamper}")
    headers = signed_headers(msg_id, body)
    if tamper == "other-secret":
        headers = signed_headers(msg_id, body, secrets=(OTHER_SECRET,))
    elif tamper == "changed-body":
        body = body.replace(b"1250", b"9999")
    elif tamper == "stale-timestamp":
        headers = signed_headers(msg_id, body, at=datetime.now(UTC) - timedelta(minutes=10))
    elif tamper == "no-headers":
        headers = {"content-type": "application/json", "webhook-id": msg_id}
    elif tamper == "malformed-signature":
        headers["webhook-signature"] = "garbage"
    response = client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 400
    [record] = deliveries(receiver, payment_id=f"pay_bad_{tamper}")["data"]
    assert record["valid_signature"] is False
    assert record["status_code"] == 400
    assert record["webhook_id"] == msg_id


def test_failure_rate_one_answers_500(client: httpx.Client, receiver: ManagedProcess) -> None:
    assert client.post("/control", json={"failure_rate": 1.0}).json()["failure_rate"] == 1.0
    statuses = []
    for _ in range(5):
        msg_id, body = event("pay_unlucky")
        statuses.append(
            client.post("/webhooks", content=body, headers=signed_headers(msg_id, body)).status_code
        )
    assert statuses == [500] * 5
    records = deliveries(receiver, payment_id="pay_unlucky")["data"]
    assert [(r["status_code"], r["valid_signature"]) for r in records] == [(500, True)] * 5
    client.post("/control", json={"failure_rate": 0.0})
    msg_id, body = event("pay_unlucky")
    assert client.post("/webhooks", content=body, headers=signed_headers(msg_id, body)).is_success


def test_control_rejects_out_of_range(client: httpx.Client) -> None:
    assert client.post("/control", json={"failure_rate": 1.5}).status_code == 422
    assert client.post("/control", json={"fail_for_seconds": -1}).status_code == 422


def test_fail_for_seconds_fails_everything_then_recovers(
    client: httpx.Client, receiver: ManagedProcess
) -> None:
    state = client.post("/control", json={"fail_for_seconds": 3}).json()
    assert 0 < state["failing_for_seconds"] <= 3
    msg_id, body = event("pay_window")
    assert (
        client.post("/webhooks", content=body, headers=signed_headers(msg_id, body)).status_code
        == 500
    )
    bad = signed_headers(msg_id, body, secrets=(OTHER_SECRET,))
    assert client.post("/webhooks", content=body, headers=bad).status_code == 500
    deadline = time.monotonic() + 10
    while client.get("/control").json()["failing_for_seconds"] > 0:
        assert time.monotonic() < deadline, "the failure window never closed"
        time.sleep(0.1)
    assert (
        client.post("/webhooks", content=body, headers=signed_headers(msg_id, body)).status_code
        == 200
    )
    records = deliveries(receiver, webhook_id=msg_id)["data"]
    assert [(r["attempt"], r["status_code"]) for r in records] == [(3, 200), (2, 500), (1, 500)]


def test_listing_filters_limit_and_order(client: httpx.Client, receiver: ManagedProcess) -> None:
    tag = uuid.uuid4().hex[:8]
    sent = []
    for n in range(6):
        payment = f"pay_{tag}_{n % 2}"
        msg_id, body = event(payment, "payment.failed" if n % 2 else "payment.succeeded")
        client.post("/webhooks", content=body, headers=signed_headers(msg_id, body))
        sent.append((msg_id, payment))
    everything = deliveries(receiver, limit=100_000)
    assert everything["total"] >= 6
    assert [r["webhook_id"] for r in everything["data"][:6]] == [m for m, _ in reversed(sent)]
    times = [r["received_at"] for r in everything["data"]]
    assert times == sorted(times, reverse=True)

    odd = deliveries(receiver, payment_id=f"pay_{tag}_1")
    assert odd["total"] == 3
    assert {r["event_type"] for r in odd["data"]} == {"payment.failed"}
    assert [r["webhook_id"] for r in odd["data"]] == [sent[5][0], sent[3][0], sent[1][0]]
    limited = deliveries(receiver, payment_id=f"pay_{tag}_0", limit=2)
    assert (len(limited["data"]), limited["total"]) == (2, 3)
    one = deliveries(receiver, webhook_id=sent[2][0], payment_id=f"pay_{tag}_0")
    assert one["total"] == 1
    assert deliveries(receiver, webhook_id=sent[2][0], payment_id=f"pay_{tag}_1")["total"] == 0
    assert client.get("/deliveries", params={"limit": 100_001}).status_code == 422
    assert client.get("/deliveries", params={"limit": 0}).status_code == 422


def test_cors_is_open(client: httpx.Client) -> None:
    origin = "http://127.0.0.1:5173"
    simple = client.get("/deliveries", headers={"Origin": origin})
    assert simple.headers["access-control-allow-origin"] in ("*", origin)
    preflight = client.options(
        "/control",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_healthz(client: httpx.Client) -> None:
    assert client.get("/healthz").status_code == 200


def test_restart_keeps_history_and_clear_forgets_it(stack_cfg: StackConfig, tmp_path: Path) -> None:
    process = start_receiver(stack_cfg, tmp_path)
    try:
        url = base_url(process)
        msg_id, body = event("pay_durable")
        for _ in range(2):
            httpx.post(f"{url}/webhooks", content=body, headers=signed_headers(msg_id, body))
        bad = signed_headers(msg_id, body, secrets=(OTHER_SECRET,))
        httpx.post(f"{url}/webhooks", content=body, headers=bad)
        before = deliveries(process)
        assert before["total"] == 3

        process.restart()
        after = deliveries(process)
        assert after == before
        response = httpx.post(f"{url}/webhooks", content=body, headers=signed_headers(msg_id, body))
        assert response.json()["attempt"] == 4

        process.kill9()  # lines are flushed as they are written: a crash loses none
        process.start()
        assert deliveries(process)["total"] == 4

        assert httpx.delete(f"{url}/deliveries").status_code == 200
        assert deliveries(process) == {"data": [], "total": 0}
        process.restart()
        assert deliveries(process) == {"data": [], "total": 0}
        httpx.post(f"{url}/webhooks", content=body, headers=signed_headers(msg_id, body))
        assert deliveries(process)["data"][0]["attempt"] == 1
    finally:
        process.stop()


def test_seeded_failure_rate_from_the_command_line_replays(
    stack_cfg: StackConfig, tmp_path: Path
) -> None:
    def run(seed: int, data: Path) -> list[int]:
        process = start_receiver(stack_cfg, data, receiver_failure_rate=0.5, receiver_seed=seed)
        try:
            statuses = []
            with httpx.Client(base_url=base_url(process), timeout=5) as http:
                for n in range(40):
                    msg_id, body = event(f"pay_seed_{n}")
                    headers = signed_headers(msg_id, body)
                    statuses.append(
                        http.post("/webhooks", content=body, headers=headers).status_code
                    )
            return statuses
        finally:
            process.stop()

    first = run(7, tmp_path / "a")
    assert set(first) == {200, 500}
    assert 8 <= first.count(500) <= 32
    assert run(7, tmp_path / "b") == first
    assert run(8, tmp_path / "c") != first


def _post_all(port: int, batch: list[tuple[bytes, dict[str, str]]]) -> list[int]:
    """One keep-alive connection (http.client: a light client, so the server is measured)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    statuses = []
    try:
        for body, headers in batch:
            connection.request("POST", "/webhooks", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()
    return statuses


def test_two_thousand_deliveries_in_a_few_seconds(stack_cfg: StackConfig, tmp_path: Path) -> None:
    process = start_receiver(stack_cfg, tmp_path)
    try:
        prepared = [
            (body, signed_headers(msg_id, body))
            for msg_id, body in (event(f"pay_load_{n % 50}") for n in range(2000))
        ]
        assert process.port is not None
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            parts = list(
                pool.map(partial(_post_all, process.port), [prepared[i::4] for i in range(4)])
            )
        elapsed = time.monotonic() - started
        listed = deliveries(process, limit=100_000)
    finally:
        process.stop()
    assert [status for part in parts for status in part] == [200] * 2000
    assert listed["total"] == 2000
    assert len(listed["data"]) == 2000
    assert sum(r["attempt"] for r in listed["data"]) == 2000  # every webhook id arrived once
    # ~2 s on a quiet machine; the bound only catches a receiver that slows to a crawl.
    assert elapsed < 30, f"2000 deliveries took {elapsed:.1f}s"
    lines = (tmp_path / "receiver" / "deliveries.jsonl").read_text().splitlines()
    assert len(lines) == 2000

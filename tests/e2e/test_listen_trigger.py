"""`paygate listen` and `paygate trigger` as a merchant runs them, against the running stack:
subprocesses that only know the API's URL and a key, forwarding to a real local endpoint."""

from __future__ import annotations

import hashlib
import io
import json
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from pymongo import MongoClient

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from devstack.trigger import RECIPES, trigger
from shared.domain.webhooks import EVENT_TYPES
from tests.sink import WebhookSink

PAYGATE = str(Path(sys.executable).parent / "paygate")
DECLINED = "4000000000000002"


class Listener:
    """A running `paygate listen`: its output lines, read as they come."""

    def __init__(self, argv: list[str]) -> None:
        self.popen = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=pipe, daemon=True)
            for pipe in ((self.popen.stdout, self.lines), (self.popen.stderr, self._stderr))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str] | None, into: list[str]) -> None:
        """Drain one pipe line by line (the only reader of it, so no line goes elsewhere)."""
        assert stream is not None
        for line in stream:
            into.append(line.rstrip("\n"))

    def first_line(self) -> str:
        until(lambda: self.lines or self.popen.poll() is not None, "listen's first line")
        assert self.lines, self.stop()[1]
        return self.lines[0]

    def secret(self) -> str:
        found = re.search(r"whsec_\S+", self.first_line())
        assert found, self.lines[0]
        return found.group(0)

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a user stops it: (exit status, stderr)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
        self.popen.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=5)
        return self.popen.returncode, "\n".join(self._stderr)


def until(probe: Callable[[], Any], what: str, within_s: float = 60.0) -> Any:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {within_s}s")


@pytest.fixture
def merchant_key(stack_cfg: StackConfig, functions_service: ManagedProcess) -> Iterator[str]:
    """A merchant of its own on the stack (so every event it sees is this test's)."""
    key = f"sk_test_{uuid.uuid4().hex}"
    with MongoClient(stack_cfg.mongodb_uri, tz_aware=True) as client:
        client["paygate"]["merchants"].insert_one(
            {
                "_id": f"mer_{uuid.uuid4().hex[:12]}",
                "name": "listen",
                "api_key_hash": hashlib.sha256(key.encode()).hexdigest(),
                "created_at": datetime.now(UTC),
            }
        )
    yield key


@pytest.fixture
def api(stack_cfg: StackConfig, merchant_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack_cfg.functions_url,
        headers={"Authorization": f"Bearer {merchant_key}"},
        timeout=30,
    ) as client:
        yield client


def _listen(stack_cfg: StackConfig, key: str, sink: WebhookSink, *extra: str) -> Listener:
    return Listener(
        [
            PAYGATE,
            "listen",
            "--forward-to",
            sink.url,
            "--api-url",
            stack_cfg.functions_url,
            "--api-key",
            key,
            "--interval",
            "0.2",
            *extra,
        ]
    )


def _pay(api: httpx.Client, card: str = "4242424242424242") -> str:
    body = {
        "amount": 1500,
        "currency": "USD",
        "payment_method": {"type": "card", "card_number": card},
        "user_id": "listen_test",
    }
    created = api.post("/v1/payments", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _events(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    page = api.get("/v1/events", params={"limit": 100, **params})
    assert page.status_code == 200 and not page.json()["has_more"], page.text
    return list(page.json()["data"])


def test_listen_forwards_a_triggered_event_signed_with_the_secret_it_printed(
    stack_cfg: StackConfig, merchant_key: str, api: httpx.Client, tmp_path: Path
) -> None:
    with WebhookSink() as sink:
        listener = _listen(stack_cfg, merchant_key, sink)
        sink.secret = listener.secret()
        triggered = subprocess.run(
            [
                PAYGATE,
                "trigger",
                "payment.succeeded",
                "--api-url",
                stack_cfg.functions_url,
                "--api-key",
                merchant_key,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert triggered.returncode == 0, triggered.stderr
        printed = dict(line.split(None, 1) for line in triggered.stdout.splitlines())
        event_id = printed["event"].split()[0]
        assert printed["payment"].startswith("pay_") and event_id.startswith("evt_")
        [arrival] = until(lambda: sink.arrivals, "the forwarded event")
        assert arrival.webhook_id == event_id and arrival.valid_signature is True
        sent = api.get(f"/v1/events/{event_id}").json()
        assert json.loads(arrival.body) == sent and sent["data"]["id"] == printed["payment"]
        line = until(lambda: [x for x in listener.lines if event_id in x], "listen's line")[0]
        assert "payment.succeeded" in line and "[200]" in line and " ms" in line
        status, stderr = listener.stop()
    assert status == 0 and "Traceback" not in stderr, stderr
    assert listener.lines[-1] == "stopped"


def test_listen_restarted_with_its_state_file_forwards_nothing_twice_and_misses_nothing(
    stack_cfg: StackConfig, merchant_key: str, api: httpx.Client, tmp_path: Path
) -> None:
    state = str(tmp_path / "listen.json")
    with WebhookSink() as sink:
        first = _listen(stack_cfg, merchant_key, sink, "--state-file", state)
        secret = first.secret()
        for _ in range(2):
            _pay(api)
        until(lambda: len(sink.arrivals) >= 2, "the first two events")
        assert first.stop()[0] == 0
        # While listen is down: two more events.
        for _ in range(2):
            _pay(api)
        until(lambda: len(_events(api)) >= 4, "four events stored")
        second = _listen(stack_cfg, merchant_key, sink, "--state-file", state)
        assert second.secret() == secret  # the endpoint's secret survives the restart
        until(lambda: len(sink.arrivals) >= 4, "the events made while listen was down")
        last = _pay(api)  # forwarded after anything the restart would have sent twice
        until(lambda: any(_carries(a.body, last) for a in sink.arrivals), "the last event")
        assert second.stop()[0] == 0
    forwarded = sink.ids()
    assert len(forwarded) == len(set(forwarded)) == 5
    assert set(forwarded) == {e["id"] for e in _events(api)}
    sink.secret = secret
    assert all(sink._verify(a.headers, a.body) for a in sink.arrivals)


def _carries(body: bytes, payment_id: str) -> bool:
    return bool(json.loads(body)["data"]["id"] == payment_id)


def test_listen_filters_types_and_retries_a_failing_endpoint(
    stack_cfg: StackConfig, merchant_key: str, api: httpx.Client
) -> None:
    with WebhookSink(status=500) as sink:
        listener = _listen(
            stack_cfg, merchant_key, sink, "--events", "payment.failed", "--tries", "2"
        )
        listener.first_line()
        _pay(api)  # payment.succeeded: not asked for
        declined = _pay(api, DECLINED)
        until(lambda: len(sink.arrivals) >= 2, "two tries of the failed event")
        [failed] = _events(api, type="payment.failed")
        assert failed["data"]["id"] == declined
        line = until(lambda: [x for x in listener.lines if failed["id"] in x], "its line")[0]
        assert "[500]" in line and "after 2 tries" in line
        status, stderr = listener.stop()
    assert status == 0, stderr
    assert sink.ids() == [failed["id"], failed["id"]]


def test_listen_refuses_bad_options(stack_cfg: StackConfig) -> None:
    for extra in (["--events", "payment.exploded"], ["--since", "yesterday"]):
        run = subprocess.run(
            [PAYGATE, "listen", "--forward-to", "http://127.0.0.1:9/x", *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert extra[0] in run.stderr


def test_trigger_makes_every_event_type_happen(
    stack_cfg: StackConfig, merchant_key: str, api: httpx.Client
) -> None:
    assert tuple(RECIPES) == EVENT_TYPES
    for event_type in EVENT_TYPES:
        out = io.StringIO()
        event = trigger(event_type, api_url=stack_cfg.functions_url, api_key=merchant_key, out=out)
        printed = dict(line.split(None, 1) for line in out.getvalue().splitlines())
        assert event["type"] == event_type and printed["event"].startswith(event["id"])
        assert api.get(f"/v1/events/{event['id']}").json() == event
        payment = api.get(f"/v1/payments/{printed['payment']}").json()
        if event_type.startswith("refund."):
            assert event["data"]["id"] == printed["refund"]
            assert event["data"]["payment"] == payment["id"]
        elif event_type.startswith("dispute."):
            assert event["data"]["id"] == printed["dispute"]
        else:
            assert event["data"]["id"] == payment["id"]


def test_trigger_lists_the_types_and_refuses_an_unknown_one(stack_cfg: StackConfig) -> None:
    listed = subprocess.run(
        [PAYGATE, "trigger", "--list"], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(EVENT_TYPES)
    unknown = subprocess.run(
        [PAYGATE, "trigger", "payment.exploded", "--api-url", stack_cfg.functions_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2 and "unknown event type 'payment.exploded'" in unknown.stderr
    assert "Traceback" not in unknown.stderr

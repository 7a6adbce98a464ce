"""The side-by-side benchmark's wrk script does what it says: wrk runs it for 2 s against a
small recording server (real sockets), which sees one distinct Idempotency-Key per request,
the documented body and the demo key; done()'s JSON line parses and adds up."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.side_by_side import MISSING_WRK, WrkRun
from shared.domain.requests import PaymentCreate

CONFLICT_EVERY = 4  # the server answers every 4th request 409, so non-2xx is counted too
USER_ID = "wrk_test_user"
KEY_PREFIX = "test-abc"


@dataclass
class Recorded:
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    conflicts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(recorded: Recorded) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with recorded.lock:
                recorded.requests.append((self.command, self.path, dict(self.headers), body))
                conflict = len(recorded.requests) % CONFLICT_EVERY == 0
                recorded.conflicts += conflict
            answer = b'{"error": {"type": "idempotency_error"}}' if conflict else b'{"id": "x"}'
            self.send_response(409 if conflict else 201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Recorded]]:
    recorded = Recorded()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorded))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", recorded
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        pytest.fail(MISSING_WRK, pytrace=False)
    return found


def test_every_request_is_a_distinct_create_and_done_reports_json(
    server: tuple[str, Recorded], wrk: str
) -> None:
    url, recorded = server
    measured = WrkRun(2, 2, 2, KEY_PREFIX, USER_ID).run(wrk, url)

    assert recorded.requests, "wrk sent nothing"
    keys = [headers["Idempotency-Key"] for _, _, headers, _ in recorded.requests]
    assert len(set(keys)) == len(keys), "an Idempotency-Key was sent twice"
    pattern = re.compile(rf"^{KEY_PREFIX}-([12])-(\d+)$")
    threads = {match.group(1) for key in keys if (match := pattern.match(key))}
    assert threads == {"1", "2"}, f"keys are <prefix>-<thread>-<n> for both threads: {keys[:4]}"
    expected = {
        "amount": 1234,
        "currency": "USD",
        "payment_method": {"type": "card"},
        "user_id": USER_ID,
    }
    for method, path, headers, body in recorded.requests:
        assert (method, path) == ("POST", "/v1/payments")
        assert headers["Authorization"] == "Bearer sk_test_demo"
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == expected
    PaymentCreate.model_validate_json(recorded.requests[0][3])  # paygate accepts the body

    # wrk counts the responses that came back before it stopped; the server may have had a
    # request or two more in flight.
    assert 0 < measured["requests"] <= len(recorded.requests) <= measured["sent"]
    assert measured["statuses"].keys() <= {"201", "409"}
    assert sum(measured["statuses"].values()) == measured["requests"]
    assert measured["creates"] == measured["statuses"]["201"]
    assert measured["non_2xx"] == measured["statuses"].get("409", 0) == measured["errors"]["status"]
    assert 0 < measured["non_2xx"] <= recorded.conflicts
    assert measured["threads"] == 2 and measured["user_id"] == USER_ID
    latency = measured["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert measured["creates_per_s"] == pytest.approx(measured["creates"] / measured["seconds"])

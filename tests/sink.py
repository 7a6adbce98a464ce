"""A tiny webhook endpoint for tests: a real HTTP server on a free port, in a thread, that records
every POST (headers and raw bytes) and answers the status it is told to (200 by default).
With a `whsec_` secret it also checks each arrival's Standard Webhooks signature."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from devstack.processes import free_port


@dataclass(frozen=True)
class Arrival:
    headers: dict[str, str]
    body: bytes
    status: int
    valid_signature: bool | None

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


class WebhookSink:
    def __init__(self, status: int = 200, secret: str | None = None) -> None:
        self.status = status
        self.secret = secret
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = sink.status
                valid = sink._verify(headers, body)
                with sink._lock:
                    sink.arrivals.append(Arrival(headers, body, status, valid))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _verify(self, headers: dict[str, str], body: bytes) -> bool | None:
        if self.secret is None:
            return None
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:
            return False
        return True

    def ids(self, status: int | None = None) -> list[str]:
        with self._lock:
            return [a.webhook_id for a in self.arrivals if status in (None, a.status)]

    def __enter__(self) -> WebhookSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

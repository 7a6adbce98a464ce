"""Helpers for the QStash emulator contract tests: a recording destination and private instances.

`Recorder` is a real HTTP server (uvicorn in a thread) that records every request and can be
told, per path, to fail N times, send `Retry-After`, answer 489 non-retryable, or be slow.
Test modules import the fixtures below (`from tests.contract.qstash_helpers import ...`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis
import uvicorn
from qstash import AsyncQStash, QStash, Receiver

from devstack.processes import ManagedProcess, free_port
from devstack.stack import StackConfig, qstash_process

WAIT_S = 30.0  # a polling bound (met as soon as it holds), generous for a loaded CI machine


@dataclass
class Received:
    method: str
    path: str
    raw_path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def retried(self) -> int:
        return int(self.headers["upstash-retried"])


@dataclass
class Behaviour:
    """How a path answers: `fail_times` failures first, then `status`."""

    fail_times: int = 0
    fail_status: int = 500
    fail_headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    status: int = 200
    body: bytes = b"ok"


class Recorder:
    """A destination that records requests and answers per-path behaviours."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[Received] = []
        self.behaviours: dict[str, Behaviour] = {}
        self._seen: dict[str, int] = {}
        self.active: dict[str, int] = {}
        self.max_active: dict[str, int] = {}
        self._server = uvicorn.Server(
            uvicorn.Config(
                self._app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                access_log=False,
                lifespan="off",
                interface="asgi3",
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("recorder did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def path(self, name: str = "hook") -> str:
        """A fresh path, so tests sharing the recorder never see each other's requests."""
        return f"/{name}/{uuid.uuid4().hex[:12]}"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str, **behaviour: object) -> str:
        self.behaviours[path] = Behaviour(**behaviour)  # type: ignore[arg-type]
        return path

    def received(self, path: str) -> list[Received]:
        return [r for r in list(self.requests) if r.path == path]

    async def wait_for(self, path: str, count: int, within: float = WAIT_S) -> list[Received]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            got = self.received(path)
            if len(got) >= count:
                return got
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"{path}: wanted {count} requests within {within}s, got {len(self.received(path))}"
        )

    async def _app(self, scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
        assert scope["type"] == "http"
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        raw_path = scope.get("raw_path", path.encode()).decode()
        self.requests.append(
            Received(
                scope["method"],
                path,
                raw_path,
                scope["query_string"].decode(),
                headers,
                b"".join(chunks),
                time.time(),
            )
        )
        behaviour = self.behaviours.get(path, Behaviour())
        seen = self._seen.get(path, 0)
        self._seen[path] = seen + 1
        self.active[path] = self.active.get(path, 0) + 1
        self.max_active[path] = max(self.max_active.get(path, 0), self.active[path])
        try:
            if behaviour.delay_s:
                await asyncio.sleep(behaviour.delay_s)
        finally:
            self.active[path] -= 1
        if seen < behaviour.fail_times:
            status, extra, body = behaviour.fail_status, behaviour.fail_headers, b"failing"
        else:
            status, extra, body = behaviour.status, {}, behaviour.body
        raw_headers = [(b"content-type", b"text/plain")]
        raw_headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def qstash(qstash_service: ManagedProcess, stack_cfg: StackConfig) -> QStash:
    """The official sync SDK against the session emulator."""
    return QStash(stack_cfg.qstash_token, base_url=stack_cfg.qstash_url)


@pytest.fixture
def aqstash(qstash_service: ManagedProcess, stack_cfg: StackConfig) -> AsyncQStash:
    """The official async SDK (what the app uses) against the session emulator."""
    return AsyncQStash(stack_cfg.qstash_token, base_url=stack_cfg.qstash_url)


@pytest.fixture
def verifier(stack_cfg: StackConfig) -> Receiver:
    return Receiver(stack_cfg.qstash_current_signing_key, stack_cfg.qstash_next_signing_key)


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    rec.start()
    yield rec
    rec.stop()


def private_qstash(
    stack_cfg: StackConfig, redis_db: int, flush: bool = True, **overrides: object
) -> ManagedProcess:
    """An emulator of our own (own port, own Redis db, emptied unless `flush=False`)."""
    cfg = dataclasses.replace(
        stack_cfg, qstash_port=free_port(), qstash_redis_db=redis_db, echo=False, **overrides
    )
    if flush:
        client = redis.Redis.from_url(f"{cfg.redis_url}/{redis_db}")
        try:
            client.flushdb()
        finally:
            client.close()
    return qstash_process(cfg)


def url_of(process: ManagedProcess) -> str:
    assert process.port is not None
    return f"http://127.0.0.1:{process.port}"

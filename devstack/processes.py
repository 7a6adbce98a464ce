"""Child processes of the local stack: start, health-check, prefix logs, stop without orphans.

Used by `paygate dev` and by the tests (which also `kill -9` and restart them). Every child
runs in its own process group so stopping it also stops anything it spawned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

HealthCheck = Callable[[], bool]


class StackError(RuntimeError):
    """A one-line, user-facing reason the stack cannot start (port taken, tool missing…)."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port nothing listens on right now (for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tcp_check(port: int, host: str = "127.0.0.1") -> HealthCheck:
    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    return check


def mongo_check(port: int, host: str = "127.0.0.1") -> HealthCheck:
    """The Mongo-wire server answers a `ping` (a listening socket alone is not enough: a
    request that reaches nx-27017 before it answers commands fails with a 503)."""
    listening = tcp_check(port, host)

    def check() -> bool:
        if not listening():
            return False
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client: MongoClient[dict[str, object]] = MongoClient(
            host,
            port,
            directConnection=True,
            serverSelectionTimeoutMS=2_000,
            connectTimeoutMS=2_000,
            socketTimeoutMS=5_000,
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True

    return check


def http_check(url: str, expect: Callable[[httpx.Response], bool] | None = None) -> HealthCheck:
    def check() -> bool:
        try:
            response = httpx.get(url, timeout=1.0)
        except httpx.HTTPError:
            return False
        return expect(response) if expect else response.status_code < 500

    return check


@dataclass
class ManagedProcess:
    """One child process of the stack."""

    name: str
    argv: Sequence[str]
    port: int | None = None
    health: HealthCheck | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    log_file: Path | None = None
    echo: bool = True
    color: str = ""
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _pump: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self, ready_timeout: float = 60.0) -> None:
        if self.port is not None and not port_is_free(self.port):
            raise StackError(f"{self.name}: port {self.port} is already in use")
        executable = self.argv[0]
        if os.sep not in executable and not _on_path(executable):
            raise StackError(f"{self.name}: '{executable}' not found on PATH")
        full_env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        try:
            self.popen = subprocess.Popen(
                list(self.argv),
                env=full_env,
                cwd=self.cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise StackError(f"{self.name}: cannot run '{executable}': {exc.strerror}") from exc
        self._pump = threading.Thread(target=self._pump_output, daemon=True)
        self._pump.start()
        self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        check = self.health or (tcp_check(self.port) if self.port else None)
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise StackError(
                    f"{self.name}: exited with code {self.popen.returncode} while starting"
                    + (f" (log: {self.log_file})" if self.log_file else "")
                )
            if check is None or check():
                return
            time.sleep(0.05)
        self.stop()
        raise StackError(f"{self.name}: not healthy after {timeout:.0f}s")

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after `grace` seconds."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.popen.wait(timeout=5)
        self._signal(signal.SIGKILL)  # stragglers in the group
        self._join_pump()

    def kill9(self) -> None:
        """Simulate a crash: SIGKILL the whole group, no chance to clean up."""
        if self.popen is None:
            return
        self._signal(signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._join_pump()

    def restart(self, ready_timeout: float = 60.0) -> None:
        self.stop()
        self.start(ready_timeout)

    def _signal(self, signum: int) -> None:
        assert self.popen is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)

    def _join_pump(self) -> None:
        if self._pump is not None:
            self._pump.join(timeout=2)

    def _pump_output(self) -> None:
        assert self.popen is not None and self.popen.stdout is not None
        sink: IO[str] | None = None
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            sink = self.log_file.open("a", encoding="utf-8")
        prefix = f"{self.color}{self.name:>10}\033[0m | " if self.color else f"{self.name:>10} | "
        try:
            for raw in self.popen.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if sink is not None:
                    sink.write(line + "\n")
                    sink.flush()
                if self.echo:
                    sys.stdout.write(prefix + line + "\n")
                    sys.stdout.flush()
        finally:
            if sink is not None:
                sink.close()


def _on_path(executable: str) -> bool:
    from shutil import which

    return which(executable) is not None

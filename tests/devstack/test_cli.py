"""`paygate dev` as a user runs it: a subprocess on free ports, stopped by a signal."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from qstash import QStash

from devstack.dev import DATA_MARKER, prepare_data_dir
from devstack.processes import StackError, free_port, port_is_free
from devstack.stack import SETTLEMENT_SCHEDULE_ID, SWEEPER_SCHEDULE_ID
from shared.dev_credentials import DEV_QSTASH_TOKEN

PAYGATE = str(Path(sys.executable).parent / "paygate")
PORT_OPTIONS = (
    "--port",
    "--qstash-port",
    "--upstash-port",
    "--redis-port",
    "--mongo-port",
    "--receiver-port",
    "--s3-port",
)
READY_TIMEOUT_S = 60


@dataclass
class DevRun:
    popen: subprocess.Popen[bytes]
    ports: dict[str, int]
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def url(self, option: str) -> str:
        return f"http://127.0.0.1:{self.ports[option]}"

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.popen.pid).children(recursive=True)


def start_dev(tmp_path: Path, *extra: str, ports: dict[str, int] | None = None) -> DevRun:
    ports = ports or {option: free_port() for option in PORT_OPTIONS}
    output = tmp_path / "paygate-dev.out"
    argv = [PAYGATE, "dev", "--data-dir", str(tmp_path / "data"), *extra]
    for option, port in ports.items():
        argv += [option, str(port)]
    with output.open("wb") as sink:
        popen = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    return DevRun(popen, ports, output)


def wait_healthy(run: DevRun, timeout: float = READY_TIMEOUT_S) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert run.popen.poll() is None, f"paygate dev exited early:\n{run.text()[-3000:]}"
        try:
            if httpx.get(f"{run.url('--port')}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"/healthz not 200 within {timeout}s:\n{run.text()[-3000:]}")


def wait_for_output(run: DevRun, needle: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while needle not in run.text():
        assert time.monotonic() < deadline, f"{needle!r} never printed:\n{run.text()[-3000:]}"
        time.sleep(0.1)


def assert_all_gone(processes: list[psutil.Process], timeout: float = 5) -> None:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"orphans left behind: {[(p.pid, p.cmdline()) for p in alive]}"


@pytest.fixture
def dev_run(tmp_path: Path) -> Iterator[DevRun]:
    run = start_dev(tmp_path, "--fresh")
    try:
        yield run
    finally:
        if run.popen.poll() is None:  # the test failed midway: leave nothing behind
            children = run.descendants()
            run.popen.send_signal(signal.SIGTERM)
            try:
                run.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for process in [*children, psutil.Process(run.popen.pid)]:
                    process.kill()


def test_dev_serves_the_stack_and_sigterm_leaves_no_process(dev_run: DevRun) -> None:
    wait_healthy(dev_run)
    wait_for_output(dev_run, "Ctrl-C stops it.")
    out = dev_run.text()
    assert "demo API key sk_test_demo" in out
    for option in PORT_OPTIONS:
        assert str(dev_run.ports[option]) in out
    assert f"{dev_run.url('--port')}/docs" in out

    config = httpx.get(f"{dev_run.url('--port')}/dev/config", timeout=5).json()
    assert config == {
        "environment": "dev",
        "demo_api_key": "sk_test_demo",
        "receiver_url": dev_run.url("--receiver-port"),
    }
    assert httpx.get(f"{dev_run.url('--receiver-port')}/healthz", timeout=5).status_code == 200
    assert httpx.get(f"{dev_run.url('--qstash-port')}/healthz", timeout=5).status_code == 200
    assert httpx.get(f"{dev_run.url('--upstash-port')}/healthz", timeout=5).status_code == 200
    schedule = QStash(DEV_QSTASH_TOKEN, base_url=dev_run.url("--qstash-port")).schedule.get(
        SWEEPER_SCHEDULE_ID
    )
    assert schedule.destination == f"{dev_run.url('--port')}/internal/sweep"
    settlement = QStash(DEV_QSTASH_TOKEN, base_url=dev_run.url("--qstash-port")).schedule.get(
        SETTLEMENT_SCHEDULE_ID
    )
    assert settlement.destination == f"{dev_run.url('--port')}/internal/settlement_report"
    # The S3 stand-in answers, and the functions reach it: a day without a report is a 404.
    assert httpx.get(f"{dev_run.url('--s3-port')}/moto-api/", timeout=5).status_code == 200
    report = httpx.get(
        f"{dev_run.url('--port')}/v1/settlements/2020-01-01",
        headers={"Authorization": "Bearer sk_test_demo"},
        timeout=10,
    )
    assert report.status_code == 404, report.text

    children = dev_run.descendants()
    assert len(children) >= 6, [c.cmdline() for c in children]
    dev_run.popen.send_signal(signal.SIGTERM)
    assert dev_run.popen.wait(timeout=30) == 0
    assert_all_gone(children)
    for port in dev_run.ports.values():
        assert port_is_free(port)
    assert "Traceback" not in dev_run.text()


def test_sigterm_while_starting_stops_what_was_started(tmp_path: Path) -> None:
    run = start_dev(tmp_path)
    seen: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + 30
    while len(seen) < 2 and time.monotonic() < deadline:  # redis and mongo are up or coming
        seen.update({p.pid: p for p in run.descendants()})
        time.sleep(0.05)
    assert len(seen) >= 2, run.text()
    run.popen.send_signal(signal.SIGTERM)
    assert run.popen.wait(timeout=30) == 0
    assert_all_gone(list(seen.values()))
    assert "stack is ready" not in run.text()
    assert "Traceback" not in run.text()


def test_a_dying_service_stops_the_stack(dev_run: DevRun) -> None:
    wait_healthy(dev_run)
    children = dev_run.descendants()
    [receiver] = [c for c in children if "devstack.receiver" in c.cmdline()]
    receiver.kill()
    assert dev_run.popen.wait(timeout=30) == 1
    assert_all_gone(children)
    assert "paygate dev: receiver: exited unexpectedly" in dev_run.text()


def test_taken_port_is_a_one_line_error(tmp_path: Path) -> None:
    ports = {option: free_port() for option in PORT_OPTIONS}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["--upstash-port"]))
        squatter.listen()
        result = subprocess.run(
            [PAYGATE, "dev", "--data-dir", str(tmp_path / "data"),
             *[x for option, port in ports.items() for x in (option, str(port))]],
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert (
        result.stderr == f"paygate dev: upstash: port {ports['--upstash-port']} is already in use\n"
    )
    assert "Traceback" not in result.stdout
    for option, port in ports.items():  # checked before anything started
        if option != "--upstash-port":
            assert port_is_free(port)


def test_two_services_on_one_port_is_a_one_line_error(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        [PAYGATE, "dev", "--data-dir", str(tmp_path), "--port", str(port),
         "--receiver-port", str(port), "--redis-port", str(free_port()),
         "--mongo-port", str(free_port()), "--upstash-port", str(free_port()),
         "--qstash-port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == f"paygate dev: functions: port {port} is also given to receiver\n"


def test_fresh_wipes_only_a_paygate_data_dir(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stack"
    prepare_data_dir(stack_dir, fresh=False)
    (stack_dir / "mongo").mkdir()
    (stack_dir / "mongo" / "old.db").write_text("x")
    prepare_data_dir(stack_dir, fresh=True)
    assert sorted(p.name for p in stack_dir.iterdir()) == [DATA_MARKER]

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    with pytest.raises(StackError, match="not a paygate data directory"):
        prepare_data_dir(precious, fresh=True)
    assert (precious / "thesis.tex").read_text() == "do not delete"

"""Watching the stack's processes: peak RSS (sampled) and CPU time used, per service."""

from __future__ import annotations

import threading
from typing import Any

import psutil

from devstack.stack import LocalStack

SAMPLE_EVERY_S = 0.1


def _tree(pid: int | None) -> list[psutil.Process]:
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def processes(stack: LocalStack) -> dict[str, list[psutil.Process]]:
    return {name: _tree(process.pid) for name, process in stack.processes.items()}


def cpu_seconds(stack: LocalStack) -> dict[str, float]:
    """CPU time (user + system) used so far by each service and its children."""
    used: dict[str, float] = {}
    for name, tree in processes(stack).items():
        total = 0.0
        for proc in tree:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        used[name] = total
    return used


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after.get(name, 0.0) - before.get(name, 0.0), 3) for name in after}


class RssSampler:
    """Samples the summed RSS of every stack process (children included) in a thread."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.peak_total = 0
        self.peak_by_service: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for name, tree in processes(self.stack).items():
                rss = 0
                for proc in tree:
                    try:
                        rss += proc.memory_info().rss
                    except psutil.Error:
                        continue
                self.peak_by_service[name] = max(self.peak_by_service.get(name, 0), rss)
                total += rss
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(SAMPLE_EVERY_S)

    def result(self) -> dict[str, Any]:
        return {
            "peak_total_mb": round(self.peak_total / 2**20, 1),
            "peak_by_service_mb": {
                name: round(rss / 2**20, 1) for name, rss in self.peak_by_service.items()
            },
        }

"""py-spy against a running service: record while a benchmark runs, then rank the frames.

`Profiler(pid, out)` records raw collapsed stacks (`py-spy record -f raw`, children too, so
a multi-worker uvicorn is covered) and `top_frames()` turns them into the share of samples
each function spends itself (`own`) and under it (`cumulative`). Idle threads (the default
executor's workers waiting for a job) are dropped.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

RATE_HZ = 100
ROOT_SHARE = 0.9
IDLE_FRAMES = ("_worker (concurrent/futures/thread.py", "ManagedProcess._pump_output")


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, pid: int, out: Path) -> None:
        self.pid = pid
        self.out = out
        self.popen: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        binary = py_spy()
        if binary is None:
            return self
        self.out.parent.mkdir(parents=True, exist_ok=True)
        argv = [binary, "record", "-p", str(self.pid), "-o", str(self.out), "-f", "raw"]
        argv += ["-r", str(RATE_HZ), "--subprocesses", "--nonblocking"]
        self.popen = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.popen is None:
            return
        self.popen.send_signal(signal.SIGINT)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.popen.kill()


# Where a functions process spends its time, by the frame a sample passes through first.
COMPONENTS = {
    "upstash_rest": "Redis.execute (upstash_redis/",
    "qstash_publish": "TaskQueue.publish",
    "mongo": "translate_errors.<locals>.wrapper (shared/adapters/mongo.py",
    "webhook_send": "WebhookSender.send",
    "qstash_signature": "verify_signature (shared/adapters/qstash_signature.py",
    "request_parsing": "solve_dependencies (fastapi/dependencies/utils.py",
    "socket_writes": "_SelectorSocketTransport.write (asyncio/selector_events.py",
}


def _samples(raw: Path) -> list[tuple[list[str], int]]:
    found = []
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if frames and not any(frames[-1].startswith(idle) for idle in IDLE_FRAMES):
            found.append((frames, int(count)))
    return found


def component_shares(raw: Path, components: dict[str, str] = COMPONENTS) -> dict[str, float]:
    """Share of busy samples passing through each component's marker frame."""
    samples = _samples(raw)
    total = sum(weight for _, weight in samples) or 1
    shares = {}
    for name, marker in components.items():
        hit = sum(w for frames, w in samples if any(marker in frame for frame in frames))
        shares[name] = round(hit / total, 4)
    return shares


def top_frames(raw: Path, limit: int = 25) -> dict[str, Any]:
    """The most expensive functions in a `py-spy -f raw` file, as shares of busy samples."""
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    samples = 0
    for frames, weight in _samples(raw):
        samples += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            cumulative[frame] += weight

    def ranked(counter: Counter[str], below: float = 1.01) -> list[dict[str, Any]]:
        shares = [(frame, n / samples) for frame, n in counter.most_common()]
        return [
            {"share": round(share, 4), "frame": frame} for frame, share in shares if share < below
        ][:limit]

    # Cumulative shares skip the roots (event loop, uvicorn, runpy) every sample passes through.
    if not samples:
        return {"samples": 0, "own": [], "cumulative": []}
    return {
        "samples": samples,
        "components": component_shares(raw),
        "own": ranked(own),
        "cumulative": ranked(cumulative, below=ROOT_SHARE),
    }

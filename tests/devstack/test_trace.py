"""Structured logs follow one payment across functions; `paygate trace` prints its path."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from devstack.cli import app as cli
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig

AUTH = {"Authorization": "Bearer sk_test_demo"}


@pytest.fixture(scope="module")
def flaky_payment(functions_service: ManagedProcess, stack_cfg: StackConfig) -> dict[str, Any]:
    """A payment that times out once, then succeeds, and whose webhook is delivered."""
    with httpx.Client(base_url=stack_cfg.functions_url, headers=AUTH, timeout=10) as client:
        created = client.post(
            "/v1/payments",
            json={
                "amount": 4200,
                "currency": "EUR",
                "payment_method": {"type": "upi", "vpa": "trace@paygate"},
                "user_id": "tracer",
                "scenario": "flaky",
            },
            headers={"Idempotency-Key": f"trace-{uuid.uuid4().hex}"},
        )
        assert created.status_code == 201, created.text
        payment_id = created.json()["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            payment = client.get(f"/v1/payments/{payment_id}").json()
            if payment["status"] == "SUCCESS" and payment["webhook_status"] == "SUCCESS":
                time.sleep(0.3)  # the dispatch's access line is written after its answer
                return payment  # type: ignore[no-any-return]
            time.sleep(0.2)
    raise AssertionError(f"{payment_id} did not settle: {payment}")


def payment_lines(stack_cfg: StackConfig, payment_id: str) -> list[dict[str, Any]]:
    text = (stack_cfg.data_dir / "logs" / "functions.log").read_text()
    return [json.loads(line) for line in text.splitlines() if payment_id in line]


def test_every_line_about_the_payment_carries_its_ids(
    flaky_payment: dict[str, Any], stack_cfg: StackConfig
) -> None:
    lines = payment_lines(stack_cfg, flaky_payment["id"])
    by_msg = [line["msg"] for line in lines]
    assert "POST /v1/payments 201" in by_msg
    assert "POST /internal/process_payment 503" in by_msg  # the timed-out first attempt
    assert "POST /internal/process_payment 200" in by_msg
    assert "POST /internal/dispatch_webhook 200" in by_msg
    for line in lines:
        assert line["payment_id"] == flaky_payment["id"], line
        assert line["request_id"], line
        if "/internal/" in line["msg"]:
            assert line["qstash_message_id"].startswith("msg_"), line
        if "/v1/" in line["msg"]:
            assert line["merchant_id"] == "mer_demo", line
        if "dispatch_webhook" in line["msg"]:
            assert line["delivery_id"].startswith("whd_"), line
    qstash_ids = {e["qstash_message_id"] for e in flaky_payment["events"] if e["qstash_message_id"]}
    assert qstash_ids <= {line.get("qstash_message_id") for line in lines}


@pytest.mark.parametrize("source", ["api", "mongo"])
def test_trace_prints_the_path(
    flaky_payment: dict[str, Any], stack_cfg: StackConfig, source: str
) -> None:
    args = ["trace", flaky_payment["id"], "--data-dir", str(stack_cfg.data_dir)]
    args += ["--api-url", stack_cfg.functions_url, "--mongodb-uri", stack_cfg.mongodb_uri]
    if source == "mongo":
        args.append("--no-api")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert ("from API" if source == "api" else "from Mongo") in out
    for needle in (
        "POST /v1/payments 201",
        "POST /internal/process_payment 503",
        "POST /internal/dispatch_webhook 200",
        "CREATED -> PROCESSING",
        "PROCESSING -> RETRYING",
        "RETRYING -> PROCESSING",
        "PROCESSING -> SUCCESS",
        "payment.succeeded",
        "now: SUCCESS",
    ):
        assert needle in out, f"{needle!r} missing from:\n{out}"
    assert out.index("POST /v1/payments 201") < out.index("POST /internal/dispatch_webhook 200")


def test_trace_of_an_unknown_payment_fails(stack_cfg: StackConfig, tmp_path: Any) -> None:
    (tmp_path / "logs").mkdir()
    result = CliRunner().invoke(
        cli,
        [
            "trace",
            "pay_unknown",
            "--data-dir",
            str(tmp_path),
            "--api-url",
            "http://127.0.0.1:9",
            "--mongodb-uri",
            "mongodb://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 1
    assert "payment not found" in result.output

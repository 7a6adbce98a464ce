"""`paygate load -n 100` against the session stack: every payment settles, every invariant holds,
with a merchant of one webhook endpoint and of three."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devstack.cli import app
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig

pytestmark = pytest.mark.stack


@pytest.mark.parametrize("endpoints", [1, 3])
def test_paygate_load_100_payments_keeps_every_invariant(
    stack_cfg: StackConfig, functions_service: ManagedProcess, tmp_path: Path, endpoints: int
) -> None:
    report_path = tmp_path / "load.json"
    result = CliRunner().invoke(
        app,
        [
            "load",
            "-n",
            "100",
            "-c",
            "16",
            "--base-url",
            stack_cfg.functions_url,
            "--receiver-url",
            stack_cfg.receiver_url,
            "--mongodb-uri",
            stack_cfg.mongodb_uri,
            "--settle-timeout",
            "180",
            "--seed",
            "7",
            "--json-out",
            str(report_path),
            "--no-progress",
            "--endpoints",
            str(endpoints),
        ],
    )
    report = json.loads(report_path.read_text())
    assert result.exit_code == 0, result.output
    assert report["ok"] is True
    assert report["violation_counts"] == {}
    summary = report["summary"]
    assert summary["requests"]["keys"] == 100
    assert summary["requests"]["duplicates"] == 5
    assert summary["requests"]["accepted"] == 100
    assert summary["payments"]["total"] == 100
    by_status = summary["payments"]["by_status"]
    assert by_status.get("SUCCESS", 0) + by_status.get("FAILED", 0) == 100
    # Every payment's final event reached every endpoint, and the receiver took them all.
    assert summary["webhooks"]["by_webhook_status"] == {"SUCCESS": 100}
    assert summary["webhooks"]["receptions"] >= 100 * endpoints
    assert "all invariants hold" in result.output

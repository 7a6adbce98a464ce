"""`paygate load` against the session stack: every payment, refund and dispute settles and every
invariant holds, with the money mix (a merchant of one webhook endpoint and of three) and
without it (`--captures 0 --refunds 0 --disputes 0`: payments only, as before)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from devstack.cli import app
from devstack.load import RUN_EVENTS
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig

pytestmark = pytest.mark.stack


def _load(
    stack_cfg: StackConfig, report_path: Path, n: int, *options: str
) -> tuple[dict[str, Any], str]:
    result = CliRunner().invoke(
        app,
        [
            "load",
            "-n",
            str(n),
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
            *options,
        ],
    )
    report = json.loads(report_path.read_text())
    assert result.exit_code == 0, result.output
    assert report["ok"] is True
    assert report["violation_counts"] == {}
    assert "all invariants hold" in result.output
    return report, result.output


@pytest.mark.parametrize("endpoints", [1, 3])
def test_paygate_load_with_money_movements_keeps_every_invariant(
    stack_cfg: StackConfig, functions_service: ManagedProcess, tmp_path: Path, endpoints: int
) -> None:
    report, output = _load(
        stack_cfg,
        tmp_path / "load.json",
        160,
        "--endpoints",
        str(endpoints),
        "--captures",
        "0.2",
        "--refunds",
        "0.3",
        "--disputes",
        "0.1",
    )
    summary = report["summary"]
    assert summary["requests"]["accepted"] == 160
    assert summary["payments"]["total"] == 160
    objects = summary["objects"]
    # Every end of every object came up (the plan is seeded, the outcomes follow from it).
    assert {"SUCCESS", "FAILED", "CANCELED"} <= set(objects["payments"])
    assert set(objects["refunds"]) == {"SUCCEEDED", "FAILED"}
    assert set(objects["disputes"]) == {"WON", "LOST"}
    assert sum(objects["disputes"].values()) == 16
    money = summary["money"]
    assert set(money["captures"]) == {"full", "partial"}
    assert set(money["cancels"]) == {"early", "late"}
    refunds = money["refund_requests"]
    assert refunds["accepted"] == refunds["keys"] == sum(objects["refunds"].values())
    assert refunds["replays"] > 0 and refunds["over_limit_refused"] > 0
    assert money["amounts"]["refunded"] > 0 and money["errors"] == 0
    # Every event type reached the receiver, once per endpoint and object.
    assert set(summary["webhooks"]["received_by_event_type"]) == set(RUN_EVENTS)
    assert summary["webhooks"]["by_webhook_status"] == {"SUCCESS": 160}
    assert "money moves" in output and "refunds" in output and "disputes" in output


def test_paygate_load_without_money_movements_sends_payments_only(
    stack_cfg: StackConfig, functions_service: ManagedProcess, tmp_path: Path
) -> None:
    report, _ = _load(
        stack_cfg,
        tmp_path / "load.json",
        60,
        "--captures",
        "0",
        "--refunds",
        "0",
        "--disputes",
        "0",
    )
    summary = report["summary"]
    assert summary["requests"]["keys"] == 60
    assert summary["requests"]["duplicates"] == 3
    assert summary["payments"]["total"] == 60
    by_status = summary["payments"]["by_status"]
    assert by_status.get("SUCCESS", 0) + by_status.get("FAILED", 0) == 60
    assert summary["objects"]["refunds"] == {} and summary["objects"]["disputes"] == {}
    assert summary["money"]["planned"] == 0
    assert summary["webhooks"]["by_webhook_status"] == {"SUCCESS": 60}
    assert set(summary["webhooks"]["received_by_event_type"]) <= {
        "payment.succeeded",
        "payment.failed",
    }

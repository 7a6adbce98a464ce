"""`paygate load --simulator FILE` under every chaos dial at its maximum: the client retries
the lost answers with the same keys, and every invariant still holds; the merchant's previous
settings are back afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from devstack.cli import app
from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.load.chaos import MAX_CHAOS

pytestmark = pytest.mark.stack
AUTH = {"Authorization": "Bearer sk_test_demo"}


def test_load_under_max_chaos_keeps_every_invariant(
    stack_cfg: StackConfig, functions_service: ManagedProcess, tmp_path: Path
) -> None:
    settings_path = tmp_path / "chaos.json"
    settings_path.write_text(json.dumps(MAX_CHAOS))
    report_path = tmp_path / "load.json"
    api = httpx.Client(base_url=stack_cfg.functions_url, headers=AUTH, timeout=10)
    before = api.get("/v1/simulator").json()
    result = CliRunner().invoke(
        app,
        [
            "load",
            "-n",
            "100",
            "-c",
            "12",
            "--base-url",
            stack_cfg.functions_url,
            "--receiver-url",
            stack_cfg.receiver_url,
            "--mongodb-uri",
            stack_cfg.mongodb_uri,
            "--settle-timeout",
            "240",
            "--seed",
            "3",
            "--captures",
            "0.2",
            "--refunds",
            "0.3",
            "--disputes",
            "0.05",
            "--simulator",
            str(settings_path),
            "--json-out",
            str(report_path),
            "--no-progress",
        ],
    )
    report = json.loads(report_path.read_text())
    assert report["violation_counts"] == {}, report["violations"][:5]
    assert result.exit_code == 0 and report["ok"] is True, result.output
    summary = report["summary"]
    assert summary["payments"]["total"] == 100
    # The dials were in force: answers were lost and retried, and every webhook went through
    # a dropped attempt, a refused bad signature and a duplicate.
    assert summary["requests"]["first_try_status"].get("503", 0) > 0
    assert summary["requests"]["http_tries"] > summary["requests"]["keys"]
    received = httpx.get(f"{stack_cfg.receiver_url}/deliveries", params={"limit": 100_000})
    run_payments = {p for p in _run_payment_ids(report)}
    arrivals = [r for r in received.json()["data"] if r["payment_id"] in run_payments]
    by_id: dict[str, list[bool]] = {}
    for record in sorted(arrivals, key=lambda r: r["attempt"]):
        by_id.setdefault(record["webhook_id"], []).append(record["valid_signature"])
    assert by_id and all(signatures == [False, True, True] for signatures in by_id.values())
    # The merchant's settings are what they were before the run.
    after = api.get("/v1/simulator").json()
    assert after["is_default"] == before["is_default"]
    assert {k: after[k] for k in ("api", "webhooks", "seed")} == {
        k: before[k] for k in ("api", "webhooks", "seed")
    }


def _run_payment_ids(report: dict[str, object]) -> set[str]:
    config = report["config"]
    assert isinstance(config, dict)
    user_id = config["user_id"]
    api = httpx.Client(base_url=str(config["base_url"]), headers=AUTH, timeout=10)
    found: set[str] = set()
    after: str | None = None
    while True:
        params = {"user_id": user_id, "limit": 100, **({"starting_after": after} if after else {})}
        page = api.get("/v1/payments", params=params).json()
        found |= {p["id"] for p in page["data"]}
        if not page["has_more"]:
            return found
        after = page["data"][-1]["id"]

"""`paygate simulate show|set|reset` as a user runs it, against the session's running stack."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from devstack.processes import ManagedProcess, free_port
from devstack.simulate_cli import SimulateError, apply_changes
from devstack.stack import StackConfig

PAYGATE = str(Path(sys.executable).parent / "paygate")
CLI_KEY = "sk_test_simulate_cli"
MERCHANT = "mer_simulate_cli"


@pytest.fixture(scope="module")
def cli_merchant(stack_cfg: StackConfig, functions_service: ManagedProcess) -> Iterator[str]:
    """A merchant of its own, so the dials turned here touch no other test's payments."""
    client: MongoClient[dict[str, Any]] = MongoClient(stack_cfg.mongodb_uri, tz_aware=True)
    db = client["paygate"]
    merchant = {
        "_id": MERCHANT,
        "name": "simulate cli",
        "api_key_hash": hashlib.sha256(CLI_KEY.encode()).hexdigest(),
        "created_at": datetime.now(UTC),
    }
    db["merchants"].replace_one({"_id": MERCHANT}, merchant, upsert=True)
    db["simulator_settings"].delete_one({"_id": MERCHANT})
    try:
        yield MERCHANT
    finally:
        db["simulator_settings"].delete_one({"_id": MERCHANT})
        client.close()


def paygate(stack_cfg: StackConfig, *args: str, key: str | None = CLI_KEY) -> Any:
    env = {k: v for k, v in os.environ.items() if k != "PAYGATE_API_KEY"}
    if key is not None:
        env["PAYGATE_API_KEY"] = key
    return subprocess.run(
        [PAYGATE, "simulate", *args, "--api-url", stack_cfg.functions_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def current(stack_cfg: StackConfig) -> dict[str, Any]:
    answer = httpx.get(
        f"{stack_cfg.functions_url}/v1/simulator",
        headers={"Authorization": f"Bearer {CLI_KEY}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_show_set_and_reset_over_http(cli_merchant: str, stack_cfg: StackConfig) -> None:
    shown = paygate(stack_cfg, "show")
    assert shown.returncode == 0, shown.stderr
    assert "v0 — defaults in force" in shown.stdout and "api.error_rate = 0.0" in shown.stdout

    changed = paygate(
        stack_cfg,
        "set",
        "api.error_rate=0.3",
        "webhooks.duplicate_rate=1",
        "seed=7",
        "expires_in=5m",
    )
    assert changed.returncode == 0, changed.stderr
    assert "v1 — non-default dials in force" in changed.stdout
    assert "webhooks.duplicate_rate = 1.0" in changed.stdout
    settings = current(stack_cfg)
    assert settings["version"] == 1 and settings["seed"] == 7
    assert settings["api"]["error_rate"] == 0.3 and settings["webhooks"]["duplicate_rate"] == 1
    expires = datetime.fromisoformat(settings["expires_at"])
    now = datetime.now(UTC)
    assert now + timedelta(minutes=3) < expires <= now + timedelta(minutes=5)

    # One dial changed, the others kept (the CLI PUTs the whole object it read).
    kept = paygate(stack_cfg, "set", "outcome_weights.success=5", "seed=null")
    assert kept.returncode == 0, kept.stderr
    settings = current(stack_cfg)
    assert settings["version"] == 2 and settings["seed"] is None
    assert settings["outcome_weights"]["success"] == 5 and settings["api"]["error_rate"] == 0.3

    reset = paygate(stack_cfg, "reset")
    assert reset.returncode == 0, reset.stderr
    assert "v3 — defaults in force" in reset.stdout
    assert current(stack_cfg)["is_default"] is True


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("set", "api.error_rate=2"), 1, "api.error_rate"),
        (("set", "gateway_latency_ms.min=99999999"), 1, "gateway_latency_ms.min"),
        (("set", "api.error_mode=sometimes"), 1, "api.error_mode"),
        (("set", "bogus.key=1"), 2, "unknown key 'bogus.key'"),
        (("set", "api"), 2, "KEY=VALUE"),
        (("set", "expires_in=5x"), 2, "duration"),
        (("set",), 2, "at least one"),
        (("show", "seed=1"), 2, "no KEY=VALUE"),
        (("explode",), 2, "unknown action"),
    ],
)
def test_bad_input_is_an_error_and_changes_nothing(
    cli_merchant: str, stack_cfg: StackConfig, args: tuple[str, ...], code: int, says: str
) -> None:
    before = current(stack_cfg)
    result = paygate(stack_cfg, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and says in result.stderr
    assert current(stack_cfg) == before


def test_a_wrong_key_or_an_unreachable_api_is_an_error(
    cli_merchant: str, stack_cfg: StackConfig
) -> None:
    refused = paygate(stack_cfg, "show", key="sk_test_nobody")
    assert refused.returncode == 1 and "401 invalid_api_key" in refused.stderr
    down = subprocess.run(
        [PAYGATE, "simulate", "show", "--api-url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and "cannot reach" in down.stderr


def test_apply_changes_parses_values_and_drops_a_past_expiry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    shown = {
        "object": "simulator",
        "version": 3,
        "updated_at": "2025-12-31T00:00:00.000Z",
        "is_default": True,
        "expires_at": "2025-12-31T23:00:00.000Z",
        "seed": None,
        "api": {"error_rate": 0.0, "error_mode": "before_commit"},
    }
    body = apply_changes(shown, ["seed=12", "api.error_mode=after_commit"], now=now)
    assert body == {
        "expires_at": None,
        "seed": 12,
        "api": {"error_rate": 0.0, "error_mode": "after_commit"},
    }
    later = apply_changes(shown, ["expires_in=90s"], now=now)
    assert later["expires_at"] == "2026-01-01T00:01:30Z"
    with pytest.raises(SimulateError):
        apply_changes(shown, ["version=9"], now=now)

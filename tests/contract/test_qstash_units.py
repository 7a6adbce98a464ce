"""QStash emulator pieces without a server: timing rules, expressions, signing, cron, headers."""

from __future__ import annotations

import math
from unittest import mock

import jwt
import pytest

from emulators.qstash.backoff import (
    RetryDelayExpression,
    default_backoff,
    expression_delay_s,
    parse_duration,
    parse_retry_after,
)
from emulators.qstash.publish import BadRequest, parse_publish
from emulators.qstash.schedules import next_fire_ms, validate_cron
from emulators.qstash.signing import Signer

REFERENCE_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJVcHN0YXNoIiwic3ViIjoiaHR0cHM6Ly9leGFtcGxl"
    "LmNvbS9ob29rIiwiZXhwIjoxNzAwMDAwMzAwLCJuYmYiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwianRp"
    "Ijoiand0X3Rlc3QxIiwiYm9keSI6Ims2STVjYWtVNWVyTDhLalNVVlROb3duRHdjY3Z1NWtVMUh4Zzg4dG9GWWc9"
    "In0.82FnQ1XbpSiJJixorFNcErDlsw8QHVL00lkNOOFwe2w"
)


def test_signature_matches_the_reference_vector() -> None:
    with mock.patch("time.time", return_value=1_700_000_000), mock.patch("uuid.uuid4") as uuid4:
        uuid4.return_value.hex = "test1"
        token = Signer("sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r", "unused").sign(
            "https://example.com/hook", b'{"hello":"world"}'
        )
    assert token == REFERENCE_TOKEN


def test_signature_decodes_with_pyjwt() -> None:
    token = Signer("sig_current", "sig_next").sign("http://h/x?a=1", b"body")
    claims = jwt.decode(token, "sig_current", algorithms=["HS256"], issuer="Upstash")
    assert claims["sub"] == "http://h/x?a=1" and claims["exp"] - claims["nbf"] == 300


def test_rotation_moves_next_to_current() -> None:
    signer = Signer("sig_a", "sig_b")
    signer.rotate()
    assert signer.current == "sig_b" and signer.next.startswith("sig_") and signer.next != "sig_b"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10", 10),
        ("10s", 10),
        ("5m", 300),
        ("2h", 7200),
        ("7d", 604800),
        ("1d10h30m", 124200),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("6m5s", 365),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "10x", "1h 2m", "-5s", "5s10"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_default_backoff_follows_the_documented_table() -> None:
    assert default_backoff(1) == pytest.approx(12.18, abs=0.01)
    assert default_backoff(2) == pytest.approx(148.4, abs=0.1)
    assert default_backoff(3) == pytest.approx(1808.0, abs=1)
    assert default_backoff(5) == 86400 and default_backoff(1000) == 86400


def test_retry_after_forms() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("0", now) == 0
    assert parse_retry_after("10", now) == 10
    assert parse_retry_after("6m5s", now) == 365
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now) == pytest.approx(60)
    assert parse_retry_after("90000", now) is None  # beyond a day: ignored
    assert parse_retry_after("1700000000", now) is None  # an epoch, not a delay
    assert parse_retry_after("soon", now) is None


@pytest.mark.parametrize(
    ("source", "retried", "ms"),
    [
        ("1000", 0, 1000),
        ("1000 * (1 + retried)", 2, 3000),
        ("pow(2, retried)", 3, 8),
        ("max(10, pow(2, retried))", 1, 10),
        ("min(5, sqrt(16))", 0, 4),
        ("abs(-3) + -1", 0, 2),
        ("floor(2.7) + ceil(0.2) + round(1.5)", 0, 5),
        ("exp(0) * 100 % 30", 0, 10),
        ("2 ** retried * 500 / 2", 2, 1000),
    ],
)
def test_retry_delay_expressions(source: str, retried: int, ms: float) -> None:
    assert RetryDelayExpression(source).milliseconds(retried) == pytest.approx(ms)


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "retried.real",
        "[1][0]",
        "lambda: 1",
        "open('x')",
        "x + 1",
        "pow(base=2, exp=1)",
        "1 if retried else 2",
        "'a'",
        "True",
        "retried < 1",
        "1; 2",
    ],
)
def test_retry_delay_expressions_refuse_anything_else(source: str) -> None:
    with pytest.raises(ValueError):
        RetryDelayExpression(source)


def test_expression_delays_are_capped_and_safe() -> None:
    assert expression_delay_s("pow(10, 400)", 0) == 86400  # overflow -> the cap
    assert expression_delay_s("1 / (retried - retried)", 0) is None
    assert expression_delay_s("sqrt(-1)", 0) is None
    assert expression_delay_s("-5000", 0) == 0
    assert math.isclose(expression_delay_s("1500", 0) or 0, 1.5)


def test_publish_headers_become_a_spec() -> None:
    headers = {
        "content-type": "application/json",
        "upstash-method": "put",
        "upstash-forward-x-trace": "t1",
        "upstash-retries": "5",
        "upstash-retry-delay": "1000",
        "upstash-timeout": "10s",
        "upstash-delay": "100s",
        "upstash-callback": "http://cb/x",
        "upstash-callback-retries": "1",
        "upstash-callback-x-quirk": "sdk-style",
        "upstash-failure-callback": "http://fcb/x",
        "upstash-failure-callback-forward-x-doc": "documented",
        "upstash-deduplication-id": "d1",
    }
    request = parse_publish(headers, "http://dest/p?q=1", b"{}", 1_000_000, "1.2.3.4")
    spec = request.spec
    assert spec["method"] == "PUT" and spec["retries"] == 5 and spec["timeout_s"] == 10
    assert spec["headers"] == {"Content-Type": "application/json", "X-Trace": "t1"}
    assert spec["callback_opts"] == {"retries": 1, "headers": {"X-Quirk": "sdk-style"}}
    assert spec["failure_callback_opts"] == {"headers": {"X-Doc": "documented"}}
    assert request.due_ms == 1_000_000 + 100_000  # 100 s as given: the time scale is not applied
    assert request.dedup_key is not None and request.dedup_key.startswith("id:")
    not_before = parse_publish(
        {"upstash-not-before": "2000", "upstash-delay": "5s"}, "http://d/", b"", 1_000_000
    )
    assert not_before.due_ms == 2_000_000  # absolute; wins over the delay


@pytest.mark.parametrize(
    "headers",
    [
        {"upstash-retries": "-1"},
        {"upstash-retries": "x"},
        {"upstash-method": "TRACE"},
        {"upstash-delay": "soon"},
        {"upstash-retry-delay": "import os"},
        {"upstash-callback": "ftp://x"},
        {"upstash-not-before": "tomorrow"},
    ],
)
def test_bad_publish_headers(headers: dict[str, str]) -> None:
    with pytest.raises(BadRequest):
        parse_publish(headers, "http://d/", b"", 0)


def test_cron_five_fields_and_seconds_as_sixth() -> None:
    start = 1_704_067_200_000  # 2024-01-01T00:00:00Z
    assert next_fire_ms("*/5 * * * *", start) == start + 5 * 60_000
    assert next_fire_ms("* * * * * */5", start) == start + 5_000
    # 05:30 in Kolkata is 00:00 UTC: strictly after `start`, so the next day
    assert next_fire_ms("CRON_TZ=Asia/Kolkata 30 5 * * *", start) == start + 86_400_000
    validate_cron("* * * * * *")
    for bad in ("", "* * * *", "61 * * * *", "CRON_TZ=Nowhere/City * * * * *"):
        with pytest.raises(BadRequest):
            validate_cron(bad)

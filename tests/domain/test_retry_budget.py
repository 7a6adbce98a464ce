"""The sweeper's 'past its retry budget' age exceeds what QStash (or its emulator) can spend."""

from __future__ import annotations

import pytest

from emulators.qstash.backoff import default_backoff
from shared.domain.retry_budget import message_lifetime_s, webhook_redrive_after_s


@pytest.mark.parametrize("scale", [1.0, 0.01])
@pytest.mark.parametrize("max_attempts", [1, 3, 5, 10])
def test_redrive_age_exceeds_every_retry_and_the_failure_callback(
    max_attempts: int, scale: float
) -> None:
    timeout = 25.0
    emulated = sum(default_backoff(n) for n in range(1, max_attempts)) * scale
    callback = sum(default_backoff(n) for n in range(1, 4)) * scale
    spent = emulated + max_attempts * timeout + callback + 4 * timeout
    assert webhook_redrive_after_s(max_attempts, timeout, scale) > spent


def test_the_defaults_in_numbers() -> None:
    # 5 attempts, a 25 s function: about 7.3 h against the real QStash, 9 min in dev (x0.01).
    assert 7 * 3600 < webhook_redrive_after_s(5, 25.0) < 7.5 * 3600
    assert 8 * 60 < webhook_redrive_after_s(5, 25.0, 0.01) < 10 * 60
    assert message_lifetime_s(0, 10.0) == 10.0

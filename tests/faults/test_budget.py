"""The fault stacks' timing budget (no stack started): QStash's whole retry schedule for a
webhook and for a payment ends well inside the recovery bound the fault tests assert, so a run
cannot end with a delivery still waiting for its last retry."""

from __future__ import annotations

from emulators.qstash.backoff import default_backoff
from shared.config import Settings
from shared.services.lifecycle_messages import DELIVERY_RETRY_SLACK
from tests.faults.stack import (
    DOWN_S,
    QSTASH_TIME_SCALE,
    RECOVERY_BOUND_S,
    STALE_AFTER_S,
    SWEEP_CRON,
)

SWEEP_PERIOD_S = int(SWEEP_CRON.split()[-1].removeprefix("*/"))
# A busy 2-core machine: every delivery and the sweeper's pass can run this late.
SLACK_S = 20.0


def retry_tail_s(retries: int) -> float:
    """Seconds from a message's first attempt to its last one, at the fault stacks' scale."""
    return sum(default_backoff(n) for n in range(1, retries + 1)) * QSTASH_TIME_SCALE


def test_a_webhooks_last_retry_comes_inside_the_recovery_bound() -> None:
    retries = int(Settings.model_fields["webhook_max_attempts"].default) - 1
    assert retries >= 4
    tail = retry_tail_s(retries)
    assert tail + SWEEP_PERIOD_S + STALE_AFTER_S + SLACK_S < RECOVERY_BOUND_S, tail


def test_a_payments_last_retry_comes_inside_the_recovery_bound() -> None:
    retries = int(Settings.model_fields["max_attempts"].default) - 1 + DELIVERY_RETRY_SLACK
    tail = retry_tail_s(retries)
    assert tail + SWEEP_PERIOD_S + STALE_AFTER_S + SLACK_S < RECOVERY_BOUND_S, tail


def test_the_last_retry_still_outlives_an_outage() -> None:
    """Compressing the schedule must not make retries give up during a fault: the final
    retry of a webhook comes after the longest outage the fault tests inject (10 s) plus a
    restart (DOWN_S)."""
    retries = int(Settings.model_fields["webhook_max_attempts"].default) - 1
    assert retry_tail_s(retries) > 10.0 + DOWN_S

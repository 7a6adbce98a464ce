"""The fault stacks' QStash timing budget, worked out without starting a stack.

Two ways a fault run can fail through timing alone: a retry schedule so long that a delivery
is still waiting for its last attempt when the recovery bound is checked (a webhook's fifth
attempt came ~240 s after its first at time scale 0.01), and one so short that an outage burns
the whole retry budget before the destination is back (then the failure callback gives up on
a payment that had attempts left). The schedule below is QStash's default backoff as the
emulator computes it, scaled and capped as `tests/faults/stack.py` configures it.
"""

from __future__ import annotations

from emulators.qstash.backoff import default_backoff
from shared.config import Settings
from shared.services.lifecycle_messages import DELIVERY_RETRY_SLACK
from tests.faults.stack import (
    DOWN_S,
    QSTASH_MAX_RETRY_DELAY_S,
    QSTASH_TIME_SCALE,
    RECOVERY_BOUND_S,
    STALE_AFTER_S,
    SWEEP_CRON,
)
from tests.faults.test_degraded import OUTAGE_S

SWEEP_PERIOD_S = int(SWEEP_CRON.split()[-1].removeprefix("*/"))
SLACK_S = 20.0  # a busy 2-core machine: deliveries and the sweeper's pass run this late
RESTART_S = 10.0  # a killed process is started again DOWN_S later and takes this to be up
WEBHOOK_RETRIES = int(Settings.model_fields["webhook_max_attempts"].default) - 1
PAYMENT_RETRIES = int(Settings.model_fields["max_attempts"].default) - 1 + DELIVERY_RETRY_SLACK


def waits_s(retries: int) -> list[float]:
    """Seconds from the first attempt to each retry."""
    at, out = 0.0, []
    for n in range(1, retries + 1):
        at += min(default_backoff(n) * QSTASH_TIME_SCALE, QSTASH_MAX_RETRY_DELAY_S)
        out.append(at)
    return out


def test_the_last_retry_comes_inside_the_recovery_bound() -> None:
    assert WEBHOOK_RETRIES >= 4
    for retries in (WEBHOOK_RETRIES, PAYMENT_RETRIES):
        tail = waits_s(retries)[-1]
        assert tail + SWEEP_PERIOD_S + STALE_AFTER_S + SLACK_S < RECOVERY_BOUND_S, tail


def test_an_outage_does_not_burn_the_retry_budget() -> None:
    outage = max(OUTAGE_S, DOWN_S + RESTART_S)
    # A payment's message may lose DELIVERY_RETRY_SLACK retries to an outage; the next one
    # must land after it, or the last real attempt never happens.
    assert waits_s(PAYMENT_RETRIES)[DELIVERY_RETRY_SLACK] > outage, waits_s(PAYMENT_RETRIES)
    # A webhook refused for the whole outage still has a retry after it.
    assert waits_s(WEBHOOK_RETRIES)[-1] > outage + 5.0, waits_s(WEBHOOK_RETRIES)

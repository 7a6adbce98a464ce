"""How long QStash can keep a message alive, so the sweeper knows when one is surely gone.

A webhook delivery's message lives for its first attempt plus `retries` backoffs (QStash's
default `min(86400, e ** (2.5 n))` s before retry n, scaled by the dev stack's time scale),
each attempt taking up to the sender's timeout; its failure callback is a message of its own
with QStash's default retries. A delivery still PENDING past all of that has lost both: only
then may the sweeper publish it again without racing a live message.
"""

from __future__ import annotations

import math

MAX_BACKOFF_S = 86_400.0
CALLBACK_RETRIES = 3  # QStash default for a message without Upstash-Retries (the callback)
MARGIN_S = 60.0


def qstash_backoff_s(retry: int) -> float:
    """QStash's default delay before retry `retry` (1 = the first retry), unscaled."""
    return MAX_BACKOFF_S if retry >= 40 else min(MAX_BACKOFF_S, math.exp(2.5 * retry))


def message_lifetime_s(retries: int, attempt_timeout_s: float, time_scale: float = 1.0) -> float:
    """The longest a message with `retries` retries can still be delivered after its publish."""
    backoff = sum(qstash_backoff_s(n) for n in range(1, retries + 1)) * time_scale
    return backoff + (retries + 1) * attempt_timeout_s


def webhook_redrive_after_s(
    max_attempts: int, attempt_timeout_s: float, time_scale: float = 1.0
) -> float:
    """Age past which a PENDING delivery's message and failure callback are both gone."""
    delivery = message_lifetime_s(max(max_attempts - 1, 0), attempt_timeout_s, time_scale)
    callback = message_lifetime_s(CALLBACK_RETRIES, attempt_timeout_s, time_scale)
    return delivery + callback + MARGIN_S

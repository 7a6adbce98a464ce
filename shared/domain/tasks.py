"""The unit of work one function hands the next through the queue: a message to a route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    """One message to a function route, e.g. `/internal/process_payment`.

    `delay_s` postpones the first delivery (a timer: an authorization's expiry, a dispute).
    `deduplication_id` makes a repeated publish (a retried step) a no-op within the queue's
    window; `retries` is the queue's own redelivery budget for this message.
    """

    path: str
    body: dict[str, Any]
    deduplication_id: str
    retries: int
    failure_path: str | None = None
    retry_delay: str | None = None
    delay_s: int | None = None  # deliver no sooner than this many seconds from now

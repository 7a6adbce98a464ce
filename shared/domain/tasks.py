"""The unit of work one function hands the next through the queue: a message to a route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    """One message to a function route, e.g. `/internal/process_payment`.

    `delay_s` postpones the first delivery (a timer: an authorization's expiry, a dispute).
    `deduplication_id` makes a repeated publish (a retried step) a no-op within the queue's
    window; `retries` is the queue's own redelivery budget for this message. Messages with
    the same `flow_key` share the queue's flow-control limits (configured in the adapter).
    """

    path: str
    body: dict[str, Any]
    deduplication_id: str
    retries: int
    failure_path: str | None = None
    retry_delay: str | None = None
    delay_s: int | None = None  # deliver no sooner than this many seconds from now
    flow_key: str | None = None


@dataclass(frozen=True)
class FlowLimits:
    """Per flow key: at most `parallelism` deliveries in flight, `rate` started per
    `period_s` (0 = that limit off; both 0 = no flow control)."""

    parallelism: int = 0
    rate: int = 0
    period_s: int = 1

    @property
    def active(self) -> bool:
        return self.parallelism > 0 or self.rate > 0

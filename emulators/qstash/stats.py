"""What this emulator would have billed: counted in-process, read at `GET /_emulator/stats`.

QStash bills every message published (a schedule's fire and a callback are messages too) and
every retry of a delivery; a publish answered as a duplicate is not a new message. The counts
live in the one emulator process (they start at 0 when it starts), so a benchmark reads them
before and after and takes the difference. Not a QStash API: the path is outside `/v2`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Stats:
    published: int = 0  # new messages accepted by publish, batch, enqueue and DLQ retry
    deduplicated: int = 0  # publishes answered with an existing message (not billed)
    callbacks: int = 0  # callback and failure-callback messages created by an attempt
    schedule_fires: int = 0  # messages created by a schedule
    deliveries: int = 0  # HTTP attempts made, first ones and retries
    redeliveries: int = 0  # attempts after the first of a message (each one billed)

    @property
    def billed(self) -> int:
        return self.published + self.callbacks + self.schedule_fires + self.redeliveries

    def as_json(self, pending: int) -> dict[str, int]:
        return {**asdict(self), "billed_messages": self.billed, "pending": pending}

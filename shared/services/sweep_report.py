"""What one sweep did: how many objects it re-drove, and how many it could not (an outage)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SweepReport:
    republished: int
    failed: int

    def __add__(self, other: SweepReport) -> SweepReport:
        return SweepReport(self.republished + other.republished, self.failed + other.failed)

    def summary(self) -> dict[str, int]:
        """What the sweep answers (HTTP) or returns (schedule)."""
        return {"republished": self.republished, "failed": self.failed}

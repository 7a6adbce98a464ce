"""What a QStash-driven step answers: 2xx = done (QStash stops), 5xx = retry me."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepResult:
    http_status: int
    outcome: str
    payment_id: str | None = None
    status: str | None = None

"""What every request handler works with: options, store, signer, schedules, the worker."""

from __future__ import annotations

from dataclasses import dataclass

from emulators.qstash.models import Options, now_ms
from emulators.qstash.schedules import Schedules
from emulators.qstash.signing import Signer
from emulators.qstash.store import Store
from emulators.qstash.worker import MAX_IDLE_S, Worker


@dataclass
class Context:
    options: Options
    store: Store
    signer: Signer
    schedules: Schedules
    worker: Worker | None = None

    def wake(self, due_ms: int) -> None:
        """Wake the scheduler if the message is due before its next timer would fire."""
        if self.worker is not None and due_ms <= now_ms() + MAX_IDLE_S * 1000:
            self.worker.wake()

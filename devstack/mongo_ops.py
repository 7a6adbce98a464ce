"""Counting the Mongo operations a process sends: a pymongo `CommandListener`.

Registered globally before the first client is created (`pymongo.monitoring.register`), it
sees every command of every client in the process: what Atlas would count as operations.
The functions host turns it on with `PAYGATE_COUNT_MONGO_OPS` and serves the counts at
`GET /dev/mongo_ops` (B4 in `make bench` reads them before and after a run).
"""

from __future__ import annotations

import threading
from collections import Counter

from pymongo import monitoring


class MongoOpCounter(monitoring.CommandListener):
    """Commands started, by name; failed ones are counted too (they were sent)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_command: Counter[str] = Counter()
        self._by_target: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        where = f"{event.command_name} {target}" if isinstance(target, str) else event.command_name
        with self._lock:
            self._by_command[event.command_name] += 1
            self._by_target[where] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            by_command = dict(sorted(self._by_command.items()))
            by_target = dict(sorted(self._by_target.items()))
        return {
            "operations": sum(by_command.values()),
            "by_command": by_command,
            "by_target": by_target,
        }


def install() -> MongoOpCounter:
    """A counter registered for every Mongo client created from now on in this process."""
    counter = MongoOpCounter()
    monitoring.register(counter)
    return counter

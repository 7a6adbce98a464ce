"""What the demo merchant receiver remembers: every delivery, in memory and in a JSONL file.

The file is appended to (flushed, not fsynced) and read back on start, so a restarted
receiver still lists the deliveries it took before. In memory each record is kept as its
JSON line (a few times smaller than the parsed dict; B2 leaves thousands), with the two
fields the listing filters on beside it; a listing joins the lines without parsing them.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

Record = dict[str, Any]

MAX_LIMIT = 100_000


class _Stored(NamedTuple):
    payment_id: str | None
    webhook_id: str | None
    line: str  # the record as compact JSON


def _line(record: Record) -> str:
    return json.dumps(record, separators=(",", ":"), default=str)


class DeliveryStore:
    """Delivery records, oldest first, with the arrival count per webhook id."""

    def __init__(self, data_dir: Path | None) -> None:
        self._lock = threading.Lock()
        self._records: list[_Stored] = []
        # Per (webhook id, endpoint): one event reaches every endpoint under the same id.
        self._arrivals: Counter[tuple[str, str | None]] = Counter()
        self._path = data_dir / "deliveries.jsonl" if data_dir is not None else None
        self._file = None
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._load()
            self._file = self._path.open("a", encoding="utf-8")

    def _load(self) -> None:
        assert self._path is not None
        if not self._path.exists():
            return
        with self._path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash
                self._remember(record, _line(record))

    def _remember(self, record: Record, line: str) -> None:
        self._records.append(_Stored(record.get("payment_id"), record.get("webhook_id"), line))
        if record.get("webhook_id"):
            self._arrivals[record["webhook_id"], record.get("endpoint")] += 1

    def add(self, record: Record) -> Record:
        """Store `record`, numbering it as the nth arrival of its `webhook_id` at its endpoint
        (`attempt`)."""
        with self._lock:
            webhook_id = record.get("webhook_id")
            seen = self._arrivals[webhook_id, record.get("endpoint")] if webhook_id else 0
            record["attempt"] = seen + 1
            line = _line(record)
            self._remember(record, line)
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()
        return record

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._arrivals.clear()
            if self._file is not None:
                self._file.truncate(0)
                self._file.seek(0)

    def query(
        self, limit: int, payment_id: str | None = None, webhook_id: str | None = None
    ) -> tuple[list[str], int]:
        """Matching records newest first (at most `limit`), each as its JSON text, and how many
        matched in all."""
        with self._lock:
            matched = [
                stored.line
                for stored in reversed(self._records)
                if (not payment_id or stored.payment_id == payment_id)
                and (not webhook_id or stored.webhook_id == webhook_id)
            ]
        return matched[: max(0, min(limit, MAX_LIMIT))], len(matched)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

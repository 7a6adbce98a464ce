"""A tiny in-process TTL cache: saves repeated look-ups across warm invocations."""

from __future__ import annotations

import time
from typing import Any


class TTLCache:
    def __init__(self, ttl_s: float, max_items: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._items.pop(key, None)
            return None
        return value

    def put(self, key: str, value: Any) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._items) >= self.max_items:
            self._items.clear()
        self._items[key] = (time.monotonic() + self.ttl_s, value)

    def drop(self, key: str) -> None:
        self._items.pop(key, None)

"""Recorded Lambda events (`tests/events/*.json`) behind one loader.

`load_event("apigw_v2_http")` is an API Gateway HTTP API (payload format 2.0) request as
Lambda receives it; `load_event("eventbridge_scheduled")` is an EventBridge schedule tick.
Each call returns a fresh deep copy, so a test can change it freely.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent


@cache
def _recorded(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return loaded


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of the recorded event `tests/events/<name>.json`."""
    return copy.deepcopy(_recorded(name))

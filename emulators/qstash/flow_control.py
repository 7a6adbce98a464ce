"""Flow control: `Upstash-Flow-Control-Key` / `-Value` read into the message spec.

QStash limits deliveries per key (not per URL): at most `parallelism` attempts in flight and at
most `rate` attempts started per `period` (default 1 s; integers are seconds; at most a week).
Excess messages wait, they are never rejected or counted as retries. The limits are enforced at
claim time by the CLAIM/ACK scripts (`lua.py`); the spec only carries what the publish asked.
"""

from __future__ import annotations

from emulators.qstash.backoff import parse_duration
from emulators.qstash.models import FlowSpec

DEFAULT_PERIOD_MS = 1_000
MAX_PERIOD_MS = 7 * 24 * 3600 * 1000
MAX_KEY_LENGTH = 255
_SETTINGS = ("parallelism", "rate", "period")


class FlowControlError(ValueError):
    """The flow-control headers are invalid (answered with 400)."""


def parse_flow_control(key: str | None, value: str | None) -> FlowSpec | None:
    """The spec's `flow` entry, or None when the publish carries no flow-control key."""
    if key is None:
        if value is not None:
            raise FlowControlError("Upstash-Flow-Control-Value needs Upstash-Flow-Control-Key")
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise FlowControlError(f"Upstash-Flow-Control-Key must be 1-{MAX_KEY_LENGTH} characters")
    flow: FlowSpec = {"key": key, "parallelism": 0, "rate": 0, "period_ms": DEFAULT_PERIOD_MS}
    seen: set[str] = set()
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, raw = (s.strip() for s in part.partition("="))
        if not sep or name not in _SETTINGS or name in seen:
            raise FlowControlError(f"invalid Upstash-Flow-Control-Value entry {part!r}")
        seen.add(name)
        if name == "period":
            flow["period_ms"] = _period_ms(raw)
        else:
            flow[name] = positive(name, raw)  # type: ignore[literal-required]
    if not flow["parallelism"] and not flow["rate"]:
        raise FlowControlError("Upstash-Flow-Control-Value needs parallelism or rate")
    return flow


def positive(name: str, raw: str) -> int:
    """`raw` as an integer of at least 1 (FlowControlError names `name` otherwise)."""
    try:
        number = int(raw)
    except ValueError as exc:
        raise FlowControlError(f"flow control {name} must be an integer") from exc
    if number < 1:
        raise FlowControlError(f"flow control {name} must be at least 1")
    return number


def _period_ms(raw: str) -> int:
    try:
        seconds = parse_duration(raw)
    except ValueError as exc:
        raise FlowControlError(f"invalid flow control period {raw!r}") from exc
    period_ms = int(seconds * 1000)
    if not 0 < period_ms <= MAX_PERIOD_MS:
        raise FlowControlError("flow control period must be more than 0 and at most a week")
    return period_ms

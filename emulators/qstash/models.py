"""Value types shared by the emulator's modules: options, the stored message spec, results."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal, TypedDict

DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT_S = 30.0
MAX_RETRIES = 100
DEDUP_WINDOW_MS = 10 * 60 * 1000

MessageKind = Literal["message", "callback", "failure_callback"]


@dataclass(frozen=True)
class Options:
    """Command-line options of one emulator process."""

    token: str
    current_signing_key: str
    next_signing_key: str
    redis_url: str = "redis://127.0.0.1:6379/1"
    time_scale: float = 1.0
    parallelism: int = 64
    # Cap on one retry's (scaled) backoff, seconds; None = QStash's own (up to a day).
    max_retry_delay_s: float | None = None


class CallbackOptions(TypedDict, total=False):
    """How to send a (failure) callback: from `Upstash-[Failure-]Callback-*` headers."""

    method: str
    timeout_s: float
    retries: int
    retry_delay: str
    delay_ms: int
    headers: dict[str, str]


class FlowSpec(TypedDict):
    """A message's flow control: its key and limits (0 = that limit is off)."""

    key: str
    parallelism: int
    rate: int
    period_ms: int


class MessageSpec(TypedDict, total=False):
    """Everything needed to deliver one message; stored as JSON in the message hash.

    `headers` are the headers sent to the destination (forwarded ones with the prefix
    stripped, plus Content-Type). Times are unix milliseconds.
    """

    url: str
    method: str
    headers: dict[str, str]
    retries: int
    retry_delay: str
    timeout_s: float
    callback: str
    failure_callback: str
    callback_opts: CallbackOptions
    failure_callback_opts: CallbackOptions
    created_at: int
    not_before: int
    schedule_id: str
    topic_name: str
    endpoint_name: str
    queue_name: str
    label: str
    caller_ip: str
    kind: MessageKind
    source_message_id: str
    flow: FlowSpec


@dataclass
class NewMessage:
    """A message about to be stored (publish, callback, schedule fire, DLQ retry)."""

    id: str
    spec: MessageSpec
    body: bytes
    due_ms: int
    dedup_key: str | None = None


@dataclass
class ClaimedMessage:
    """A message claimed for one delivery attempt."""

    id: str
    spec: MessageSpec
    body: bytes
    retried: int


@dataclass
class AttemptResult:
    """What the destination answered to one attempt (status 0 = no HTTP answer)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def now_ms() -> int:
    return int(time.time() * 1000)


def canonical_header(name: str) -> str:
    """Go's canonical MIME header form (`x-custom-id` -> `X-Custom-Id`), as QStash reports them."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))

"""`paygate listen --forward-to URL`: follow `GET /v1/events` and POST each new event to URL.

Only the public API and an API key are used, so it works against a deployed paygate as well as
the local stack. Each forwarded event is signed per Standard Webhooks with listen's own
`whsec_` secret (printed on the first line; kept in the state file, so it survives a restart).

Following without missing or repeating an event: event ids are hashes (not time-ordered), and
events committed by different instances can land a little out of `created_at` order. So each
poll asks for everything created since (newest `created_at` seen minus `lookback`), and a set of the
ids already handled inside that window tells new from old. The state file (`--state-file`)
keeps the secret, that cursor and that set, written after every event: a restart forwards
nothing it forwarded before and misses nothing created meanwhile (an event's state is written
right after its answer, so only a kill between the two can send it once more). Without a state
file or `--since`, listen starts at the newest event there is: only events after it are sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import httpx

from shared.domain.clock import iso, parse_iso
from shared.domain.webhooks import generate_secret, signature_header

PAGE = 100
Event = dict[str, Any]


@dataclass
class ListenState:
    """What a restart needs: the signing secret, the cursor and the ids handled near it."""

    secret: str
    cursor: str | None = None  # the newest created_at handled (or --since)
    floor: str | None = None  # never forward an event created before this (--since)
    seen: dict[str, str] = field(default_factory=dict)  # event id → created_at

    @classmethod
    def load(cls, path: Path | None) -> ListenState | None:
        if path is None or not path.exists():
            return None
        raw = json.loads(path.read_text())
        return cls(
            secret=raw["secret"],
            cursor=raw.get("cursor"),
            floor=raw.get("floor"),
            seen=dict(raw.get("seen", {})),
        )

    def save(self, path: Path | None) -> None:
        """Atomically (write a temporary file, then rename it over the old one)."""
        if path is None:
            return
        data = {"secret": self.secret, "cursor": self.cursor, "floor": self.floor}
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps({**data, "seen": self.seen}, indent=1))
        os.replace(temporary, path)

    def query_from(self, lookback_s: float) -> str | None:
        """The `created[gte]` of the next poll."""
        if self.cursor is None:
            return self.floor
        moment = parse_iso(self.cursor)
        assert moment is not None
        start = iso(moment - timedelta(seconds=lookback_s)) or ""
        return max(start, self.floor) if self.floor else start

    def handled(self, event: Event, lookback_s: float) -> None:
        self.seen[event["id"]] = event["created_at"]
        if self.cursor is None or event["created_at"] > self.cursor:
            self.cursor = event["created_at"]
        horizon = self.query_from(lookback_s) or ""
        self.seen = {k: v for k, v in self.seen.items() if v >= horizon}

    def new(self, events: list[Event]) -> list[Event]:
        """Not handled yet and not before the floor, oldest first."""
        fresh = [
            e
            for e in events
            if e["id"] not in self.seen and (self.floor is None or e["created_at"] >= self.floor)
        ]
        return sorted(fresh, key=lambda e: (e["created_at"], e["id"]))


@dataclass(frozen=True)
class Forwarded:
    status: int | None
    duration_ms: float
    error: str | None
    tries: int


class ApiError(Exception):
    pass


async def fetch_events(api: httpx.AsyncClient, created_gte: str | None) -> list[Event]:
    """Every event created at or after `created_gte` (all of them if None), through the cursor."""
    params: dict[str, Any] = {"limit": PAGE}
    if created_gte is not None:
        params["created[gte]"] = created_gte
    found: list[Event] = []
    while True:
        response = await api.get("/v1/events", params=params)
        if response.status_code != 200:
            raise ApiError(f"GET /v1/events answered {response.status_code}: {response.text[:200]}")
        page = response.json()
        found += page["data"]
        if not page["has_more"] or not page["data"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]


async def baseline(api: httpx.AsyncClient, secret: str, lookback_s: float) -> ListenState:
    """Start at the newest event there is: it and the ones around it count as handled."""
    state = ListenState(secret=secret)
    response = await api.get("/v1/events", params={"limit": 1})
    if response.status_code != 200:
        raise ApiError(f"GET /v1/events answered {response.status_code}: {response.text[:200]}")
    newest = response.json()["data"]
    if newest:
        state.cursor = newest[0]["created_at"]
        for event in await fetch_events(api, state.query_from(lookback_s)):
            state.handled(event, lookback_s)
    return state


def signed_request(secret: str, event: Event) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event, separators=(",", ":"))
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "paygate-listen",
        "webhook-id": event["id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header([secret], event["id"], timestamp, body),
    }
    return body.encode(), headers


async def forward(
    local: httpx.AsyncClient,
    url: str,
    secret: str,
    event: Event,
    *,
    tries: int,
    backoff_s: float,
) -> Forwarded:
    """POST the signed event; a failing answer (not 2xx, or none) is tried again with backoff."""
    result = Forwarded(None, 0.0, "not sent", 0)
    for attempt in range(1, tries + 1):
        body, headers = signed_request(secret, event)  # a fresh timestamp per try
        started = time.perf_counter()
        try:
            response = await local.post(url, content=body, headers=headers)
            status, error = response.status_code, None
        except httpx.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration = (time.perf_counter() - started) * 1000
        result = Forwarded(status, duration, error, attempt)
        if status is not None and 200 <= status < 300:
            return result
        if attempt < tries:
            await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
    return result


def event_line(event: Event, result: Forwarded) -> str:
    answer = f"[{result.status}]" if result.status is not None else f"[error: {result.error}]"
    retried = f" after {result.tries} tries" if result.tries > 1 else ""
    return (
        f"{event['created_at']}  {event['type']:<24}  {event['id']}  "
        f"{answer} {result.duration_ms:.0f} ms{retried}"
    )


@dataclass(frozen=True)
class ListenOptions:
    forward_to: str
    api_url: str
    api_key: str
    events: frozenset[str] | None = None
    since: str | None = None
    state_file: Path | None = None
    interval_s: float = 1.0
    lookback_s: float = 30.0
    tries: int = 3
    backoff_s: float = 0.5


async def listen(options: ListenOptions, out: TextIO = sys.stdout) -> None:
    """Run until cancelled."""

    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    headers = {"Authorization": f"Bearer {options.api_key}"}
    async with (
        httpx.AsyncClient(base_url=options.api_url, headers=headers, timeout=30) as api,
        httpx.AsyncClient(timeout=10) as local,
    ):
        state = ListenState.load(options.state_file)
        if state is None:
            secret = generate_secret()
            if options.since is not None:
                state = ListenState(secret=secret, cursor=options.since, floor=options.since)
            else:
                state = await baseline(api, secret, options.lookback_s)
        elif options.since is not None:
            state.floor = options.since
            if state.cursor is None or options.since > state.cursor:
                state.cursor = options.since
        state.save(options.state_file)
        say(
            f"Ready! Your webhook signing secret is {state.secret} "
            f"(forwarding events from {options.api_url} to {options.forward_to}; Ctrl-C to stop)"
        )
        warned = False
        while True:
            try:
                events = await fetch_events(api, state.query_from(options.lookback_s))
            except (ApiError, httpx.HTTPError) as exc:
                if not warned:
                    say(f"warning: cannot read events ({exc}); trying again")
                warned = True
                await asyncio.sleep(options.interval_s)
                continue
            warned = False
            for event in state.new(events):
                if options.events is None or event["type"] in options.events:
                    result = await forward(
                        local,
                        options.forward_to,
                        state.secret,
                        event,
                        tries=options.tries,
                        backoff_s=options.backoff_s,
                    )
                    say(event_line(event, result))
                state.handled(event, options.lookback_s)
                state.save(options.state_file)
            await asyncio.sleep(options.interval_s)


def run(options: ListenOptions, out: TextIO = sys.stdout) -> int:
    """`paygate listen`: 0 when stopped by Ctrl-C (or SIGTERM), without a traceback."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(listen(options, out))
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        out.write("stopped\n")
        out.flush()
        return 0
    except (ApiError, httpx.HTTPError) as exc:
        sys.stderr.write(f"paygate listen: cannot read events from {options.api_url}: {exc}\n")
        return 1
    finally:
        loop.close()
    return 0
